/**
 * A picoprocess's address space shared by all its threads (each thread is a Worker): the region
 * table lives in a SharedArrayBuffer, so a mapping one thread makes is seen by every other.
 *
 * The region table (layout, lock, record encoding and validation) is pal/vma_shared_table.ts.
 *
 * Backing: a private region lives in one growable heap SAB at offset `addr - BASE_ADDR` (threads
 * of one process share the heap, so "private" means private to the process). The heap grows as
 * mappings reach further; freed memory stays in it and is zeroed when mapped again. A shared
 * region (MAP_SHARED) is backed by a segment: a SAB of its own that the host makes and keeps
 * (`SegmentHooks`, the `vma_segment` call), named in the table by its id, so every thread (and,
 * after a fork, the child) reaches the **same** memory: a thread that meets an id it has not seen
 * yet asks the host for that SAB. `snapshot` copies the private regions and names the shared ones;
 * pal/vma_snapshot.ts (the snapshot's format) `restoreSpace` maps them again in a fork child.
 *
 * Quota: `alloc` charges the mapped bytes through `QuotaHooks` (in a guest: the host calls
 * `mem_reserve`/`mem_release`, so the host enforces the sandbox quota) before it touches the table
 * or grows the heap; `free` gives them back. A shared segment is charged to the process that made
 * it, while it maps it; inherited ones are not charged again. What JS cannot enforce is as in
 * `pal/vma.ts`: a thread holding the heap SAB can read or write it directly, and can grow it
 * without charging; the V8 heap cap of process isolation bounds that. The table is the process's
 * own memory, so garbage in it harms only that process; the lock wait is bounded, so garbage never
 * hangs a call.
 */
import { PalCode, PalError } from "./errors.ts";
import { BASE_ADDR, checkProt, PAGE_SIZE, Prot, type RegionInfo } from "./vma.ts";
import { info, type Rec, RegionFlag, RegionTable, slice } from "./vma_shared_table.ts";
import type { SharedRegionRef, SpaceSnapshot } from "./vma_snapshot.ts";

/** Charges and returns bytes of the sandbox's memory quota. */
export interface QuotaHooks {
  /** @throws {PalError} QUOTA when the charge would overrun the quota */
  charge(bytes: number): void;
  release(bytes: number): void;
}

/**
 * Shared segments for MAP_SHARED regions, kept by the host so that a fork child (and every thread)
 * reaches the same SAB. In a guest: the `vma_segment` and `vma_segment_drop` calls.
 */
export interface SegmentHooks {
  /** A new zeroed segment of `bytes`. @throws {PalError} QUOTA, INVAL */
  create(bytes: number): { id: number; sab: SharedArrayBuffer };
  /** The SAB of segment `id` this process holds. @throws {PalError} BAD_HANDLE */
  attach(id: number): SharedArrayBuffer;
  /** This process maps segment `id` no more. */
  drop(id: number): void;
}

/** The buffers a thread needs to attach to its process's address space. */
export interface SharedSpaceBuffers {
  readonly table: SharedArrayBuffer;
  readonly heap: SharedArrayBuffer;
}

interface Segment {
  readonly bytes: Uint8Array;
  readonly i32: Int32Array;
}

const pagesOf = (bytes: number) => Math.ceil(bytes / PAGE_SIZE);

/** The address space of one picoprocess, shared by its threads. */
export class SharedAddressSpace {
  readonly #table: RegionTable;
  readonly #heap: SharedArrayBuffer;
  readonly #pages: number;
  readonly #quota: QuotaHooks | null;
  readonly #segments: SegmentHooks | null;
  /** Segments this thread has attached, by id. */
  readonly #segs = new Map<number, Segment>();
  /** Length-tracking views over the growable heap. */
  readonly #bytes: Uint8Array;
  readonly #i32: Int32Array;

  private constructor(
    table: RegionTable,
    heap: SharedArrayBuffer,
    pages: number,
    quota: QuotaHooks | null,
    segments: SegmentHooks | null,
  ) {
    this.#segments = segments;
    this.#table = table;
    this.#heap = heap;
    this.#pages = pages;
    this.#quota = quota;
    this.#bytes = new Uint8Array(heap);
    this.#i32 = new Int32Array(heap);
  }

