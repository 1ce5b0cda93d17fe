/**
 * The region table of a shared address space (pal/vma_shared.ts): a SharedArrayBuffer of Int32
 * words holding the sorted region records, its lock, and the encoding, decoding and validation
 * of the records. What backs a region (heap, segments) and the quota are the space's.
 *
 * Layout of the table SAB (Int32 words, documented here only):
 * ```
 * [0] MAGIC  [1] lock (0 free, 1 held, 2 held with waiters)  [2] region count  [3] capacity
 * [4] size of the space in pages  [5] generation (bumped by every change)  [6..7] reserved
 * [8 + 6i ..] region i, sorted by start: first page (counted from BASE_ADDR), pages, prot, flags,
 *             segment id, first page in the segment (the last two for shared regions only)
 * ```
 * Flags: `SHARED` (1) the region is backed by a shared segment; `INHERITED` (2) it came from the
 * parent at fork and was not charged to this process's quota.
 *
 * The table is the process's own memory, so garbage in it harms only that process: records are
 * validated on every load, and the lock wait is bounded, so garbage never hangs a call.
 */
import { PalCode, PalError } from "./errors.ts";
import { BASE_ADDR, PAGE_SIZE, type RegionInfo } from "./vma.ts";

const MAGIC = 0x564d4153; // "VMAS"
const W_LOCK = 1;
const W_COUNT = 2;
const W_CAP = 3;
const W_PAGES = 4;
const W_GEN = 5;
const HEADER_WORDS = 8;
const REC_WORDS = 6;
/** Region flags (table word 3). */
export const RegionFlag = { SHARED: 1, INHERITED: 2 } as const;
const LOCK_TIMEOUT_MS = 5000;

/** One region record, decoded. */
export interface Rec {
  page: number;
  pages: number;
  prot: number;
  flags: number;
  /** Shared regions: the segment and the segment page of the region's first page. */
  seg: number;
  segPage: number;
}

/** Pages `[from, to)` of `r` as a region of their own (protection changes, partial unmaps). */
export function slice(r: Rec, from: number, to: number): Rec {
  const segPage = r.flags & RegionFlag.SHARED ? r.segPage + (from - r.page) : 0;
  return { ...r, page: from, pages: to - from, segPage };
}

/** The region table over one SharedArrayBuffer; the lock is held only inside `exclusive`. */
export class RegionTable {
  readonly #w: Int32Array;
  /** Room for this many records. */
  readonly cap: number;
  /** Size of the space in pages. */
  readonly #pages: number;

  private constructor(w: Int32Array, pages: number) {
    this.#w = w;
    this.cap = (w.length - HEADER_WORDS) / REC_WORDS;
    this.#pages = pages;
  }

  /** A new empty table for a space of `pages` pages with room for `maxRegions` records. */
  static create(maxRegions: number, pages: number): RegionTable {
    const w = new Int32Array(new SharedArrayBuffer((HEADER_WORDS + REC_WORDS * maxRegions) * 4));
    w[W_CAP] = maxRegions;
    w[W_PAGES] = pages;
    Atomics.store(w, 0, MAGIC);
    return new RegionTable(w, pages);
  }

  /** Whether `table` is large enough and word-sized to be a table (checked before `attach`). */
  static fits(table: SharedArrayBuffer): boolean {
    return table.byteLength % 4 === 0 && table.byteLength > (HEADER_WORDS + REC_WORDS) * 4;
  }

  /**
   * The table over `table` (which `fits`) received from another thread, for a space of `pages`.
   * @throws {PalError} BAD_MESSAGE for a table that is not a space's
   */
  static attach(table: SharedArrayBuffer, pages: number): RegionTable {
    const w = new Int32Array(table);
    const cap = (w.length - HEADER_WORDS) / REC_WORDS;
    if (Atomics.load(w, 0) !== MAGIC || !Number.isInteger(cap) || w[W_PAGES] !== pages) {
      throw new PalError(PalCode.BAD_MESSAGE, "address space: bad table");
    }
    return new RegionTable(w, pages);
  }

  /** The table's SharedArrayBuffer (to hand to a new thread). */
  get buffer(): SharedArrayBuffer {
    return this.#w.buffer as SharedArrayBuffer;
  }

