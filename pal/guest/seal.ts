/**
 * What a guest Worker must not reach of the process it runs in, closed before any guest code
 * runs (libos/boot.ts, pal/guest/thread_boot.ts: their first statement).
 *
 * - **The process's stdio.** Every Deno Worker starts with resources 0, 1 and 2 on the stdin,
 *   stdout and stderr of its process. The libOS gives a picoprocess its own stdio (fds over the
 *   PAL), but code that reaches Deno's internal stdio objects, as `node:process` does for
 *   `process.stdout`, would use the process's: in `process` isolation the sandbox host's control
 *   channel to the embedding app (length-prefixed frames: a guest could forge a host event or
 *   steal a frame), in `worker` isolation the embedding app's own terminal, past
 *   `sys.max_output`. We measured that a Worker closing these resources closes only its own:
 *   the process's other threads keep using the same stdio. Such a write then fails with
 *   `BadResource`.
 * - **BroadcastChannel.** Deno delivers a BroadcastChannel's messages to every Worker of the
 *   process and its main thread, whatever their permissions (measured: a Worker with no
 *   permission at all reached a channel of the main thread). In `worker` isolation that is a
 *   channel to the embedding app and to other sandboxes. The constructor is replaced with one
 *   that throws NotCapable; nothing else in the Worker's global scope refers to the original.
 * @module
 */

/** Close this Worker's stdio resources and its BroadcastChannel (idempotent). */
export function sealWorker(): void {
  for (const f of [Deno.stdin, Deno.stdout, Deno.stderr]) {
    try {
      f.close();
    } catch (_e) {
      // Already closed.
    }
  }
  Object.defineProperty(globalThis, "BroadcastChannel", {
    value: function BroadcastChannel(): never {
      throw new Deno.errors.NotCapable(
        "BroadcastChannel is not available in the sandbox (it would reach other sandboxes and " +
          "the embedding app)",
      );
    },
    writable: false,
    enumerable: false,
    configurable: false,
  });
}
