/**
 * The libOS of one picoprocess: boots the Kernel (mounts, stdio) from the init message, exposes
 * the `Sys`, installs the Deno personality, runs the app module and decides when the process
 * is done (liveness.ts) or has failed (an uncaught error → message on fd 2, exit 1).
 */
import type { PalClient } from "../pal/guest/client.ts";
import type { InitMessage } from "./init.ts";
import { Kernel } from "./kernel.ts";
import { Liveness } from "./liveness.ts";
import { holdsHostHandles, installHostControl } from "./revoke.ts";
import type { PreparedDeno } from "./personality/deno/install.ts";
import { setupExtraFds, setupMounts, setupStdio } from "./setup.ts";
import { BUILTIN_SCHEME } from "./bin/names.ts";
import { loadBuiltin } from "./bin/mod.ts";
import { runForked } from "./proc/fork.ts";
import { wrapSys } from "./signal/signals.ts";
import { ipcInUse } from "./ipc/sysv.ts";
import { spaceInUse } from "../pal/guest/local_state.ts";
import { forgetReadAhead } from "./vfs/readahead.ts";
import { forgetWriteBehind } from "./vfs/write_behind.ts";
// Loaded with boot's graph, so an app may import the native API without read access to it.
import "./native.ts";
import "./ipc/sysv.ts";
import { createSys } from "./sys/mod.ts";
import type { Sys } from "./sys/types.ts";

const enc = new TextEncoder();
/** Deno's own exit, captured before the personality replaces it: ends this Worker only. */
const realExit: (code: number) => void = Deno.exit.bind(Deno);

/** One picoprocess's libOS. Boot (libos/boot.ts) makes exactly one. */
export class Libos {
  readonly kernel: Kernel;
  readonly sys: Sys;
  readonly live: Liveness;
  #exiting = false;
  readonly #prepared: PreparedDeno | null;
  readonly #ahead: boolean;
  readonly #recycled: ((pal: PalClient) => void) | null;
  /** Undoes installHostControl. */
  readonly #uncontrol: () => void;
  /** The global listeners `runModule` added. */
  #listeners: [string, (e: Event) => void][] = [];
  /** A rehearsal process (see the constructor). */
  readonly #rehearsal: boolean;

  /**
   * @param init the host's init message
   * @param pal the PAL client over the process's call page
   * @param opts.prepared the Worker's Deno personality (install.ts `prepareDeno`; none for a
   *   WASI program): the process takes its liveness tracker, `installDenoPersonality` binds it
   * @param opts.ahead whether it was installed before this process's init message (a pooled
   *   Worker's warm-up, or an earlier process of a recycled Worker)
   * @param opts.recycled called when this process ended and the host kept its Worker for
   *   another (see `idle`) with `pal`, reset for that process: boot then waits for its init
   * @param opts.rehearsal a pooled Worker's rehearsal process (libos/warm_up.ts), which has no
   *   host: it neither acts on host control messages (heartbeat, revocation: revoke.ts
   *   `installHostControl`) nor turns uncaught errors into its own exit (a failed rehearsal's
   *   error must reach the host and end the Worker)
   */
  constructor(
    readonly init: InitMessage,
    readonly pal: PalClient,
    opts: {
      prepared?: PreparedDeno | undefined;
      ahead?: boolean;
      recycled?: (pal: PalClient) => void;
      rehearsal?: boolean;
    } = {},
  ) {
    const prepared = opts.prepared;
    this.#prepared = prepared ?? null;
    this.#ahead = (opts.ahead ?? false) && prepared !== undefined;
    this.#recycled = opts.recycled ?? null;
    this.kernel = new Kernel(init, pal);
    setupMounts(this.kernel);
    setupStdio(this.kernel);
    setupExtraFds(this.kernel);
    // Every call is a signal safe point (libos/signal/signals.ts).
    this.sys = wrapSys(createSys(this.kernel, (code) => this.exit(code)), this.kernel.signals);
    this.kernel.signals.watch();
    this.live = prepared?.live ?? new Liveness(() => this.idle());
    this.#rehearsal = opts.rehearsal ?? false;
    this.#uncontrol = this.#rehearsal ? () => {} : installHostControl(this);
    current = this;
  }

