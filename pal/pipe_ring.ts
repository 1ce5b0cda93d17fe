/**
 * A byte pipe over a SharedArrayBuffer ring shared by Workers (guest-to-guest, no host on the
 * data path). Either side may be hostile: every header word is re-read and validated, a garbage
 * header gives PalError BAD_MESSAGE, waits are bounded by the caller's timeout.
 *
 * Layout: a 512-byte header of Int32 words, then `capacity` data bytes (a power of two). Words
 * that one side writes often sit on that side's own 64-byte cache line (no false sharing).
 *   line 0: [0] MAGIC "SPIP"  [1] capacity in bytes (checked once at attach)
 *           [2] reader count  [3] writer count
 *           [4] flags: bit0 readers force-closed, bit1 writers force-closed
 *   line 1 (readers write): [16] read index (u32, wraps; position = index & (capacity-1))
 *           [17] space sequence: bumped by reads, reader closes, interrupts; writers sleep on it
 *           [18] readers sleeping (a writer skips notify when 0)
 *   line 2 (writers write): [32] write index (u32, wraps); buffered = (write - read) mod 2^32,
 *           must be <= capacity
 *           [33] data sequence: bumped by writes, writer closes, interrupts; readers sleep on it
 *           [34] writers sleeping (a reader skips notify when 0)
 *   line 3: [48] read lock    line 4: [64] write lock (0 free, 1 held, 2 held with sleepers)
 *   words 80..127 reserved.
 * The read lock guards the read index and serialises readers; the write lock guards the write
 * index and serialises writers. Writes of at most PIPE_BUF bytes are atomic.
 *
 * This module owns the ring and its header; the endpoints (PipeReader, PipeWriter) and their
 * blocking waits are in pal/pipe_ends.ts.
 */
import { PalCode, PalError } from "./errors.ts";
import type { Interrupt } from "./futex.ts";
import { PIPE_BUF, PipeReader, PipeWriter } from "./pipe_ends.ts";

/** Bytes before the data area. */
export const HEADER_BYTES = 512;
const MAGIC = 0x53504950;
const W = {
  MAGIC: 0,
  CAPACITY: 1,
  READERS: 2,
  WRITERS: 3,
  FLAGS: 4,
  READ: 16,
  SPACE_SEQ: 17,
  READ_SLEEPERS: 18,
  WRITE: 32,
  DATA_SEQ: 33,
  WRITE_SLEEPERS: 34,
  READ_LOCK: 48,
  WRITE_LOCK: 64,
} as const;
const FLAG_READERS_GONE = 1;
const FLAG_WRITERS_GONE = 2;

/** Readiness for an event-waiting API. */
export interface PollState {
  /** A read would not block (data, or EOF). */
  readable: boolean;
  /** A write of PIPE_BUF bytes would not block (or would fail with BROKEN_PIPE). */
  writable: boolean;
  /** No writers are left (EOF once drained). */
  hup: boolean;
  /** No readers are left (writes fail with BROKEN_PIPE). */
  err: boolean;
}

/** @internal What to sleep on: `i32[word]` while it equals `value` (pal/pipe_ends.ts sleeps). */
export interface Block {
  word: number;
  value: number;
  sleepers: number;
}

function bad(what: string): PalError {
  return new PalError(PalCode.BAD_MESSAGE, `pipe ring: ${what}`);
}

/** Bytes below which a copy is a plain loop (no subarray objects: the 1-byte round trip). */
const SMALL_COPY = 64;

/** Copy `n` bytes from `src[from..]` to `dst[at..]`. */
function copy(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n <= SMALL_COPY) {
    for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
  } else {
    dst.set(src.subarray(from, from + n), at);
  }
}

/** The shared ring; make endpoints with `openReader`/`openWriter`. */
export class PipeRing {
  readonly i32: Int32Array;
  readonly #data: Uint8Array;
  /** Data bytes (from the buffer size at attach, never re-read from shared memory). */
  readonly capacity: number;
  readonly #mask: number;

  private constructor(readonly sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.capacity = sab.byteLength - HEADER_BYTES;
    this.#mask = this.capacity - 1;
    this.#data = new Uint8Array(sab, HEADER_BYTES, this.capacity);
  }

