/**
 * Read-ahead for sequential readers of host files: while a process reads a file front to back,
 * the host reads the next part of it into a shared cache buffer (`stream_prefetch` on an
 * asynchronous slot), so the process's next read is a copy out of shared memory while the host
 * already reads the part after it.
 *
 * One `ReadAhead` per thread (per PAL client): the host's cache buffer is cut into windows of up
 * to 512 KiB. A handle starts reading ahead at its second read in a row (of at most 256 KiB) that
 * starts where the previous one ended; windows start at 128 KiB (or the read's size) and double, and so does how
 * far ahead of the reader they reach (up to the whole buffer, at least two reads' worth), so the
 * host always has the next window to read while the reader copies out of the last one.
 *
 * Coherence: before it asks, the reader notes the file's word of the sandbox's file epoch table
 * (and word 0). The host bumps a file's word before any change to its content, by any process
 * of the sandbox, so a window is used only while both words are unchanged; otherwise it is
 * dropped and the read goes to the host. A window never answers past what it holds: a read at
 * or past its end (the end of the file when it was read) asks the host, so appended data shows
 * at once. Writes by programs outside the sandbox to a chroot mount may be seen up to one window
 * late (up to the buffer, 4 MiB); the mount's `readahead = false` turns all of this off.
 */
import type { PalClient } from "../../pal/guest/client.ts";

/** Larger reads are left alone: one call already carries enough bytes to pay for itself, and
 * cycling through the cache buffer (instead of reusing the call page's bulk area) cost more
 * than the overlap won (read 1 MiB chroot: 0.50–0.77 of real Deno with read-ahead, 0.78–0.82
 * without, same VM, same day). */
const MAX_READ = 256 << 10;
/** Largest window (at most the host's MAX_PREFETCH). */
const WINDOW = 512 << 10;
const FIRST = 128 << 10;
/** Handles whose reads are followed (the oldest is forgotten first). */
const MAX_STREAMS = 64;
/** After this many windows voided by writes, a handle stops reading ahead. */
const MAX_VOIDED = 4;
/** Prefetches in flight at once: each holds an asynchronous slot of the call page until it is
 * settled, and the rest must stay free for the thread's asynchronous calls. */
const MAX_POSTED = 2;

interface Window {
  /** Offset of the window in the cache buffer. */
  readonly base: number;
  /** Slot of the prefetch in flight, or -1. */
  slot: number;
  /** Handle the window holds bytes of (-1: none). */
  h: number;
  pos: number;
  /** Bytes asked for. */
  size: number;
  /** Bytes the host read (valid once `slot` is -1). */
  n: number;
  key: number;
  epoch: number;
  all: number;
}

interface Stream {
  /** Where the next sequential read starts. */
  next: number;
  /** Sequential reads in a row. */
  streak: number;
  /** Epoch word (-2 unknown, -1 not cacheable). */
  key: number;
  /** Size of the next window. */
  size: number;
  voided: number;
}

const byClient = new WeakMap<PalClient, ReadAhead>();

/** The read-ahead of a thread's PAL client (null when its sandbox has no epoch table). */
export function readAheadOf(pal: PalClient): ReadAhead | null {
  let ra = byClient.get(pal);
  if (!ra) {
    if (!pal.epochs) return null;
    ra = new ReadAhead(pal, pal.epochs);
    byClient.set(pal, ra);
  }
  return ra;
}

/** Read-ahead state of one thread. */
export class ReadAhead {
  readonly #pal: PalClient;
  readonly #epochs: Int32Array;
  #id = -1;
  #mem: Uint8Array | null = null;
  /** Set when the host refused a cache buffer or a prefetch: no more read-ahead. */
  #broken = false;
  #wins: Window[] = [];
  readonly #streams = new Map<number, Stream>();

  constructor(pal: PalClient, epochs: Int32Array) {
    this.#pal = pal;
    this.#epochs = epochs;
  }

