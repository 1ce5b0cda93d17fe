/**
 * Warm spawn: picoprocess Workers started ahead of need. A pooled Worker has loaded and
 * evaluated libos/boot.ts and, asked by `WARM_UP`, done the boot work that does not depend on the
 * process; it waits for its init message, so a spawn from the pool skips the Worker start, the
 * module load and that work; the host posts the init message as to a new Worker. With
 * `channelFor`, `WARM_UP` also carries the call page and sync port of the Worker's future process
 * (made and sent ahead: the init message then transfers nothing, and the Worker builds its PAL
 * client while it warms). A Worker counts
 * as ready only once it has said so (`BOOTED`, posted by boot); a spawn takes a ready one first,
 * else one still booting (it is ahead of a new one), else none (the caller starts a cold Worker).
 * A Worker that ran a process is pooled again only when the host recycles it (`back`): a process
 * that ran nothing but a built-in program (Sandpiper's own code: no app module, fork state,
 * plugin or WASI module) and ended idle, having undone what it put into the Worker's globals
 * (libos/libos.ts `Libos.idle`). Any other Worker's globals and module cache belong to its
 * process, and it ends with it. A recycled Worker goes first to the next spawn: its code is
 * compiled and its caches are warm, where a Worker that only warmed up still runs the boot's
 * code for the first time. A take that expects its Worker back (`returning`) leaves the refill
 * to the quiet time, so a loop of built-ins reuses one Worker instead of starting new ones. A
 * returning take that finds no Worker (built-ins running at once, as in a pipeline) starts a
 * cold one, which comes back too, and the pool then keeps one more recycled Worker than its
 * size (up to EXTRA_MAX): the next such burst finds them all warm, where refills of `size`
 * would leave it to cold Workers (measured: a three-stage pipeline in the shell, default pool
 * of 2, ~55–77 ms per run; with a pool of 3, ~8 ms).
 *
 * Refilling costs the host thread: measured in Deno 2.9.6, `new Worker` blocks its creator for
 * ~11–18 ms (even for an empty module), and the new Worker's boot competes for the CPU with the
 * process just spawned. So the pool keeps only `EAGER` Workers coming at once (back-to-back
 * spawns are bound by Worker creation anyway, and a Worker started during the current child's
 * life is ready sooner); the rest of it refills when the host is quiet, `QUIET_MS` after the
 * last take, so a burst of spawns from a full pool is not slowed by refills. Refills start one
 * Worker per macrotask, so the host serves calls in between.
 *
 * The pool holds at most `size` (manifest `sys.spawn_pool`) Workers and never more than
 * `sys.max_processes` minus the live processes, so idle Workers cannot outnumber the processes
 * the sandbox may still start. It fills at the first spawn of a child (a sandbox that never
 * spawns pays nothing). Idle Workers cost memory (in `process` isolation, the host process's
 * RSS counts against `sys.max_memory`).
 */
import { BOOTED, WARM_UP, type WarmUpMessage } from "../../libos/init.ts";
import type { GuestChannel } from "../../pal/guest/client.ts";
import type { WorkerLike } from "./worker_factory.ts";

/** A process's channel: what the Worker gets, and the host's end of its sync port. */
export interface PoolChannel {
  readonly guest: GuestChannel;
  readonly host: MessagePort;
  /** While a pooled Worker warms up: the host serves its page for a few harmless calls only
   * (pal/host/server.ts `attachWarming`), so its call path is compiled before a process needs
   * it; the process that takes the Worker adopts the page (then null). */
  warm?: object | null;
}

/** A Worker taken from the pool, with the channel it was given ahead (null: none). */
export interface Taken {
  readonly worker: WorkerLike;
  readonly channel: PoolChannel | null;
}

/** Quiet time after a take before the pool refills beyond `EAGER` (ms). */
export const QUIET_MS = 30;
/** Idle Workers the pool refills at once, without waiting for quiet. */
export const EAGER = 2;
/** Most recycled Workers the pool keeps beyond its size, for spawns it could not serve. */
export const EXTRA_MAX = 4;

