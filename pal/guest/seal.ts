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
 * - **Process-wide state.** `Deno.chdir` changes the cwd of the whole process (measured: a
 *   Worker allowed to read its directory moved the main thread's cwd there; in `worker`
 *   isolation the embedding app would then resolve its relative paths in the guest's code), and
 *   `Deno.addSignalListener` installs a process-wide handler with no permission at all (one for
 *   SIGINT keeps Ctrl-C from ending the embedding app). They become NotCapable stubs; the Deno
 *   personality then installs its own, over the libOS (a guest's cwd and signals are its
 *   process's own).
 * - **New realms.** A Worker created by a guest would start with Deno's own namespace again,
 *   with the guest's permissions (so `Deno.chdir` and `Deno.addSignalListener` as above) and
 *   without this seal: `Worker` throws NotCapable (threads of a picoprocess are the host's to
 *   start: pal/guest/thread_boot.ts).
 * @module
 */

/** A function (and constructor) that throws NotCapable: `what` is not available here. */
function refuse(what: string, why: string): () => never {
  return function (): never {
    throw new Deno.errors.NotCapable(`${what} is not available in the sandbox (${why})`);
  };
}

/** Close this Worker's stdio resources, BroadcastChannel, process-wide Deno calls and
 * `Worker` (run once, first thing). */
export function sealWorker(): void {
  for (const f of [Deno.stdin, Deno.stdout, Deno.stderr]) {
    try {
      f.close();
    } catch (_e) {
      // Already closed.
    }
  }
  const fixed = { writable: false, enumerable: false, configurable: false };
  Object.defineProperty(globalThis, "BroadcastChannel", {
    value: refuse("BroadcastChannel", "it would reach other sandboxes and the embedding app"),
    ...fixed,
  });
  Object.defineProperty(globalThis, "Worker", {
    value: refuse("Worker", "a new Worker would have Deno's own namespace; see libOS threads"),
    ...fixed,
  });
  // The personality replaces these with its own (configurable, as Deno's members are).
  const D = Deno as unknown as Record<string, unknown>;
  for (const name of ["chdir", "addSignalListener", "removeSignalListener"]) {
    Object.defineProperty(D, name, {
      value: refuse(`Deno.${name}`, "it changes the whole process"),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}