  /** Whether the Deno personality was installed before this process's init message (tests). */
  get personalityPrepared(): boolean {
    return this.#ahead;
  }

  /** Bind the Worker's Deno personality (`Deno` members and `console`) to this process. */
  installDenoPersonality(): void {
    this.#prepared?.bind(this);
  }

  /**
   * Import the app module (a computed specifier: Deno checks it against the Worker's
   * permissions; a built-in loads through libos/bin/mod.ts and its `main` runs, unless this is
   * a fork child), then end once it has no work left (`idle`: with the status a built-in's
   * `main` returned, else 0; a built-in that settled ends at once); an uncaught error exits 1.
   */
  async runModule(url: string): Promise<void> {
    this.#listen(
      "error",
      (e) => this.#uncaught(e, (e as ErrorEvent).error ?? (e as ErrorEvent).message),
    );
    this.#listen("unhandledrejection", (e) => {
      this.#uncaught(e, (e as PromiseRejectionEvent).reason, true);
    });
    const release = this.live.hold();
    let settled = false;
    Deno.exitCode = 0; // a recycled Worker's last process may have set it
    try {
      const specifier = String(url);
      const builtin = specifier.startsWith(BUILTIN_SCHEME)
        ? await loadBuiltin(specifier.slice(BUILTIN_SCHEME.length))
        : null;
      // A built-in's module only defines functions: its program is `main`.
      const mod = builtin ?? await import(specifier);
      if (this.init.fork) await runForked(mod, this.init.fork);
      else if (builtin) {
        Deno.exitCode = (await builtin.main()) ?? 0;
        settled = true;
      }
    } catch (e) {
      // The module's evaluation failed: Deno reports that as a rejected promise's error.
      this.fatal(e, true);
    }
    release();
    this.live.arm(settled);
  }

  /**
   * An uncaught error or unhandled rejection: the process ends with it (`fatal`) unless a
   * listener of the app's cancels the event, as in Deno. Deno's own default (the Worker ends) is
   * never wanted, so this listener, the first, cancels it at once, and takes the event's
   * `preventDefault` to learn whether the app's listeners, which run after it, cancel it too.
   */
  #uncaught(e: Event, err: unknown, inPromise = false): void {
    e.preventDefault();
    let kept = false;
    Object.defineProperty(e, "preventDefault", { value: () => void (kept = true) });
    queueMicrotask(() => {
      if (!kept) this.fatal(err, inPromise);
    });
  }

  #listen(type: string, fn: (e: Event) => void): void {
    if (this.#rehearsal) return;
    globalThis.addEventListener(type, fn);
    this.#listeners.push([type, fn]);
  }

  /**
   * Nothing is left that could wake the app (liveness.ts): the process ends with the status its
   * built-in returned (else 0). A pooled Worker that ran only a built-in program (Sandpiper's
   * code: no app module, no fork state, no plugin, no WASI) and left nothing that outlives the
   * process here (threads, System V mappings, personality sockets, an address space) asks the
   * host to keep it for another process (`process_recycle`): a spawn then finds a Worker whose
   * code is compiled and whose caches are warm, and no Worker ends. The host decides from what
   * it knows of the process (it started the built-in, no exec since, no threads); if it says no,
   * the process ended as with `process_exit`.
   */
  idle(): void {
    // A built-in is Sandpiper's code: nobody listens, so a recycled spawn does not dispatch.
    const builtin = this.init.entry.startsWith(BUILTIN_SCHEME);
    if (!this.#exiting && !builtin && this.#beforeUnloadKeeps()) return;
    // The status when nothing is left: `Deno.exitCode` (Deno's own, per Worker: the program's,
    // or what a built-in's `main` returned).
    const code = Deno.exitCode;
    if (this.#exiting || !this.#recyclable()) return this.exit(code);
    this.#exiting = true;
    try {
      globalThis.dispatchEvent(new Event("unload"));
    } catch (_e) {
      // An unload listener threw: the process is ending anyway.
    }
    if (this.pal.call("process_recycle", code & 0xff) !== 1) halt(code, this.kernel.signals.retire);
    // The process is over: undo what this Libos put into the Worker's globals.
    for (const [type, fn] of this.#listeners) globalThis.removeEventListener(type, fn);
    this.#listeners = [];
    this.#uncontrol();
    this.kernel.signals.unwatch();
    this.live.reset();
    if (current === this) current = null;
    forgetReadAhead(this.pal);
    forgetWriteBehind(this.pal);
    this.pal.reset();
    this.#recycled!(this.pal);
  }

  /**
   * Dispatch `beforeunload` as Deno does when its event loop runs dry: a listener that cancels it
   * keeps the process running, and it comes again when the loop is dry again (work the listener
   * started does not keep the process alone, as in Deno).
   */
  #beforeUnloadKeeps(): boolean {
    const ev = new Event("beforeunload", { cancelable: true });
    globalThis.dispatchEvent(ev);
    if (!ev.defaultPrevented) return false;
    this.live.recheck();
    return true;
  }

  #recyclable(): boolean {
    return this.#recycled !== null && this.#prepared !== null &&
      this.init.entry.startsWith(BUILTIN_SCHEME) && !this.init.fork && !this.init.plugin &&
      !holdsHostHandles() && !ipcInUse() && !spaceInUse() && this.pal.quiescent;
  }

  /**
   * Report an uncaught error on fd 2 and exit 1.
   * @param inPromise it rejected a promise (Deno says `Uncaught (in promise)`)
   */
  fatal(err: unknown, inPromise = false): never {
    const text = err instanceof Error
      ? (err.stack ?? `${err.name}: ${err.message}`)
      : Deno.inspect(err);
    const uncaught = inPromise ? "Uncaught (in promise)" : "Uncaught";
    const line = text.startsWith("error:") ? text : `error: ${uncaught} ${text}`;
    try {
      this.sys.write(2, enc.encode(line + "\n"));
    } catch (_e) {
      // stderr is gone: the exit code still tells the host.
    }
    // Deno dispatches no `unload` after an uncaught error.
    return this.exit(1, false);
  }

  /** End the picoprocess with `code` (after dispatching `unload`, if `unload`); never returns. */
  exit(code: number, unload = true): never {
    if (!this.#exiting) {
      this.#exiting = true;
      try {
        if (unload) globalThis.dispatchEvent(new Event("unload"));
      } catch (_e) {
        // An unload listener threw: the process is ending anyway.
      }
      this.pal.call("process_exit", code | 0);
    }
    return halt(code, this.kernel.signals.retire);
  }

  /** exec succeeded: end this Worker without an exit report (the host runs the new program). */
  vanish(): never {
    this.#exiting = true;
    return halt(0);
  }
}

