/**
 * Futex-style wait/wake on Int32 SharedArrayBuffer words, an interrupt token, a robust mutex and
 * a counting semaphore. Guest-to-guest shared memory only: no host on the data path.
 *
 * Words read from shared memory are untrusted (another picoprocess may write anything): a
 * garbage value can make a waiter wait (bounded by its timeout) but never throws anything but
 * `PalError` and never loops without waiting.
 *
 * Layouts (Int32 words, each documented once here):
 * - Interrupt token (own SAB, 8 bytes): `[0]` pending flag (0/1), `[1]` raise sequence.
 * - Liveness table (own SAB): word `id` = 0 unregistered, 1 alive, 2 dead; ids `1..maxIds-1`.
 * - Robust mutex (one word anywhere): 0 free; `ownerId | WAITERS?`; `OWNER_DIED` = free after a
 *   `recover()`, the next locker is told the owner died.
 * - Semaphore (two words): `[i]` count, `[i+1]` number of waiters.
 */
import { PalCode, PalError } from "./errors.ts";

/** Result of `futexWait`, as `Atomics.wait` reports it. */
export type FutexResult = "ok" | "not-equal" | "timed-out";

/**
 * Iterations a waiter spins re-checking its word before it sleeps in `Atomics.wait`, and the
 * time cap on that spin. A sleep-and-notify costs tens to hundreds of µs on our 2-core VMs
 * while a spinning peer answers in well under 1 µs (bench/pipe_bench.ts), so waiters spin.
 */
export const SPIN_ITERATIONS = 20000;
/** Time cap of the spin (see SPIN_ITERATIONS). */
export const SPIN_MAX_MS = 0.05;

/** Spin until `i32[index] !== expected` (true) or the spin budget runs out (false). */
export function spinWhile(
  i32: Int32Array,
  index: number,
  expected: number,
  maxMs = SPIN_MAX_MS,
  maxIterations = SPIN_ITERATIONS,
): boolean {
  const endMs = performance.now() + maxMs;
  for (let i = 0; i < maxIterations; i++) {
    if (Atomics.load(i32, index) !== expected) return true;
    if ((i & 63) === 63 && performance.now() > endMs) return false;
  }
  return false;
}

/** Shortest spin an AdaptiveSpin shrinks to. */
export const SPIN_MIN_MS = 0.005;
/** Longest spin an AdaptiveSpin grows to. */
export const SPIN_CEIL_MS = 0.3;

/**
 * A spin budget that follows how long this thread's waits take (spin plus sleep). Measured on
 * our 2-core VMs: waking a sleeping Worker takes ~60–70 µs, more under load. With a fixed 50 µs
 * spin, once both ends of a pipe have slept once, each waits ~60 µs for the other's wake, gives
 * up spinning just before the answer comes, and sleeps again: every hop costs a wake (~130 µs
 * round trips) until chance breaks the cycle. So a wait that slept but ended within
 * SPIN_CEIL_MS makes the next spin 1.5× that long (the answer then arrives while spinning and
 * both ends go back to answering in ~1 µs); a wait longer than that (an idle peer) halves it.
 * When the cores are oversubscribed the peer is often not running at all and spinning only
 * takes the core it needs: a grown spin that still had to sleep quarters the budget and blocks
 * growth for the next 8 sleeps.
 */