interface Pooled {
  readonly worker: WorkerLike;
  readonly channel: PoolChannel | null;
  ready: boolean;
}

/** A sandbox's pool of booted, idle picoprocess Workers. */
export class WorkerPool {
  readonly #idle: Pooled[] = [];
  #started = false;
  #closed = false;
  #refill: ReturnType<typeof setTimeout> | undefined;
  #refillAt = 0;
  #readyWaiters: (() => void)[] = [];
  #recycled = 0;
  /** Workers taken by processes expected to give them back (`take(true)`, not yet `back`). */
  #out = 0;
  /** Recycled Workers to keep beyond `size`: one per spawn that expected to give its Worker back
   * and found none idle (processes that run at once, e.g. a pipeline), at most EXTRA_MAX. */
  #extra = 0;

  /**
   * @param size most idle Workers to keep
   * @param create starts a Worker running the boot module
   * @param room how many more processes the sandbox may start now
   * @param quietMs quiet time after a take before refilling
   * @param channelFor makes the call page and sync port a new Worker gets with `WARM_UP`
   *   (its process's boot then neither waits for a page nor takes a port)
   * @param release lets go of the channel of a Worker the pool drops
   */
  constructor(
    readonly size: number,
    readonly create: () => WorkerLike,
    readonly room: () => number,
    readonly quietMs: number = QUIET_MS,
    readonly channelFor: (() => PoolChannel) | null = null,
    readonly release: (c: PoolChannel) => void = (c) => c.host.close(),
  ) {}

  /** Idle Workers, booting or ready (tests, bench). */
  get idle(): number {
    return this.#idle.length;
  }

  /** Workers given back so far (`back`: tests, bench). */
  get recycled(): number {
    return this.#recycled;
  }