/** The longest an exited process's Worker waits for the host's retire word (ms). */
const RETIRE_WAIT_MS = 2000;
const atomicsLoad = Atomics.load, atomicsWait = Atomics.wait;

/**
 * End this Worker; never returns. With `retire` (an exit the host was told of), first wait until
 * the host sets the word: the host puts off the Worker's teardown (V8 disposing of the isolate,
 * a millisecond or more of CPU) until it is quiet, so a parent that waits for this exit and
 * spawns again is not slowed by it (sandbox/host/proc_retire.ts). Bounded: a host that never
 * sets it (gone) does not keep the Worker for ever.
 */
function halt(code: number, retire: Int32Array | null = null): never {
  if (retire) {
    const t0 = performance.now();
    let left = RETIRE_WAIT_MS;
    while (atomicsLoad(retire, 0) === 0 && left > 0) {
      atomicsWait(retire, 0, 0, left);
      left = RETIRE_WAIT_MS - (performance.now() - t0);
    }
  }
  // Measured: terminate() cannot stop a thread that never returns to its event loop, and
  // Deno.exit inside a Worker ends just that Worker — so end it ourselves.
  realExit(code | 0);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  // Measured: terminate() does not interrupt an endless Atomics.wait, so nap in short steps
  // and let the host's terminate() take effect between them.
  for (;;) Atomics.wait(sleeper, 0, 0, 20);
}

let current: Libos | null = null;

/** The libOS of this picoprocess (null outside one). */
export function currentLibos(): Libos | null {
  return current;
}