export class AdaptiveSpin {
  #ms = SPIN_MAX_MS;
  /** The last sleep grew the budget (and no spin has caught a change since). */
  #grown = false;
  /** Sleeps left before the budget may grow again. */
  #cooldown = 0;
  /** The current budget in ms. */
  get budgetMs(): number {
    return this.#ms;
  }
  /** Spin on `i32[index]` while it equals `expected`, within the budget; true if it changed. */
  spin(i32: Int32Array, index: number, expected: number): boolean {
    const ok = spinWhile(i32, index, expected, this.#ms, 1 << 30);
    if (ok) this.#grown = false;
    return ok;
  }
  /** A wait that had to sleep took `totalMs` from its start (spin included). */
  slept(totalMs: number): void {
    let ms: number;
    if (this.#grown) {
      // The longer spin did not catch the answer either (the cores are busy): back off.
      ms = this.#ms / 4;
      this.#grown = false;
      this.#cooldown = 8;
    } else if (totalMs < SPIN_CEIL_MS && this.#cooldown === 0) {
      ms = Math.max(this.#ms, totalMs * 1.5);
      this.#grown = ms > this.#ms;
    } else {
      ms = this.#ms / 2;
      if (this.#cooldown > 0) this.#cooldown--;
    }
    this.#ms = ms > SPIN_CEIL_MS ? SPIN_CEIL_MS : ms < SPIN_MIN_MS ? SPIN_MIN_MS : ms;
  }
}

function checkWord(i32: Int32Array, index: number): void {
  if (!(i32 instanceof Int32Array) || !(i32.buffer instanceof SharedArrayBuffer)) {
    throw new PalError(PalCode.INVAL, "futex word must be an Int32Array over a SharedArrayBuffer");
  }
  if (!Number.isInteger(index) || index < 0 || index >= i32.length) {
    throw new PalError(PalCode.INVAL, `futex index ${index} out of range`);
  }
}

function checkTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return Infinity;
  if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new PalError(PalCode.INVAL, `bad timeoutMs ${timeoutMs}`);
  }
  return timeoutMs;
}

/**
 * Sleep while `i32[index] === expected`, at most `timeoutMs`.
 * @param i32 an Int32Array over a SharedArrayBuffer
 * @param index the word's index
 * @param expected the value the caller saw; a different value returns "not-equal" at once
 * @param timeoutMs maximum sleep; omitted means forever
 * @returns "ok" when woken, "not-equal" or "timed-out"
 * @throws {PalError} INVAL for a bad array, index or timeout
 * @example
 * ```ts
 * import { futexWait } from "./futex.ts";
 * const w = new Int32Array(new SharedArrayBuffer(4));
 * futexWait(w, 0, 1); // "not-equal"
 * ```
 */
export function futexWait(
  i32: Int32Array,
  index: number,
  expected: number,
  timeoutMs?: number,
): FutexResult {
  checkWord(i32, index);
  return Atomics.wait(i32, index, expected | 0, checkTimeout(timeoutMs));
}

/**
 * Wake up to `count` waiters sleeping on `i32[index]`.
 * @param count how many to wake; omitted means all
 * @returns the number woken
 * @throws {PalError} INVAL for a bad array, index or count
 * @example
 * ```ts
 * import { futexWake } from "./futex.ts";
 * futexWake(new Int32Array(new SharedArrayBuffer(4)), 0, 1); // 0
 * ```
 */
export function futexWake(i32: Int32Array, index: number, count = Infinity): number {
  checkWord(i32, index);
  if (Number.isNaN(count) || count < 0) throw new PalError(PalCode.INVAL, `bad count ${count}`);
  return Atomics.notify(i32, index, count);
}

/**
 * Spin briefly, then sleep, while `i32[index] === expected`, until `deadlineMs`
 * (a `performance.now()` value; Infinity for none). Internal helper shared by the PAL's
 * sync primitives; the caller re-checks its condition afterwards.
 */
export function spinThenWait(
  i32: Int32Array,
  index: number,
  expected: number,
  deadlineMs: number,
): void {
  if (spinWhile(i32, index, expected)) return;
  const remainingMs = deadlineMs === Infinity ? Infinity : deadlineMs - performance.now();
  if (remainingMs > 0) {
    beatWhileBlocked();
    Atomics.wait(i32, index, expected, Math.min(remainingMs, BEAT_SLICE_MS));
  }
}

/** Longest sleep slice of the PAL's own wait loops, so blocked threads can beat. */
export const BEAT_SLICE_MS = 20;

let blockedBeat: (() => void) | null = null;

/**
 * Register what a thread blocked in a synchronous wait calls once per sleep slice (the libOS:
 * a rate-limited heartbeat, so the host's watchdog does not take a process blocked in a pipe
 * read, a SysV wait or poll for a runaway; its event loop cannot turn while it waits).
 */
export function setBlockedBeat(fn: (() => void) | null): void {
  blockedBeat = fn;
}

/** Called by synchronous wait loops once per sleep slice (see {@link setBlockedBeat}). */
export function beatWhileBlocked(): void {
  blockedBeat?.();
}

/** `performance.now()` deadline for a timeout (Infinity when none). */
export function deadlineFor(timeoutMs: number | undefined): number {
  const t = checkTimeout(timeoutMs);
  return t === Infinity ? Infinity : performance.now() + t;
}

/** What a token-aware wait checks: anything with a `pending` flag (an Interrupt, or a
 * libOS view combining one with other sources). */
export interface InterruptLike {
  readonly pending: boolean;
}

/**
 * A per-thread interrupt token (for signals): `raise()` marks it pending; PAL waits given the
 * token check it on every wake and fail with INTERRUPTED. A waiter sleeps on the word of the
 * object it waits for, so the raiser also kicks that object (e.g. `PipeRing.interrupt(token)`);
 * without the kick, token-aware waits notice within `INTERRUPT_POLL_MS`.
 */
export class Interrupt {
  readonly #w: Int32Array;
  private constructor(readonly sab: SharedArrayBuffer) {
    this.#w = new Int32Array(sab, 0, 2);
  }
  /** A new token, not pending. */
  static create(): Interrupt {
    return new Interrupt(new SharedArrayBuffer(8));
  }
  /** A token over `sab` received from another thread. @throws {PalError} INVAL */
  static attach(sab: SharedArrayBuffer): Interrupt {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < 8) {
      throw new PalError(PalCode.INVAL, "interrupt token must be an 8-byte SharedArrayBuffer");
    }
    return new Interrupt(sab);
  }
  /** Mark pending and wake anything sleeping on the token itself. */
  raise(): void {
    Atomics.store(this.#w, 0, 1);
    Atomics.add(this.#w, 1, 1);
    Atomics.notify(this.#w, 1);
  }
  /** Whether an interrupt is pending. */
  get pending(): boolean {
    return Atomics.load(this.#w, 0) !== 0;
  }
  /** Clear the pending mark; returns whether it was set. */
  consume(): boolean {
    return Atomics.exchange(this.#w, 0, 0) !== 0;
  }
}

/** Poll period of a token-aware wait whose raiser did not kick the awaited object. */
export const INTERRUPT_POLL_MS = 10;

/** Poll period of a robust-mutex waiter re-checking its owner's liveness. */
export const ROBUST_POLL_MS = 20;

const LIVE_ALIVE = 1;
const LIVE_DEAD = 2;

/** Sandbox-wide table of owner ids the host marks alive or dead (layout in the file header). */
export class Liveness {
  readonly #w: Int32Array;
  private constructor(readonly sab: SharedArrayBuffer) {
    this.#w = new Int32Array(sab);
  }
  /** A table for ids `1..maxIds-1`. @throws {PalError} INVAL */
  static create(maxIds: number): Liveness {
    if (!Number.isInteger(maxIds) || maxIds < 2 || maxIds > MAX_OWNER_ID) {
      throw new PalError(PalCode.INVAL, `bad maxIds ${maxIds}`);
    }
    return new Liveness(new SharedArrayBuffer(maxIds * 4));
  }
  /** The table over `sab` received from another thread. @throws {PalError} INVAL */
  static attach(sab: SharedArrayBuffer): Liveness {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < 8 || sab.byteLength % 4 !== 0) {
      throw new PalError(PalCode.INVAL, "bad liveness table");
    }
    return new Liveness(sab);
  }
  #check(id: number): void {
    if (!Number.isInteger(id) || id < 1 || id >= this.#w.length) {
      throw new PalError(PalCode.INVAL, `owner id ${id} out of range`);
    }
  }
  /** Register `id` as a live owner (host side, before the process runs). */
  markAlive(id: number): void {
    this.#check(id);
    Atomics.store(this.#w, id, LIVE_ALIVE);
  }
  /** Record that `id`'s process died (host side). */
  markDead(id: number): void {
    this.#check(id);
    Atomics.store(this.#w, id, LIVE_DEAD);
  }
  /** Whether `id` cannot hold a lock: dead, unregistered or out of range (hostile word). */
  isDead(id: number): boolean {
    if (!Number.isInteger(id) || id < 1 || id >= this.#w.length) return true;
    return Atomics.load(this.#w, id) !== LIVE_ALIVE;
  }
}

const WAITERS = 1 << 30;
const OWNER_DIED = 1 << 29;
const ID_MASK = OWNER_DIED - 1;
/** Largest owner id a robust mutex word can hold. */
export const MAX_OWNER_ID = ID_MASK;

/** `lock()` outcome: "owner-dead" means the previous owner died holding it (EOWNERDEAD). */
export type LockResult = "ok" | "owner-dead";

/**
 * A robust mutex in one Int32 SAB word. The word holds the owner's id; when the owner dies
 * (liveness table says so, or the host calls `recover(deadId)`), the next locker gets the lock
 * and the result "owner-dead", and must repair what the lock guards.
 */
export class RobustMutex {
  /**
   * @param i32 SAB-backed words; the mutex uses `i32[index]` (initially 0)
   * @param liveness the sandbox's liveness table, or null to rely on `recover()` only
   * @throws {PalError} INVAL for a bad array or index
   */
  constructor(
    readonly i32: Int32Array,
    readonly index: number,
    readonly liveness: Liveness | null,
  ) {
    checkWord(i32, index);
  }

  #checkId(ownerId: number): void {
    if (!Number.isInteger(ownerId) || ownerId < 1 || ownerId > MAX_OWNER_ID) {
      throw new PalError(PalCode.INVAL, `bad owner id ${ownerId}`);
    }
  }

  /** One attempt; `undefined` means held by a live owner. `withWaiters` marks contention. */
  #attempt(ownerId: number, withWaiters: boolean): LockResult | undefined {
    const mine = ownerId | (withWaiters ? WAITERS : 0);
    const cur = Atomics.compareExchange(this.i32, this.index, 0, mine);
    if (cur === 0) return "ok";
    const owner = cur & ID_MASK;
    const diedFree = (cur & OWNER_DIED) !== 0 && owner === 0;
    if (owner === ownerId) throw new PalError(PalCode.BUSY, "mutex already held by this owner");
    if (diedFree || (this.liveness !== null && this.liveness.isDead(owner))) {
      const steal = ownerId | ((cur & WAITERS) !== 0 || withWaiters ? WAITERS : 0);
      if (Atomics.compareExchange(this.i32, this.index, cur, steal) === cur) return "owner-dead";
    }
    return undefined;
  }

  /** Try once without waiting. @returns "ok", "owner-dead", or "busy" */
  tryLock(ownerId: number): LockResult | "busy" {
    this.#checkId(ownerId);
    return this.#attempt(ownerId, false) ?? "busy";
  }

  /**
   * Lock, waiting up to `timeoutMs`.
   * @returns "ok", or "owner-dead" when the previous owner died holding it
   * @throws {PalError} TIMED_OUT, BUSY if `ownerId` already holds it, INVAL
   */
  lock(ownerId: number, timeoutMs?: number): LockResult {
    this.#checkId(ownerId);
    const deadline = deadlineFor(timeoutMs);
    const fast = this.#attempt(ownerId, false);
    if (fast !== undefined) return fast;
    for (let i = 0; i < 200; i++) {
      if (Atomics.load(this.i32, this.index) === 0) {
        const r = this.#attempt(ownerId, false);
        if (r !== undefined) return r;
      }
    }
    for (;;) {
      const r = this.#attempt(ownerId, true);
      if (r !== undefined) return r;
      const cur = Atomics.load(this.i32, this.index);
      if (cur === 0 || cur === OWNER_DIED || cur === (OWNER_DIED | WAITERS)) continue;
      const marked = cur | WAITERS;
      if (cur !== marked && Atomics.compareExchange(this.i32, this.index, cur, marked) !== cur) {
        continue;
      }
      const now = performance.now();
      if (now >= deadline) throw new PalError(PalCode.TIMED_OUT, "mutex lock timed out");
      const sliceMs = this.liveness === null
        ? deadline - now
        : Math.min(deadline - now, ROBUST_POLL_MS);
      beatWhileBlocked();
      Atomics.wait(this.i32, this.index, marked, Math.min(sliceMs, BEAT_SLICE_MS));
    }
  }

  /** Unlock. @throws {PalError} DENIED when `ownerId` does not hold it */
  unlock(ownerId: number): void {
    this.#checkId(ownerId);
    const cur = Atomics.load(this.i32, this.index);
    if ((cur & ID_MASK) !== ownerId || (cur & OWNER_DIED) !== 0) {
      throw new PalError(PalCode.DENIED, "mutex not held by this owner");
    }
    const prev = Atomics.exchange(this.i32, this.index, 0);
    if ((prev & WAITERS) !== 0) Atomics.notify(this.i32, this.index, 1);
  }

  /**
   * Host side: `deadId` died; if it holds the mutex, free it so the next locker is told
   * "owner-dead", and wake a waiter. @returns whether it was held by `deadId`
   */
  recover(deadId: number): boolean {
    this.#checkId(deadId);
    for (;;) {
      const cur = Atomics.load(this.i32, this.index);
      if ((cur & ID_MASK) !== deadId || (cur & OWNER_DIED) !== 0) return false;
      if (
        Atomics.compareExchange(this.i32, this.index, cur, OWNER_DIED | (cur & WAITERS)) === cur
      ) {
        Atomics.notify(this.i32, this.index, 1);
        return true;
      }
    }
  }

  /** Current owner id, or 0 when free. */
  get owner(): number {
    return Atomics.load(this.i32, this.index) & ID_MASK;
  }
}

/** A counting semaphore in two Int32 SAB words (`[index]` count, `[index+1]` waiters). */
export class Semaphore {
  /** @throws {PalError} INVAL for a bad array or index */
  constructor(readonly i32: Int32Array, readonly index: number) {
    checkWord(i32, index + 1);
  }

  /** Take one unit if available. @returns whether it did */
  tryWait(): boolean {
    for (;;) {
      const c = Atomics.load(this.i32, this.index);
      if (c <= 0) return false;
      if (Atomics.compareExchange(this.i32, this.index, c, c - 1) === c) return true;
    }
  }

  /** Take one unit, waiting up to `timeoutMs`. @returns false on timeout */
  wait(timeoutMs?: number): boolean {
    const deadline = deadlineFor(timeoutMs);
    for (;;) {
      if (this.tryWait()) return true;
      const c = Atomics.load(this.i32, this.index);
      if (c > 0) continue;
      if (performance.now() >= deadline) return false;
      Atomics.add(this.i32, this.index + 1, 1);
      try {
        spinThenWait(this.i32, this.index, c, deadline);
      } finally {
        Atomics.sub(this.i32, this.index + 1, 1);
      }
    }
  }

  /** Add `n` units and wake up to `n` waiters. @throws {PalError} INVAL */
  post(n = 1): void {
    if (!Number.isInteger(n) || n < 1) throw new PalError(PalCode.INVAL, `bad post count ${n}`);
    Atomics.add(this.i32, this.index, n);
    if (Atomics.load(this.i32, this.index + 1) !== 0) Atomics.notify(this.i32, this.index, n);
  }

  /** Current count. */
  get value(): number {
    return Atomics.load(this.i32, this.index);
  }
}