  /**
   * A new empty ring with no endpoints open.
   * @param capacityBytes a power of two from PIPE_BUF to 2^30
   * @throws {PalError} INVAL
   * @example
   * ```ts
   * import { PipeRing } from "./pipe_ring.ts";
   * const ring = PipeRing.create(65536);
   * const w = ring.openWriter(), r = ring.openReader();
   * w.write(new TextEncoder().encode("hi"));
   * r.read(new Uint8Array(16)); // 2
   * ```
   */
  static create(capacityBytes: number): PipeRing {
    const ok = Number.isInteger(capacityBytes) && capacityBytes >= PIPE_BUF &&
      capacityBytes <= 2 ** 30 && (capacityBytes & (capacityBytes - 1)) === 0;
    if (!ok) throw new PalError(PalCode.INVAL, `bad pipe capacity ${capacityBytes}`);
    const ring = new PipeRing(new SharedArrayBuffer(HEADER_BYTES + capacityBytes));
    ring.i32[W.CAPACITY] = capacityBytes;
    Atomics.store(ring.i32, W.MAGIC, MAGIC);
    return ring;
  }

  /** The ring over `sab` received from another Worker. @throws {PalError} BAD_MESSAGE */
  static attach(sab: SharedArrayBuffer): PipeRing {
    if (!(sab instanceof SharedArrayBuffer)) throw bad("not a SharedArrayBuffer");
    const cap = sab.byteLength - HEADER_BYTES;
    if (cap < PIPE_BUF || cap > 2 ** 30 || (cap & (cap - 1)) !== 0) throw bad("bad size");
    const ring = new PipeRing(sab);
    if (Atomics.load(ring.i32, W.MAGIC) !== MAGIC || Atomics.load(ring.i32, W.CAPACITY) !== cap) {
      throw bad("bad magic or capacity");
    }
    return ring;
  }

  /** Open a reader endpoint (reader count + 1). */
  openReader(): PipeReader {
    Atomics.add(this.i32, W.READERS, 1);
    return new PipeReader(this);
  }
  /** Open a writer endpoint (writer count + 1). */
  openWriter(): PipeWriter {
    Atomics.add(this.i32, W.WRITERS, 1);
    return new PipeWriter(this);
  }
  /** Take over a reader opened by another Worker and handed over (count unchanged). */
  adoptReader(): PipeReader {
    return new PipeReader(this);
  }
  /** Take over a writer opened by another Worker and handed over (count unchanged). */
  adoptWriter(): PipeWriter {
    return new PipeWriter(this);
  }

  /** @internal an endpoint of `side` closed: count - 1; the last close wakes everyone. */
  _release(side: "readers" | "writers"): void {
    if (Atomics.sub(this.i32, side === "readers" ? W.READERS : W.WRITERS, 1) <= 1) this.wakeAll();
  }

  /** Wake every sleeper on both sides; they re-check their state and interrupt tokens. */
  wakeAll(): void {
    for (const seq of [W.DATA_SEQ, W.SPACE_SEQ]) {
      Atomics.add(this.i32, seq, 1);
      Atomics.notify(this.i32, seq);
    }
  }

  /** Raise `token` and wake this ring's sleepers so the token's owner sees it at once. */
  interrupt(token: Interrupt): void {
    token.raise();
    this.wakeAll();
  }

  /**
   * Host side, when a process died without closing: drop `count` endpoints of `side`, or with
   * no count mark the whole side gone for good. Also frees that side's lock (the dead process
   * may have held it) and wakes everyone.
   */
  forceClose(side: "readers" | "writers", count?: number): void {
    const [countWord, lock, flag] = side === "readers"
      ? [W.READERS, W.READ_LOCK, FLAG_READERS_GONE]
      : [W.WRITERS, W.WRITE_LOCK, FLAG_WRITERS_GONE];
    if (count === undefined) {
      Atomics.or(this.i32, W.FLAGS, flag);
      Atomics.store(this.i32, countWord, 0);
    } else {
      if (!Number.isInteger(count) || count < 0) throw new PalError(PalCode.INVAL, "bad count");
      if (Atomics.sub(this.i32, countWord, count) - count < 0) {
        Atomics.store(this.i32, countWord, 0);
      }
    }
    Atomics.store(this.i32, lock, 0);
    Atomics.notify(this.i32, lock);
    this.wakeAll();
  }

  /** Current readiness. @throws {PalError} BAD_MESSAGE on a garbage header */
  poll(): PollState {
    const used = this.#span()[1];
    const noWriters = this._count(W.WRITERS, FLAG_WRITERS_GONE) === 0;
    const noReaders = this._count(W.READERS, FLAG_READERS_GONE) === 0;
    return {
      readable: used > 0 || noWriters,
      writable: this.capacity - used >= PIPE_BUF || noReaders,
      hup: noWriters,
      err: noReaders,
    };
  }