  /** Copy into `buf` what the windows validly hold of handle `h` from `pos` on: the count (a
   * prefix of the request; the caller reads the rest from the host). */
  take(h: number, buf: Uint8Array, pos: number): number {
    const st = this.#streams.get(h);
    const mem = this.#mem;
    if (!st || st.key < 0 || !mem) return 0;
    let got = 0;
    while (got < buf.length) {
      const p = pos + got;
      const w = this.#covering(h, p);
      if (!w || (w.slot >= 0 && !this.#settle(w))) break;
      const end = w.pos + w.n;
      if (p >= end) break;
      if (
        Atomics.load(this.#epochs, w.key) !== w.epoch || Atomics.load(this.#epochs, 0) !== w.all
      ) {
        this.#void(h, st);
        break;
      }
      const k = Math.min(buf.length - got, end - p);
      const at = w.base + (p - w.pos);
      buf.set(mem.subarray(at, at + k), got);
      got += k;
    }
    return got;
  }

  /** Note that a read of `len` bytes at `pos` of `h` got `n`; keep a sequential reader's next
   * windows on their way. */
  after(h: number, pos: number, len: number, n: number): void {
    let st = this.#streams.get(h);
    if (!st) {
      if (this.#streams.size >= MAX_STREAMS) {
        this.forget(this.#streams.keys().next().value!);
      }
      st = { next: -1, streak: 0, key: -2, size: FIRST, voided: 0 };
      this.#streams.set(h, st);
    }
    if (pos === st.next) st.streak++;
    else {
      st.streak = 0;
      st.size = FIRST;
    }
    st.next = pos + n;
    if (n < len || len === 0 || len > MAX_READ || st.streak < 1) return;
    if (st.voided >= MAX_VOIDED || this.#broken) return;
    if (st.key === -2) st.key = this.#keyOf(h);
    if (st.key < 0 || !this.#ensureMem()) return;
    const reach = Math.min(this.#wins.length * WINDOW, Math.max(2 * len, FIRST << st.streak));
    if (len > reach >> 1) return; // reads this large gain nothing from a window or two
    // Collect prefetches that have arrived: their slots go back to the page.
    let posted = 0;
    for (const w of this.#wins) {
      if (w.slot >= 0 && this.#pal.isDone(w.slot)) this.#settle(w);
      if (w.slot >= 0) posted++;
    }
    // The windows already ahead of the reader, back to back from `next`.
    let front = st.next;
    for (let w = this.#covering(h, front); w; w = this.#covering(h, front)) {
      if (w.slot < 0 && w.n < w.size) return; // it reached the end of the file
      front = w.pos + w.size;
    }
    while (front - st.next < reach && posted < MAX_POSTED) {
      const w = this.#spare(h, st.next, front);
      if (!w) return;
      if (w.slot >= 0) {
        this.#settle(w); // the host may still be writing into it
        posted--;
      }
      w.h = -1;
      const size = Math.min(WINDOW, Math.max(st.size, len));
      const epoch = Atomics.load(this.#epochs, st.key);
      const all = Atomics.load(this.#epochs, 0);
      let slot: number;
      try {
        slot = this.#pal.post("stream_prefetch", h, front, size, this.#id, w.base);
      } catch {
        this.#broken = true;
        return;
      }
      if (slot < 0) return; // every asynchronous slot is busy: no read-ahead this time
      Object.assign(w, { slot, h, pos: front, size, n: 0, key: st.key, epoch, all });
      posted++;
      st.size = Math.min(WINDOW, st.size * 2);
      front += size;
    }
  }

  /** `h` is closed (its number may come back for another file): drop what it has, and give
   * back the slots of its prefetches. */
  forget(h: number): void {
    this.#streams.delete(h);
    for (const w of this.#wins) {
      if (w.h !== h) continue;
      if (w.slot >= 0) this.#settle(w);
      w.h = -1;
    }
  }

  #covering(h: number, p: number): Window | undefined {
    for (const w of this.#wins) if (w.h === h && w.pos <= p && p < w.pos + w.size) return w;
    return undefined;
  }

  /** A window free for `h`'s next part: empty, behind or past `h`'s reader, or another
   * handle's that has arrived (one in flight for another handle is left to it). */
  #spare(h: number, next: number, front: number): Window | undefined {
    let other: Window | undefined;
    for (const w of this.#wins) {
      if (w.h === -1) return w;
      if (w.h === h) {
        if (w.pos + w.size <= next || w.pos >= front) return w;
      } else if (w.slot < 0) other ??= w;
    }
    return other;
  }

  /** Wait for the window's prefetch; false (and the window dropped) if it failed. */
  #settle(w: Window): boolean {
    const slot = w.slot;
    w.slot = -1;
    try {
      const n = this.#pal.settle(slot, "stream_prefetch");
      if (!Number.isInteger(n) || n < 0 || n > w.size) throw new RangeError("bad prefetch count");
      w.n = n;
      return true;
    } catch {
      // The read itself will ask the host and report whatever went wrong.
      w.h = -1;
      w.n = 0;
      return false;
    }
  }

  #void(h: number, st: Stream): void {
    st.voided++;
    st.size = FIRST;
    for (const w of this.#wins) if (w.h === h) w.h = -1;
  }

  #keyOf(h: number): number {
    try {
      return this.#pal.call("stream_cache_key", h);
    } catch {
      return -1;
    }
  }

  #ensureMem(): boolean {
    if (this.#mem) return true;
    try {
      this.#id = this.#pal.call("stream_cache_open");
      const sab = this.#pal.takeMessage();
      if (
        !(sab instanceof SharedArrayBuffer) || sab.byteLength < 2 * WINDOW ||
        sab.byteLength > 64 << 20
      ) {
        throw new RangeError("bad read-ahead buffer");
      }
      this.#mem = new Uint8Array(sab);
      this.#wins = Array.from({ length: Math.floor(sab.byteLength / WINDOW) }, (_, i) => ({
        base: i * WINDOW,
        slot: -1,
        h: -1,
        pos: 0,
        size: 0,
        n: 0,
        key: 0,
        epoch: 0,
        all: 0,
      }));
      return true;
    } catch {
      this.#broken = true;
      return false;
    }
  }
}
