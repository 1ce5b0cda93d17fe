/**
 * The endpoints of a pipe ring (pal/pipe_ring.ts): PipeReader and PipeWriter, and the blocking
 * machinery they share (adaptive spin, sync and async sleeps on a ring word, the decision after
 * a blocked attempt). The ring's header layout and the read/write attempts stay in the ring;
 * endpoints are made by `PipeRing.openReader`/`openWriter`/`adopt*`.
 */
import { PalCode, PalError } from "./errors.ts";
import {
  AdaptiveSpin,
  beatWhileBlocked,
  deadlineFor,
  INTERRUPT_POLL_MS,
  type InterruptLike,
} from "./futex.ts";
import type { Block, PipeRing, PollState } from "./pipe_ring.ts";

/** Writes of at most this many bytes are all-or-nothing. */
export const PIPE_BUF = 4096;

/** Options of a read or write. */
export interface IoOptions {
  /** Fail with TRY_AGAIN instead of waiting. */
  nonblocking?: boolean;
  /** Fail with TIMED_OUT (or return the partial count) after this long. */
  timeoutMs?: number;
  /** A pending interrupt fails the wait with INTERRUPTED (or returns the partial count). */
  interrupt?: InterruptLike;
}

/** This thread's spin budget for pipe waits (see AdaptiveSpin). */
const spinner = new AdaptiveSpin();

/** Sleep (spin first) on `b` until it changes or `deadlineMs`; `pollMs` bounds one sleep. */
function sleepSync(i32: Int32Array, b: Block, deadlineMs: number, pollMs: number): void {
  const t0 = performance.now();
  if (spinner.spin(i32, b.word, b.value)) return;
  if (b.sleepers >= 0) Atomics.add(i32, b.sleepers, 1);
  try {
    beatWhileBlocked();
    const leftMs = Math.min(deadlineMs - performance.now(), pollMs);
    // A poll that timed out counts as a long wait (an idle peer): the budget shrinks.
    if (leftMs > 0 && Atomics.wait(i32, b.word, b.value, leftMs) !== "not-equal") {
      spinner.slept(performance.now() - t0);
    }
  } finally {
    if (b.sleepers >= 0) Atomics.sub(i32, b.sleepers, 1);
  }
}

/**
 * Async form of `sleepSync` for event-loop threads (`Atomics.waitAsync`, no spinning); `closed`
 * settles when the sleeping endpoint is closed (by another task of the thread), which ends the
 * sleep too.
 */
async function sleepAsync(
  i32: Int32Array,
  b: Block,
  deadlineMs: number,
  pollMs: number,
  closed: Promise<void>,
) {
  if (b.sleepers >= 0) Atomics.add(i32, b.sleepers, 1);
  try {
    const leftMs = Math.min(deadlineMs - performance.now(), pollMs);
    if (leftMs <= 0) return;
    const res = Atomics.waitAsync(i32, b.word, b.value, leftMs);
    if (!res.async) return;
    // Deno 2.9.6: a pending waitAsync does not keep the event loop alive; a timer does, and
    // its firing also ends the sleep (the waitAsync timeout may resolve after the loop exits).
    let keepAlive: ReturnType<typeof setTimeout> | undefined;
    const timer = new Promise<void>((resolve) => {
      keepAlive = setTimeout(resolve, Math.min(leftMs, 2 ** 31 - 1));
    });
    try {
      await Promise.race([res.value, timer, closed]);
    } finally {
      clearTimeout(keepAlive);
    }
  } finally {
    if (b.sleepers >= 0) Atomics.sub(i32, b.sleepers, 1);
  }
}

/**
 * Decide what a blocked operation does next: throw, return the partial count, or go on
 * waiting (returns the poll period for the next sleep).
 */
function afterBlock(opts: IoOptions, deadlineMs: number, doneBytes: number): number {
  if (opts.nonblocking) {
    if (doneBytes > 0) return -doneBytes;
    throw new PalError(PalCode.TRY_AGAIN, "pipe would block");
  }
  if (opts.interrupt?.pending) {
    if (doneBytes > 0) return -doneBytes;
    throw new PalError(PalCode.INTERRUPTED, "pipe wait interrupted");
  }
  if (performance.now() >= deadlineMs) {
    if (doneBytes > 0) return -doneBytes;
    throw new PalError(PalCode.TIMED_OUT, "pipe wait timed out");
  }
  return opts.interrupt ? INTERRUPT_POLL_MS : Infinity;
}