  /** @internal endpoint count, 0 when the side was force-closed. */
  _count(word: number, goneFlag: number): number {
    if ((Atomics.load(this.i32, W.FLAGS) & goneFlag) !== 0) return 0;
    const n = Atomics.load(this.i32, word);
    if (n < 0) throw bad("negative endpoint count");
    return n;
  }

  /** [read index, bytes buffered], validated. */
  #span(): [number, number] {
    const r = Atomics.load(this.i32, W.READ) >>> 0;
    const used = ((Atomics.load(this.i32, W.WRITE) >>> 0) - r) >>> 0;
    if (used > this.capacity) throw bad("indices out of range");
    return [r, used];
  }

  /** Take `lock` or say what to sleep on. */
  #lock(lock: number): Block | null {
    for (let i = 0; i < 100; i++) {
      if (Atomics.compareExchange(this.i32, lock, 0, 1) === 0) return null;
    }
    if (Atomics.exchange(this.i32, lock, 2) === 0) return null;
    return { word: lock, value: 2, sleepers: -1 };
  }

  #unlock(lock: number): void {
    if (Atomics.exchange(this.i32, lock, 0) !== 1) Atomics.notify(this.i32, lock, 1);
  }

  #bump(seq: number, sleepers: number): void {
    Atomics.add(this.i32, seq, 1);
    if (Atomics.load(this.i32, sleepers) !== 0) Atomics.notify(this.i32, seq);
  }

  /** @internal one read attempt: bytes read (0 = EOF) or what to sleep on. */
  _tryRead(buf: Uint8Array): number | Block {
    const i32 = this.i32;
    const seq = Atomics.load(i32, W.DATA_SEQ);
    const blocked = this.#lock(W.READ_LOCK);
    if (blocked) return blocked;
    let n: number;
    try {
      // The span, inline (no array per call): read index and bytes buffered, validated.
      const r = Atomics.load(i32, W.READ) >>> 0;
      const used = ((Atomics.load(i32, W.WRITE) >>> 0) - r) >>> 0;
      if (used > this.capacity) throw bad("indices out of range");
      if (used === 0) {
        if (this._count(W.WRITERS, FLAG_WRITERS_GONE) === 0) return 0;
        return { word: W.DATA_SEQ, value: seq, sleepers: W.READ_SLEEPERS };
      }
      n = used < buf.length ? used : buf.length;
      const pos = r & this.#mask;
      const first = Math.min(n, this.capacity - pos);
      copy(buf, 0, this.#data, pos, first);
      if (first < n) copy(buf, first, this.#data, 0, n - first);
      Atomics.store(i32, W.READ, (r + n) | 0);
    } finally {
      this.#unlock(W.READ_LOCK);
    }
    this.#bump(W.SPACE_SEQ, W.WRITE_SLEEPERS);
    return n;
  }

  /** @internal one write attempt of `data[from..]`: bytes written or what to sleep on. */
  _tryWrite(data: Uint8Array, atomic: boolean, from = 0): number | Block {
    const i32 = this.i32;
    const seq = Atomics.load(i32, W.SPACE_SEQ);
    if (this._count(W.READERS, FLAG_READERS_GONE) === 0) {
      throw new PalError(PalCode.BROKEN_PIPE, "pipe has no readers");
    }
    const blocked = this.#lock(W.WRITE_LOCK);
    if (blocked) return blocked;
    const len = data.length - from;
    let n: number;
    try {
      const r = Atomics.load(i32, W.READ) >>> 0;
      const used = ((Atomics.load(i32, W.WRITE) >>> 0) - r) >>> 0;
      if (used > this.capacity) throw bad("indices out of range");
      const free = this.capacity - used;
      if (free === 0 || (atomic && free < len)) {
        return { word: W.SPACE_SEQ, value: seq, sleepers: W.WRITE_SLEEPERS };
      }
      n = free < len ? free : len;
      const w = (r + used) >>> 0;
      const pos = w & this.#mask;
      const first = Math.min(n, this.capacity - pos);
      copy(this.#data, pos, data, from, first);
      if (first < n) copy(this.#data, 0, data, from + first, n - first);
      Atomics.store(i32, W.WRITE, (w + n) | 0);
    } finally {
      this.#unlock(W.WRITE_LOCK);
    }
    this.#bump(W.DATA_SEQ, W.READ_SLEEPERS);
    return n;
  }
}
