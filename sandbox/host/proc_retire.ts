/**
 * Deferred teardown of exited picoprocess Workers.
 *
 * Ending a Worker is not free: measured in Deno 2.9.6 on a 2-core VM, a Worker that ends (its
 * `Deno.exit`, or `terminate()`) spends a millisecond or more of CPU disposing of its isolate,
 * on a core the rest of the sandbox needs. A parent that waits for a child and spawns the next
 * one (a shell loop, `xargs`, a build) paid it on every step: a warm spawn+exit+wait took ~1.5 ms
 * less with the teardown put off.
 *
 * So an exit a process reports itself (process_exit from its main call page: its Worker is
 * parked in libos/libos.ts `halt`, waiting on its signal page's RETIRE word) is answered at once:
 * the process is gone from the sandbox's view (zombie, SIGCHLD, waitpid) as before. Its Worker
 * stays parked until the host is quiet: `QUIET_MS` after the last exit, and never more than
 * `MAX_DELAY_MS` after the oldest one; and never more than `max` Workers wait (one more retires
 * the oldest at once). Retiring sets RETIRE (the Worker ends itself: `terminate()` cannot stop
 * a Worker blocked in Atomics.wait) and calls `terminate()` too.
 *
 * A parked Worker holds no capability: its call pages are detached and its handles closed when
 * the exit is processed, as for any ended process. A guest that reports its exit and runs on
 * instead of parking keeps only the shared memory it already had, for at most `MAX_DELAY_MS`.
 * Killed processes and exits reported from a thread's page are not parked: their Workers end at
 * once (sandbox_host.ts `endProcess`).
 */
import { SigWord } from "../../libos/signal/shared.ts";
import type { WorkerLike } from "./worker_factory.ts";

/** Quiet time after the last exit before parked Workers retire (ms). */
const QUIET_MS = 20;
/** The longest a Worker stays parked (ms). */
const MAX_DELAY_MS = 100;

interface Parked {
  readonly worker: WorkerLike;
  readonly signals: Int32Array;
  readonly at: number;
}

/** End a Worker now: raise its retire word (it ends itself), and terminate it. */
export function retireNow(worker: WorkerLike, signals: Int32Array): void {
  Atomics.store(signals, SigWord.RETIRE, 1);
  Atomics.notify(signals, SigWord.RETIRE);
  worker.terminate();
}

/** The exited Workers of one sandbox host waiting for their teardown. */
export class Retirer {
  readonly #parked: Parked[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** @param max most Workers parked at once */
  constructor(readonly max: number) {}

  /** Park the Worker of a process that reported its exit; `signals` is its signal page. */
  park(worker: WorkerLike, signals: Int32Array): void {
    this.#parked.push({ worker, signals, at: performance.now() });
    while (this.#parked.length > this.max) {
      const p = this.#parked.shift()!;
      retireNow(p.worker, p.signals);
    }
    this.#schedule();
  }

  /** Retire every parked Worker now (the sandbox closes). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const p of this.#parked.splice(0)) retireNow(p.worker, p.signals);
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    const oldest = this.#parked[0];
    if (!oldest) return;
    const due = Math.min(QUIET_MS, oldest.at + MAX_DELAY_MS - performance.now());
    this.#timer = setTimeout(() => this.flush(), Math.max(0, due));
  }
}
