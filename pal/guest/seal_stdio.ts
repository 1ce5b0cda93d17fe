/**
 * A guest Worker's own handles on the process's stdio, closed before any guest code runs.
 *
 * Every Deno Worker starts with resources 0, 1 and 2 on the stdin, stdout and stderr of the
 * process it runs in. The libOS gives a picoprocess its own stdio (fds over the PAL), but code
 * that reaches Deno's internal stdio objects, as `node:process` does for `process.stdout`,
 * would write to the process's real stdout: in `process` isolation the sandbox host's control
 * channel to the embedding app (length-prefixed frames), in `worker` isolation the embedding
 * app's own terminal, past `sys.max_output` and the captured output. We measured that a
 * Worker closing these resources closes only its own: the process's other threads keep
 * writing to the same stdout. After this, such a write fails with `BadResource`.
 * @module
 */

/** Close this Worker's stdin, stdout and stderr resources (idempotent). */
export function sealHostStdio(): void {
  for (const f of [Deno.stdin, Deno.stdout, Deno.stderr]) {
    try {
      f.close();
    } catch (_e) {
      // Already closed.
    }
  }
}
