/**
 * Warm spawn: picoprocess Workers started ahead of need. A pooled Worker has loaded and
 * evaluated libos/boot.ts and waits for its init message, so a spawn from the pool skips the
 * Worker start and the module load; the host posts the init message as to a new Worker.
 *
 * The pool holds at most `size` (manifest `sys.spawn_pool`) idle Workers and never more than
 * `sys.max_processes` minus the live processes, so idle Workers cannot outnumber the processes
 * the sandbox may still start. It fills at the first spawn of a child (a sandbox that never
 * spawns pays nothing) and refills after each take. Idle Workers cost memory (in `process`
 * isolation, the host process's RSS counts against `sys.max_memory`).
 */
import type { WorkerLike } from "./worker_factory.ts";

/** A sandbox's pool of booted, idle picoprocess Workers. */
export class WorkerPool {
  readonly #idle: WorkerLike[] = [];
  #started = false;
  #closed = false;
  #refill: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param size most idle Workers to keep
   * @param create starts a Worker running the boot module
   * @param room how many more processes the sandbox may start now
   */
  constructor(
    readonly size: number,
    readonly create: () => WorkerLike,
    readonly room: () => number,
  ) {}

  /** Idle Workers (tests, bench). */
  get idle(): number {
    return this.#idle.length;
  }

  /** Start keeping the pool filled (the first spawn of a child). */
  start(): void {
    if (this.#started || this.size === 0) return;
    this.#started = true;
    this.#schedule();
  }

  /** A booted Worker from the pool, else null (the caller starts a cold one). */
  take(): WorkerLike | null {
    const w = this.#idle.shift() ?? null;
    if (this.#started) this.#schedule();
    return w;
  }

  /** Terminate the idle Workers and stop refilling (the sandbox closes). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#refill);
    for (const w of this.#idle.splice(0)) w.terminate();
  }

  #schedule(): void {
    if (this.#closed || this.#refill !== undefined) return;
    // After the current spawn: its own Worker starts first.
    this.#refill = setTimeout(() => {
      this.#refill = undefined;
      this.#fill();
    }, 0);
  }

  #fill(): void {
    while (!this.#closed && this.#idle.length < Math.min(this.size, this.room())) {
      const w = this.create();
      w.onerror = (e) => {
        // A Worker that failed to boot is dropped; the next spawn starts a cold one.
        e.preventDefault();
        const i = this.#idle.indexOf(w);
        if (i >= 0) this.#idle.splice(i, 1);
        w.terminate();
      };
      w.onmessageerror = (e) => e.preventDefault();
      w.onmessage = () => {};
      this.#idle.push(w);
    }
  }
}