  /**
   * A new empty space of `maxBytes` (page multiple) above BASE_ADDR, with room for
   * `maxRegions` regions.
   * @throws {PalError} INVAL
   * @example
   * ```ts
   * import { SharedAddressSpace } from "./vma_shared.ts";
   * import { Prot } from "./vma.ts";
   * const as = SharedAddressSpace.create({ maxBytes: 1 << 20, maxRegions: 64, quota: null });
   * const p = as.alloc(100, { prot: Prot.READ | Prot.WRITE });
   * as.write(p, new Uint8Array([1, 2, 3]));
   * as.read(p, 3); // Uint8Array [1, 2, 3]
   * ```
   */
  static create(
    opts: {
      maxBytes: number;
      maxRegions: number;
      quota: QuotaHooks | null;
      /** Needed for shared mappings (`alloc` with `shared`). */
      segments?: SegmentHooks | null;
    },
  ): SharedAddressSpace {
    const { maxBytes, maxRegions } = opts;
    if (!Number.isInteger(maxBytes) || maxBytes <= 0 || maxBytes % PAGE_SIZE !== 0) {
      throw new PalError(PalCode.INVAL, `bad address space size ${maxBytes}`);
    }
    if (!Number.isInteger(maxRegions) || maxRegions < 1 || maxRegions > 1 << 16) {
      throw new PalError(PalCode.INVAL, `bad region capacity ${maxRegions}`);
    }
    const table = RegionTable.create(maxRegions, maxBytes / PAGE_SIZE);
    const heap = new SharedArrayBuffer(0, { maxByteLength: maxBytes });
    return new SharedAddressSpace(
      table,
      heap,
      maxBytes / PAGE_SIZE,
      opts.quota,
      opts.segments ?? null,
    );
  }

  /**
   * The space over buffers received from another thread of the process.
   * @throws {PalError} BAD_MESSAGE for buffers that are not a space's
   */
  static attach(
    bufs: SharedSpaceBuffers,
    quota: QuotaHooks | null,
    segments: SegmentHooks | null = null,
  ): SharedAddressSpace {
    const { table, heap } = bufs ?? {};
    const ok = table instanceof SharedArrayBuffer && heap instanceof SharedArrayBuffer &&
      heap.growable && heap.maxByteLength % PAGE_SIZE === 0 && RegionTable.fits(table);
    if (!ok) throw new PalError(PalCode.BAD_MESSAGE, "address space: bad buffers");
    const pages = heap.maxByteLength / PAGE_SIZE;
    return new SharedAddressSpace(RegionTable.attach(table, pages), heap, pages, quota, segments);
  }