  /** Idle Workers that finished booting. */
  get ready(): number {
    let n = 0;
    for (const p of this.#idle) if (p.ready) n++;
    return n;
  }

  /** How many ready Workers the pool aims for now (`size`, capped by the room left). */
  get target(): number {
    return this.#started ? Math.max(0, Math.min(this.size, this.room())) : 0;
  }

  /** Start keeping the pool filled (the first spawn of a child). */
  start(): void {
    if (this.#started || this.size === 0) return;
    this.#started = true;
    this.#schedule(0);
  }

  /**
   * A booted (else booting) Worker from the pool, else null (the caller starts a cold one):
   * the Worker recycled last, else the oldest ready one.
   * @param returning the process will probably give its Worker back: until it has ended
   *   (`back`), that Worker counts as one the pool holds, so no refill replaces it
   */
  take(returning = false): Taken | null {
    let i = this.#idle.findIndex((p) => p.ready);
    if (i < 0 && this.#idle.length > 0) i = 0;
    const p = i >= 0 ? this.#idle.splice(i, 1)[0]! : null;
    if (p) {
      p.worker.onmessage = null;
      p.worker.onerror = null;
    }
    if (returning) {
      // A miss: the caller starts a cold Worker, which may come back too; keep one more then.
      this.#out++;
      if (!p && this.#started) this.#extra = Math.min(EXTRA_MAX, this.#extra + 1);
    }
    // A take that leaves the pool its target (a recycled Worker's loop) needs no refill: the
    // timer is left alone (re-arming it cost ~10 µs of each such spawn).
    const have = this.#idle.length + this.#out;
    if (this.#started && have < this.target) {
      this.#schedule(have < Math.min(EAGER, this.size) ? 0 : this.quietMs);
    }
    return p ? { worker: p.worker, channel: p.channel } : null;
  }

  /** Whether `back` would keep a Worker now: up to `target`, plus one for each spawn the pool
   * could not serve (at most EXTRA_MAX more, within the room left under max_processes). */
  get hasRoom(): boolean {
    if (this.#closed || !this.#started) return false;
    const keep = Math.min(this.size + this.#extra, this.room());
    return this.#idle.length < keep;
  }

  /**
   * The process that took a Worker with `take(true)` ended. With `worker` (the host recycles
   * it: see above), keep it for the next spawn if there is room: it is ready at once, and waits
   * for an init message. `channel` is the ended process's, which the Worker keeps (the next
   * process's init then carries none); without one the init brings a new one. Without `worker`
   * (the process did not end idle, or the host refused), the pool refills in its place.
   * @returns whether the pool kept `worker` (if not, the caller ends it)
   */
  back(worker: WorkerLike | null, channel: PoolChannel | null = null): boolean {
    this.#out = Math.max(0, this.#out - 1);
    if (worker && this.hasRoom) {
      const p: Pooled = { worker, channel, ready: true };
      this.#watch(p);
      this.#idle.unshift(p);
      this.#recycled++;
      this.#settle();
      return true;
    }
    if (this.#started) {
      this.#schedule(this.#idle.length < Math.min(EAGER, this.size) ? 0 : this.quietMs);
    }
    return false;
  }

  /** Resolves once the pool holds `target` ready Workers (bench, tests). */
  whenFull(): Promise<void> {
    if (this.#full()) return Promise.resolve();
    return new Promise((r) => this.#readyWaiters.push(r));
  }

  /** Terminate the idle Workers and stop refilling (the sandbox closes). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#refill);
    this.#refill = undefined;
    for (const p of this.#idle.splice(0)) {
      p.worker.terminate();
      if (p.channel) this.release(p.channel);
    }
    for (const r of this.#readyWaiters.splice(0)) r();
  }

  #full(): boolean {
    return this.#closed || this.ready >= this.target;
  }

  #settle(): void {
    if (this.#full()) { for (const r of this.#readyWaiters.splice(0)) r(); }
  }

  /** (Re)arm the refill timer to fire `delay` ms from now (a later take pushes it back). */
  #schedule(delay: number): void {
    if (this.#closed) return;
    const at = performance.now() + delay;
    if (this.#refill !== undefined) {
      if (delay > 0 && at <= this.#refillAt) return;
      if (delay === 0 && this.#refillAt <= at) return;
      clearTimeout(this.#refill);
    }
    this.#refillAt = at;
    this.#refill = setTimeout(() => {
      this.#refill = undefined;
      this.#fillOne();
    }, delay);
  }

  /** Handle `p`'s messages while it is idle: `BOOTED`, or an error that drops it. */
  #watch(p: Pooled): void {
    const { worker, channel } = p;
    worker.onerror = (e) => {
      // A Worker that failed to boot is dropped; the next spawn starts a cold one.
      e.preventDefault();
      const i = this.#idle.indexOf(p);
      if (i >= 0) this.#idle.splice(i, 1);
      worker.terminate();
      if (channel) this.release(channel);
      this.#settle();
    };
    worker.onmessageerror = (e) => e.preventDefault();
    worker.onmessage = (e) => {
      if (e.data !== BOOTED) return;
      p.ready = true;
      this.#settle();
    };
  }

  /** Start one Worker; the next starts in a later macrotask. */
  #fillOne(): void {
    if (this.#closed || this.#idle.length + this.#out >= this.target) {
      this.#settle();
      return;
    }
    const worker = this.create();
    const channel = this.channelFor?.() ?? null;
    const p: Pooled = { worker, channel, ready: false };
    this.#watch(p);
    if (channel) {
      const warm: WarmUpMessage = { type: WARM_UP, channel: channel.guest };
      worker.postMessage(warm, [channel.guest.syncPort]);
    } else {
      worker.postMessage(WARM_UP);
    }
    this.#idle.push(p);
    if (this.#idle.length + this.#out < this.target) this.#schedule(0);
  }
}