/** Shared endpoint behaviour. */
abstract class Endpoint {
  #open = true;
  /** What ends each of this endpoint's pending async sleeps (called at `close()`). */
  readonly #wakers = new Set<() => void>();
  constructor(readonly ring: PipeRing) {}
  /** Whether `close()` has not been called. */
  get open(): boolean {
    return this.#open;
  }
  /** Readiness of the ring. */
  poll(): PollState {
    return this.ring.poll();
  }
  protected check(): void {
    if (!this.#open) throw new PalError(PalCode.BAD_HANDLE, "pipe endpoint closed");
  }
  protected markClosed(): boolean {
    const was = this.#open;
    this.#open = false;
    for (const wake of this.#wakers) wake();
    return was;
  }
  /**
   * Close this endpoint without changing the ring's count, for an end whose count another party
   * keeps (the host counts the ends of a host-registered ring): operations waiting on it end and
   * later ones fail with BAD_HANDLE.
   */
  detach(): void {
    this.markClosed();
  }
  /** An async sleep on the ring that closing this endpoint ends. */
  protected async sleep(b: Block, deadlineMs: number, pollMs: number): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#wakers.add(resolve);
    try {
      await sleepAsync(this.ring.i32, b, deadlineMs, pollMs, promise);
    } finally {
      this.#wakers.delete(resolve);
    }
  }
}

/** The read end. */
export class PipeReader extends Endpoint {
  /**
   * Read up to `buf.length` bytes, waiting for data unless nonblocking.
   * @returns bytes read; 0 means end of file (no data and no writers)
   * @throws {PalError} TRY_AGAIN, TIMED_OUT, INTERRUPTED, BAD_MESSAGE, BAD_HANDLE
   */
  read(buf: Uint8Array, opts: IoOptions = {}): number {
    this.check();
    if (buf.length === 0) return 0;
    const deadline = deadlineFor(opts.timeoutMs);
    for (;;) {
      const r = this.ring._tryRead(buf);
      if (typeof r === "number") return r;
      sleepSync(this.ring.i32, r, deadline, afterBlock(opts, deadline, 0));
    }
  }

  /** `read` for event-loop threads: sleeps with `Atomics.waitAsync`. */
  async readAsync(buf: Uint8Array, opts: IoOptions = {}): Promise<number> {
    this.check();
    if (buf.length === 0) return 0;
    const deadline = deadlineFor(opts.timeoutMs);
    for (;;) {
      const r = this.ring._tryRead(buf);
      if (typeof r === "number") return r;
      await this.sleep(r, deadline, afterBlock(opts, deadline, 0));
      // Closed while asleep (another task of this thread): no data taken after the close.
      this.check();
    }
  }

  /** Close this end (reader count - 1; the last close makes writes fail with BROKEN_PIPE). */
  close(): void {
    if (!this.markClosed()) return;
    this.ring._release("readers");
  }
}

/** The write end. */
export class PipeWriter extends Endpoint {
  /**
   * Write `data`. A write of at most PIPE_BUF bytes is all-or-nothing; a longer one may be
   * split. Blocking writes wait for room until all is written; a nonblocking, timed out or
   * interrupted write that wrote something returns the partial count.
   * @returns bytes written
   * @throws {PalError} BROKEN_PIPE, TRY_AGAIN, TIMED_OUT, INTERRUPTED, BAD_MESSAGE, BAD_HANDLE
   */
  write(data: Uint8Array, opts: IoOptions = {}): number {
    this.check();
    const deadline = deadlineFor(opts.timeoutMs);
    const atomic = data.length <= PIPE_BUF;
    let done = 0;
    while (done < data.length) {
      const r = this.#attempt(data, done, atomic);
      if (r === null) return done;
      if (typeof r === "number") {
        done += r;
        continue;
      }
      const next = afterBlock(opts, deadline, done);
      if (next < 0) return done;
      sleepSync(this.ring.i32, r, deadline, next);
    }
    return done;
  }

  /** `write` for event-loop threads: sleeps with `Atomics.waitAsync`. */
  async writeAsync(data: Uint8Array, opts: IoOptions = {}): Promise<number> {
    this.check();
    const deadline = deadlineFor(opts.timeoutMs);
    const atomic = data.length <= PIPE_BUF;
    let done = 0;
    while (done < data.length) {
      const r = this.#attempt(data, done, atomic);
      if (r === null) return done;
      if (typeof r === "number") {
        done += r;
        continue;
      }
      const next = afterBlock(opts, deadline, done);
      if (next < 0) return done;
      await this.sleep(r, deadline, next);
      if (!this.open) {
        if (done > 0) return done;
        this.check();
      }
    }
    return done;
  }

  /** One attempt; null when the readers went away after part of the data was written. */
  #attempt(data: Uint8Array, done: number, atomic: boolean): number | Block | null {
    try {
      return this.ring._tryWrite(data, atomic, done);
    } catch (e) {
      if (done > 0 && e instanceof PalError && e.code === PalCode.BROKEN_PIPE) return null;
      throw e;
    }
  }

  /** Close this end (writer count - 1; the last close gives readers EOF once drained). */
  close(): void {
    if (!this.markClosed()) return;
    this.ring._release("writers");
  }
}