  /** Bumped by every change to the table. */
  get generation(): number {
    return Atomics.load(this.#w, W_GEN);
  }

  /** Run `fn` on the region list under the table lock; store it back when `write`. */
  locked<T>(fn: (recs: Rec[]) => T, write = true): T {
    return this.exclusive(() => {
      const recs = this.load();
      const out = fn(recs);
      if (write) this.#store(recs);
      return out;
    });
  }

  /** Run `fn` under the table lock. */
  exclusive<T>(fn: () => T): T {
    this.#lock();
    try {
      return fn();
    } finally {
      this.#unlock();
    }
  }

  #lock(): void {
    const w = this.#w;
    if (Atomics.compareExchange(w, W_LOCK, 0, 1) === 0) return;
    const deadline = performance.now() + LOCK_TIMEOUT_MS;
    for (;;) {
      if (Atomics.exchange(w, W_LOCK, 2) === 0) return;
      const left = deadline - performance.now();
      if (left <= 0) throw new PalError(PalCode.BUSY, "address space table lock timed out");
      Atomics.wait(w, W_LOCK, 2, left);
    }
  }

  #unlock(): void {
    if (Atomics.exchange(this.#w, W_LOCK, 0) === 2) Atomics.notify(this.#w, W_LOCK, 1);
  }

  /** The regions, validated: garbage records (out of range, overlapping) are dropped. */
  load(): Rec[] {
    const w = this.#w;
    const n = Math.max(0, Math.min(Atomics.load(w, W_COUNT), this.cap));
    const recs: Rec[] = [];
    let next = 0;
    for (let i = 0; i < n; i++) {
      const o = HEADER_WORDS + REC_WORDS * i;
      const r: Rec = {
        page: w[o]!,
        pages: w[o + 1]!,
        prot: w[o + 2]! & 7,
        flags: w[o + 3]! & (RegionFlag.SHARED | RegionFlag.INHERITED),
        seg: w[o + 4]!,
        segPage: w[o + 5]!,
      };
      if (r.page < next || r.pages <= 0 || r.page + r.pages > this.#pages) continue;
      if (r.flags & RegionFlag.SHARED ? r.seg <= 0 || r.segPage < 0 : r.flags !== 0) continue;
      recs.push(r);
      next = r.page + r.pages;
    }
    return recs;
  }

  #store(recs: Rec[]): void {
    const w = this.#w;
    recs.forEach((r, i) => {
      const o = HEADER_WORDS + REC_WORDS * i;
      w[o] = r.page;
      w[o + 1] = r.pages;
      w[o + 2] = r.prot;
      w[o + 3] = r.flags;
      w[o + 4] = r.seg;
      w[o + 5] = r.segPage;
    });
    Atomics.store(w, W_COUNT, recs.length);
    Atomics.add(w, W_GEN, 1);
  }

  insert(recs: Rec[], r: Rec): void {
    const i = recs.findIndex((x) => x.page > r.page);
    recs.splice(i < 0 ? recs.length : i, 0, r);
  }

  firstFit(recs: Rec[], pages: number): number {
    let at = 0;
    for (const r of recs) {
      if (r.page - at >= pages) break;
      at = Math.max(at, r.page + r.pages);
    }
    if (at + pages > this.#pages) throw new PalError(PalCode.NO_MEM, "address space full");
    return at;
  }

  checkFree(recs: Rec[], page: number, pages: number): number {
    if (recs.some((r) => r.page < page + pages && page < r.page + r.pages)) {
      throw new PalError(PalCode.OVERLAP, `address ${BASE_ADDR + page * PAGE_SIZE} is taken`);
    }
    return page;
  }

  /**
   * Throw FAULT unless heap offsets `[from, to)` are mapped with all of `need` (under the lock).
   * Reads the shared records in place (no copies: futex calls take this path); a garbage record
   * ends the walk, so garbage can only make an access fault.
   */
  covered(from: number, to: number, need: number): void {
    if (from >= to) return;
    const w = this.#w, n = Math.max(0, Math.min(Atomics.load(w, W_COUNT), this.cap));
    const page = Math.floor(from / PAGE_SIZE);
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1, o = HEADER_WORDS + REC_WORDS * mid;
      if (w[o]! + w[o + 1]! <= page) lo = mid + 1;
      else hi = mid;
    }
    let at = from;
    for (let i = lo; i < n; i++) {
      const o = HEADER_WORDS + REC_WORDS * i, pages = w[o + 1]!;
      const start = w[o]! * PAGE_SIZE, end = start + pages * PAGE_SIZE;
      if (pages <= 0 || start > at || end > this.#pages * PAGE_SIZE) break;
      if ((w[o + 2]! & need) !== need) {
        throw new PalError(PalCode.FAULT, `access to ${BASE_ADDR + at} violates protection`);
      }
      at = end;
      if (at >= to) return;
    }
    throw new PalError(PalCode.FAULT, `address ${BASE_ADDR + at} is not mapped`);
  }
}

/** The public description of record `r`. */
export function info(r: Rec): RegionInfo {
  return {
    start: BASE_ADDR + r.page * PAGE_SIZE,
    size: r.pages * PAGE_SIZE,
    prot: r.prot,
    shared: (r.flags & RegionFlag.SHARED) !== 0,
    file: false,
  };
}