  /**
   * A copy of every private region and its bytes, and the segment of every shared one, taken
   * under the table lock (fork: the child gets these bytes, later writes on either side of a
   * private region are private; shared regions stay one memory).
   */
  snapshot(): SpaceSnapshot {
    return this.#table.exclusive(() => {
      const recs = this.#table.load();
      const priv = recs.filter((r) => !(r.flags & RegionFlag.SHARED));
      const shared = recs.filter((r) => r.flags & RegionFlag.SHARED);
      return {
        maxBytes: this.#pages * PAGE_SIZE,
        maxRegions: this.#table.cap,
        regions: priv.map((r) => ({
          addr: BASE_ADDR + r.page * PAGE_SIZE,
          prot: r.prot,
          bytes: this.#bytes.slice(r.page * PAGE_SIZE, (r.page + r.pages) * PAGE_SIZE),
        })),
        shared: shared.map((r) => ({
          addr: BASE_ADDR + r.page * PAGE_SIZE,
          size: r.pages * PAGE_SIZE,
          prot: r.prot,
          seg: r.seg,
          segPage: r.segPage,
        })),
      };
    });
  }

  /**
   * Map shared region `r` of a parent's snapshot at its address, on the same segment (fork:
   * pal/vma_snapshot.ts `restoreSpace`); uncharged, as the parent's mapping already is.
   * @throws {PalError} INVAL, OVERLAP, NO_MEM (a full region table)
   */
  mapInherited(r: SharedRegionRef): void {
    checkProt(r.prot);
    const pages = r.size / PAGE_SIZE;
    const page = this.#page(r.addr, pages);
    this.#table.locked((recs) => {
      this.#table.checkFree(recs, page, pages);
      if (recs.length >= this.#table.cap) throw new PalError(PalCode.NO_MEM, "region table full");
      const flags = RegionFlag.SHARED | RegionFlag.INHERITED;
      this.#table.insert(recs, {
        page,
        pages,
        prot: r.prot,
        flags,
        seg: r.seg,
        segPage: r.segPage,
      });
    });
  }

  /** The buffers to hand to a new thread. */
  get buffers(): SharedSpaceBuffers {
    return { table: this.#table.buffer, heap: this.#heap };
  }

  /** The backing heap (mapped at BASE_ADDR); see the file header on bypass. */
  get heap(): SharedArrayBuffer {
    return this.#heap;
  }

  /** Bumped by every change to the table (for caches and tests). */
  get generation(): number {
    return this.#table.generation;
  }

  /**
   * Map zeroed memory: charge the quota, place it (first fit, or at `addr`), grow the heap — or,
   * with `shared`, back it with a new segment (MAP_SHARED: a fork child maps the same memory).
   * @param size bytes, rounded up to pages
   * @returns the page-aligned start address
   * @throws {PalError} INVAL (also: shared without segment hooks), OVERLAP (fixed addr taken),
   *   NO_MEM (no room), QUOTA
   */
  alloc(size: number, opts: { addr?: number; prot: number; shared?: boolean }): number {
    checkProt(opts.prot);
    if (!Number.isInteger(size) || size <= 0 || pagesOf(size) > this.#pages) {
      throw new PalError(PalCode.INVAL, `bad mapping size ${size}`);
    }
    const shared = opts.shared === true;
    if (shared && !this.#segments) {
      throw new PalError(PalCode.INVAL, "shared mappings are not available here");
    }
    const pages = pagesOf(size);
    const fixed = opts.addr === undefined ? -1 : this.#page(opts.addr, pages);
    this.#quota?.charge(pages * PAGE_SIZE);
    let seg: { id: number; sab: SharedArrayBuffer } | null = null;
    try {
      if (shared) {
        seg = this.#segments!.create(pages * PAGE_SIZE);
        this.#remember(seg.id, seg.sab);
      }
      return this.#table.locked((recs) => {
        const page = fixed >= 0
          ? this.#table.checkFree(recs, fixed, pages)
          : this.#table.firstFit(recs, pages);
        if (recs.length >= this.#table.cap) throw new PalError(PalCode.NO_MEM, "region table full");
        if (seg) {
          this.#table.insert(recs, {
            page,
            pages,
            prot: opts.prot,
            flags: RegionFlag.SHARED,
            seg: seg.id,
            segPage: 0,
          });
        } else {
          this.#zero(page, pages);
          this.#table.insert(recs, { page, pages, prot: opts.prot, flags: 0, seg: 0, segPage: 0 });
        }
        return BASE_ADDR + page * PAGE_SIZE;
      });
    } catch (e) {
      if (seg) this.#forget(seg.id);
      this.#quota?.release(pages * PAGE_SIZE);
      throw e;
    }
  }

  /**
   * Unmap `[addr, addr+size)`; unmapped pages in the range are ignored (like munmap). A segment
   * no region maps any more is dropped (the host frees it once no process holds it).
   */
  free(addr: number, size: number): void {
    const pages = this.#sizePages(size);
    const from = this.#page(addr, pages), to = from + pages;
    let freed = 0;
    const touched = new Set<number>();
    const gone = this.#table.locked((recs) => {
      const kept: Rec[] = [];
      for (const r of recs) {
        const end = r.page + r.pages;
        if (end <= from || r.page >= to) {
          kept.push(r);
          continue;
        }
        if (!(r.flags & RegionFlag.INHERITED)) {
          freed += Math.min(end, to) - Math.max(r.page, from);
        }
        if (r.flags & RegionFlag.SHARED) touched.add(r.seg);
        if (r.page < from) kept.push(slice(r, r.page, from));
        if (end > to) kept.push(slice(r, to, end));
      }
      if (kept.length > this.#table.cap) throw new PalError(PalCode.NO_MEM, "region table full");
      recs.splice(0, recs.length, ...kept);
      for (const r of kept) if (r.flags & RegionFlag.SHARED) touched.delete(r.seg);
      return touched;
    });
    for (const id of gone) this.#forget(id);
    if (freed > 0) this.#quota?.release(freed * PAGE_SIZE);
  }

  /** Set the protection of `[addr, addr+size)`. @throws {PalError} FAULT if any page unmapped */
  protect(addr: number, size: number, prot: number): void {
    checkProt(prot);
    const pages = this.#sizePages(size);
    const from = this.#page(addr, pages), to = from + pages;
    this.#table.locked((recs) => {
      this.#table.covered(from * PAGE_SIZE, to * PAGE_SIZE, 0);
      const out: Rec[] = [];
      for (const r of recs) {
        const end = r.page + r.pages;
        if (end <= from || r.page >= to) {
          out.push(r);
          continue;
        }
        const a = Math.max(r.page, from), b = Math.min(end, to);
        if (r.page < a) out.push(slice(r, r.page, a));
        out.push({ ...slice(r, a, b), prot });
        if (end > b) out.push(slice(r, b, end));
      }
      if (out.length > this.#table.cap) throw new PalError(PalCode.NO_MEM, "region table full");
      recs.splice(0, recs.length, ...out);
    });
  }

  /** The mapping containing `addr`, or null. */
  query(addr: number): RegionInfo | null {
    if (!Number.isInteger(addr)) throw new PalError(PalCode.INVAL, `bad address ${addr}`);
    return this.#table.locked((recs) => {
      const r = recs.find((x) =>
        x.page * PAGE_SIZE + BASE_ADDR <= addr &&
        addr < (x.page + x.pages) * PAGE_SIZE + BASE_ADDR
      );
      return r ? info(r) : null;
    }, false);
  }

  /** All mappings, by address. */
  regions(): RegionInfo[] {
    return this.#table.locked((recs) => recs.map(info), false);
  }

  /** Copy `len` bytes out. @throws {PalError} FAULT on an unmapped or unreadable page */
  read(addr: number, len: number): Uint8Array {
    const off = this.#span(addr, len);
    return this.#table.exclusive(() => {
      this.#table.covered(off, off + len, Prot.READ);
      const out = new Uint8Array(len);
      this.#pieces(off, off + len, (b, at, n, dst) => out.set(b.subarray(at, at + n), dst));
      return out;
    });
  }

  /** Copy `bytes` in; nothing is written unless every page is writable. @throws {PalError} FAULT */
  write(addr: number, bytes: Uint8Array): void {
    const off = this.#span(addr, bytes.length);
    this.#table.exclusive(() => {
      this.#table.covered(off, off + bytes.length, Prot.WRITE);
      this.#pieces(off, off + bytes.length, (b, at, n, src) => {
        b.set(bytes.subarray(src, src + n), at);
      });
    });
  }

  /**
   * The Int32 word at `addr` for futex calls: 4-byte aligned, mapped and readable. In a shared
   * region it is a word of the segment, so futexes work between processes mapping it.
   * @returns the Int32 view (heap or segment) and the word's index in it
   * @throws {PalError} INVAL (misaligned), FAULT
   */
  word(addr: number): { i32: Int32Array; index: number } {
    const off = this.#span(addr, 4);
    if (off % 4 !== 0) throw new PalError(PalCode.INVAL, `futex address ${addr} not aligned`);
    return this.#table.exclusive(() => {
      this.#table.covered(off, off + 4, Prot.READ);
      let got = { i32: this.#i32, index: off >> 2 };
      this.#pieces(off, off + 4, (_b, at, _n, _d, seg) => {
        if (seg) got = { i32: seg.i32, index: at >> 2 };
      });
      return got;
    });
  }

  // ---- internals -------------------------------------------------------------------------

  #remember(id: number, sab: SharedArrayBuffer): Segment {
    const seg = { bytes: new Uint8Array(sab), i32: new Int32Array(sab, 0, sab.byteLength >> 2) };
    this.#segs.set(id, seg);
    return seg;
  }

  /** Drop segment `id` (no region maps it any more). */
  #forget(id: number): void {
    this.#segs.delete(id);
    try {
      this.#segments?.drop(id);
    } catch (_e) {
      // The host let go of it already (the process is ending): nothing to give back.
    }
  }

  /** Segment `id`, asked of the host the first time this thread meets it. */
  #segment(id: number): Segment {
    const seg = this.#segs.get(id);
    if (seg) return seg;
    if (!this.#segments) throw new PalError(PalCode.FAULT, `segment ${id} is not reachable`);
    return this.#remember(id, this.#segments.attach(id));
  }

  /**
   * Visit the backing of heap offsets `[from, to)`, already checked mapped (under the lock):
   * `fn(bytes, offset in bytes, length, offset from from, segment or null)`.
   */
  #pieces(
    from: number,
    to: number,
    fn: (b: Uint8Array, at: number, n: number, rel: number, seg: Segment | null) => void,
  ): void {
    const recs = this.#table.load();
    let at = from;
    for (const r of recs) {
      const start = r.page * PAGE_SIZE, end = start + r.pages * PAGE_SIZE;
      if (end <= at) continue;
      if (start > at) break;
      const n = Math.min(end, to) - at;
      if (r.flags & RegionFlag.SHARED) {
        const seg = this.#segment(r.seg);
        const sOff = r.segPage * PAGE_SIZE + (at - start);
        if (sOff + n > seg.bytes.length) {
          throw new PalError(PalCode.FAULT, `address ${BASE_ADDR + at} is past its segment`);
        }
        fn(seg.bytes, sOff, n, at - from, seg);
      } else fn(this.#bytes, at, n, at - from, null);
      at += n;
      if (at >= to) return;
    }
    throw new PalError(PalCode.FAULT, `address ${BASE_ADDR + at} is not mapped`);
  }

  /** Make the heap cover pages `[page, page+pages)` with zeroes (under the lock). */
  #zero(page: number, pages: number): void {
    const off = page * PAGE_SIZE, len = pages * PAGE_SIZE, had = this.#heap.byteLength;
    if (off < had) this.#bytes.fill(0, off, Math.min(off + len, had));
    if (off + len > had) {
      try {
        this.#heap.grow(off + len);
      } catch (e) {
        throw new PalError(PalCode.NO_MEM, e instanceof Error ? e.message : String(e));
      }
    }
  }

  /** Validate a page-aligned address whose range of `pages` fits; returns its page index. */
  #page(addr: number, pages: number): number {
    if (!Number.isInteger(addr) || addr % PAGE_SIZE !== 0 || addr < BASE_ADDR) {
      throw new PalError(PalCode.INVAL, `bad address ${addr}`);
    }
    const page = (addr - BASE_ADDR) / PAGE_SIZE;
    if (page + pages > this.#pages) {
      throw new PalError(PalCode.INVAL, "range beyond the address space");
    }
    return page;
  }

  #sizePages(size: number): number {
    if (!Number.isInteger(size) || size <= 0) throw new PalError(PalCode.INVAL, `bad size ${size}`);
    return pagesOf(size);
  }

  /** Validate a byte span; returns its heap offset (may be outside any mapping). */
  #span(addr: number, len: number): number {
    if (!Number.isInteger(addr) || !Number.isInteger(len) || addr < BASE_ADDR || len < 0) {
      throw new PalError(PalCode.FAULT, `bad span ${addr}+${len}`);
    }
    return addr - BASE_ADDR;
  }
}
