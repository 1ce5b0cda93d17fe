/**
 * VMAs over SharedArrayBuffer: one `AddressSpace` per picoprocess, page-granular (4096 bytes).
 *
 * Backing: private memory lives in one growable SAB (`maxByteLength` = the space's size) at
 * offset `addr - BASE_ADDR`; it grows as mappings reach further. A shared mapping (anonymous or
 * file-backed) has a SAB of its own, which `share()` exports as `{sab, offset, size}` so another
 * picoprocess can `mapShared` the same memory, and which `fork()` maps again in the child (private
 * mappings are copied). A `Quota` (its own SAB, layout: Int32 `[0]` limit
 * in pages, `[1]` pages charged) is shared by the picoprocesses of a sandbox; charging is a CAS
 * loop, so two processes cannot both overrun it.
 *
 * What JS can enforce: protection, faults and quota hold for the libOS accessors (`read`,
 * `write`, `map*`, `alloc`). JS cannot trap plain loads and stores: a guest holding a raw SAB
 * (the private heap, or a shared region's buffer) can read or write it regardless of `prot`,
 * and a guest can write the quota words directly. Protection is therefore an emulation for the
 * libOS's own use (and for apps that go through it), not an isolation boundary; isolation
 * between sandboxes comes from never giving them each other's SABs. Freed private memory stays
 * in the heap SAB (SABs cannot shrink); the quota counts mapped bytes.
 */
import { PalCode, PalError } from "./errors.ts";

/** Page size in bytes. */
export const PAGE_SIZE = 4096;
/** Lowest mappable address; the pages below it always fault (null-pointer guard). */
export const BASE_ADDR = 0x10000;

/** Protection bits. */
export const Prot = { NONE: 0, READ: 1, WRITE: 2, EXEC: 4 } as const;

const pagesOf = (bytes: number) => Math.ceil(bytes / PAGE_SIZE);

/** A byte budget shared by the picoprocesses of a sandbox. */
export class Quota {
  readonly #w: Int32Array;
  private constructor(readonly sab: SharedArrayBuffer) {
    this.#w = new Int32Array(sab, 0, 2);
  }
  /** A quota of `limitBytes` (rounded up to pages). @throws {PalError} INVAL */
  static create(limitBytes: number): Quota {
    if (!Number.isInteger(limitBytes) || limitBytes < 0 || pagesOf(limitBytes) > 2 ** 31 - 1) {
      throw new PalError(PalCode.INVAL, `bad quota ${limitBytes}`);
    }
    const q = new Quota(new SharedArrayBuffer(8));
    Atomics.store(q.#w, 0, pagesOf(limitBytes));
    return q;
  }
  /** The quota over `sab` received from another Worker. @throws {PalError} INVAL */
  static attach(sab: SharedArrayBuffer): Quota {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength !== 8) {
      throw new PalError(PalCode.INVAL, "quota must be an 8-byte SharedArrayBuffer");
    }
    return new Quota(sab);
  }
  /** Charge `bytes` (rounded up to pages). @throws {PalError} QUOTA when it would overrun */
  charge(bytes: number): void {
    const pages = pagesOf(bytes);
    for (;;) {
      const used = Atomics.load(this.#w, 1);
      const limit = Atomics.load(this.#w, 0);
      if (used < 0 || used + pages > limit) {
        throw new PalError(PalCode.QUOTA, `memory quota of ${limit * PAGE_SIZE} bytes exceeded`);
      }
      if (Atomics.compareExchange(this.#w, 1, used, used + pages) === used) return;
    }
  }
  /** Give back `bytes` charged earlier. */
  release(bytes: number): void {
    const pages = pagesOf(bytes);
    if (Atomics.sub(this.#w, 1, pages) < pages) Atomics.store(this.#w, 1, 0);
  }
  /** Bytes charged now. */
  get usedBytes(): number {
    return Atomics.load(this.#w, 1) * PAGE_SIZE;
  }
  /** The limit in bytes. */
  get limitBytes(): number {
    return Atomics.load(this.#w, 0) * PAGE_SIZE;
  }
}

/** Memory another picoprocess can map: `size` bytes of `sab` from `offset`. */
export interface SharedRegion {
  sab: SharedArrayBuffer;
  offset: number;
  size: number;
}

/** Where and how to map. */
export interface MapOptions {
  /** Fixed page-aligned address; fails with OVERLAP if any page is taken. */
  addr?: number;
  /** `Prot` bits. */
  prot: number;
  /** Anonymous shared memory (exportable with `share()`), instead of private. */
  shared?: boolean;
}

/** A file mapping: private copies `contents` in; shared also writes back on flush/unmap. */
export interface FileMapOptions extends MapOptions {
  /** The file's bytes from `fileOffset`; the mapping is this long, rounded up to pages. */
  contents: Uint8Array;
  /** Offset in the file of `contents[0]` (passed back to `writeBack`). */
  fileOffset?: number;
  /** Required for shared file mappings: store `bytes` at `offset` in the file. */
  writeBack?: (offset: number, bytes: Uint8Array) => void;
}

/** What `query` reports about a mapping. */
export interface RegionInfo {
  start: number;
  size: number;
  prot: number;
  shared: boolean;
  file: boolean;
}

interface FileLink {
  writeBack: (offset: number, bytes: Uint8Array) => void;
  /** File offset of the region's first byte. */
  fileOffset: number;
  /** Bytes of the region that belong to the file (the rest is page padding). */
  fileBytes: number;
}

interface Vma {
  start: number;
  size: number;
  prot: number;
  backing: SharedArrayBuffer;
  backingOffset: number;
  shared: boolean;
  /** Whether this region's bytes were charged to the quota by this space. */
  charged: boolean;
  file: FileLink | null;
}

function fault(what: string): PalError {
  return new PalError(PalCode.FAULT, what);
}

/** The address space of one picoprocess. */
export class AddressSpace {
  readonly #vmas: Vma[] = []; // sorted by start, non-overlapping
  readonly #heap: SharedArrayBuffer;
  readonly #end: number;

  private constructor(maxBytes: number, readonly quota: Quota | null) {
    this.#heap = new SharedArrayBuffer(0, { maxByteLength: maxBytes });
    this.#end = BASE_ADDR + maxBytes;
  }

  /**
   * A new empty address space of `maxBytes` (page multiple) above BASE_ADDR.
   * @param opts.quota the sandbox's quota, or null for none
   * @throws {PalError} INVAL
   * @example
   * ```ts
   * import { AddressSpace, Prot } from "./vma.ts";
   * const as = AddressSpace.create({ maxBytes: 1 << 20, quota: null });
   * const p = as.alloc(100, { prot: Prot.READ | Prot.WRITE });
   * as.write(p, new Uint8Array([1, 2, 3]));
   * as.read(p, 3); // Uint8Array [1, 2, 3]
   * ```
   */
  static create(opts: { maxBytes: number; quota: Quota | null }): AddressSpace {
    const { maxBytes } = opts;
    if (!Number.isInteger(maxBytes) || maxBytes <= 0 || maxBytes % PAGE_SIZE !== 0) {
      throw new PalError(PalCode.INVAL, `bad address space size ${maxBytes}`);
    }
    return new AddressSpace(maxBytes, opts.quota);
  }

  /** The private-memory backing (mapped at BASE_ADDR); see the file header on bypass. */
  get heap(): SharedArrayBuffer {
    return this.#heap;
  }

  /**
   * Map anonymous zeroed memory.
   * @param size bytes, rounded up to pages
   * @returns the page-aligned start address
   * @throws {PalError} INVAL, OVERLAP (fixed addr taken), NO_MEM (no room), QUOTA
   */
  alloc(size: number, opts: MapOptions): number {
    const start = this.#place(size, opts);
    return this.#map(start, pagesOf(size) * PAGE_SIZE, opts, null).start;
  }

  /**
   * Map a file's bytes: private mappings copy `contents` in; shared ones also call
   * `writeBack` on `flush` and unmap.
   * @returns the start address
   * @throws {PalError} INVAL, OVERLAP, NO_MEM, QUOTA
   */
  mapFile(opts: FileMapOptions): number {
    const { contents, fileOffset = 0, writeBack } = opts;
    if (!(contents instanceof Uint8Array) || contents.length === 0) {
      throw new PalError(PalCode.INVAL, "file mapping needs contents");
    }
    if (opts.shared && typeof writeBack !== "function") {
      throw new PalError(PalCode.INVAL, "shared file mapping needs writeBack");
    }
    if (!Number.isInteger(fileOffset) || fileOffset < 0) {
      throw new PalError(PalCode.INVAL, `bad fileOffset ${fileOffset}`);
    }
    const start = this.#place(contents.length, opts);
    const link = opts.shared && writeBack
      ? { writeBack, fileOffset, fileBytes: contents.length }
      : null;
    const vma = this.#map(start, pagesOf(contents.length) * PAGE_SIZE, opts, link);
    new Uint8Array(vma.backing, vma.backingOffset, contents.length).set(contents);
    return start;
  }

  /**
   * Map memory exported by another picoprocess's `share()`. Not charged to the quota.
   * @throws {PalError} INVAL for a malformed region, OVERLAP, NO_MEM
   */
  mapShared(region: SharedRegion, opts: { addr?: number; prot: number }): number {
    const { sab, offset, size } = region ?? {};
    const ok = sab instanceof SharedArrayBuffer && Number.isInteger(offset) &&
      Number.isInteger(size) && offset % PAGE_SIZE === 0 && size > 0 && size % PAGE_SIZE === 0 &&
      offset >= 0 && offset + size <= sab.byteLength;
    if (!ok) throw new PalError(PalCode.INVAL, "bad shared region");
    const start = this.#place(size, opts);
    this.#insert({
      start,
      size,
      prot: opts.prot,
      backing: sab,
      backingOffset: offset,
      shared: true,
      charged: false,
      file: null,
    });
    return start;
  }

  /** Export the shared mapping containing `addr`. @throws {PalError} FAULT, INVAL if private */
  share(addr: number): SharedRegion {
    const v = this.#vmas[this.#find(addr)];
    if (v === undefined) throw fault(`share: ${addr} is not mapped`);
    if (!v.shared) throw new PalError(PalCode.INVAL, "share: private mapping");
    return { sab: v.backing, offset: v.backingOffset, size: v.size };
  }

  /** Unmap `[addr, addr+size)`; unmapped pages in the range are ignored (like munmap). */
  free(addr: number, size: number): void {
    const end = this.#range(addr, size);
    this.#splitAt(addr);
    this.#splitAt(end);
    for (let i = this.#vmas.length - 1; i >= 0; i--) {
      const v = this.#vmas[i]!;
      if (v.start < addr || v.start >= end) continue;
      this.#vmas.splice(i, 1);
      this.#writeBack(v, v.start, v.size);
      if (v.charged) this.quota?.release(v.size);
    }
  }

  /** Set the protection of `[addr, addr+size)`. @throws {PalError} FAULT if any page unmapped */
  protect(addr: number, size: number, prot: number): void {
    const end = this.#range(addr, size);
    checkProt(prot);
    this.#covered(addr, end, 0);
    this.#splitAt(addr);
    this.#splitAt(end);
    for (const v of this.#vmas) if (v.start >= addr && v.start < end) v.prot = prot;
  }

  /** Write shared file mappings in `[addr, addr+size)` back to their files (msync). */
  flush(addr: number, size: number): void {
    const end = this.#range(addr, size);
    for (const v of this.#vmas) {
      const from = Math.max(addr, v.start), to = Math.min(end, v.start + v.size);
      if (from < to) this.#writeBack(v, from, to - from);
    }
  }

  /** The mapping containing `addr`, or null. */
  query(addr: number): RegionInfo | null {
    const v = this.#vmas[this.#find(addr)];
    return v === undefined ? null : info(v);
  }

  /** All mappings, by address. */
  regions(): RegionInfo[] {
    return this.#vmas.map(info);
  }

  /** Copy `len` bytes out. @throws {PalError} FAULT on an unmapped or unreadable page */
  read(addr: number, len: number): Uint8Array {
    const end = this.#span(addr, len);
    this.#covered(addr, end, Prot.READ);
    const out = new Uint8Array(len);
    this.#each(addr, end, (v, off, at, n) => {
      out.set(new Uint8Array(v.backing, off, n), at - addr);
    });
    return out;
  }

  /** Copy `bytes` in; nothing is written unless every page is writable. @throws {PalError} FAULT */
  write(addr: number, bytes: Uint8Array): void {
    const end = this.#span(addr, bytes.length);
    this.#covered(addr, end, Prot.WRITE);
    this.#each(addr, end, (v, off, at, n) => {
      new Uint8Array(v.backing, off, n).set(bytes.subarray(at - addr, at - addr + n));
    });
  }

  /**
   * The address space of a fork child: private regions are copied into the child's own heap
   * (charged to the same quota), shared ones — anonymous or file-backed — map the **same** SAB in
   * the child (not charged again; a shared file region keeps its write-back, so a flush on either
   * side stores the one copy of the bytes). Later writes to private memory stay private; writes to
   * shared memory are seen by both.
   * @throws {PalError} QUOTA, NO_MEM (nothing is left charged then)
   */
  fork(): AddressSpace {
    const child = new AddressSpace(this.#end - BASE_ADDR, this.quota);
    try {
      for (const v of this.#vmas) {
        if (v.shared) continue;
        const c = child.#map(v.start, v.size, { prot: v.prot }, null);
        new Uint8Array(c.backing, c.backingOffset, v.size)
          .set(new Uint8Array(v.backing, v.backingOffset, v.size));
      }
    } catch (e) {
      child.unmapAll();
      throw e;
    }
    for (const v of this.#vmas) {
      if (v.shared) child.#insert({ ...v, charged: false, file: v.file ? { ...v.file } : null });
    }
    return child;
  }

  /** Unmap everything (process exit): writes back shared files, releases the quota. */
  unmapAll(): void {
    const first = this.#vmas[0], last = this.#vmas.at(-1);
    if (first && last) this.free(first.start, last.start + last.size - first.start);
  }

  // ---- internals -------------------------------------------------------------------------

  /** Choose the start for a new mapping of `size` bytes. */
  #place(size: number, opts: { addr?: number; prot: number }): number {
    checkProt(opts.prot);
    if (!Number.isInteger(size) || size <= 0 || size > this.#end - BASE_ADDR) {
      throw new PalError(PalCode.INVAL, `bad mapping size ${size}`);
    }
    const bytes = pagesOf(size) * PAGE_SIZE;
    if (opts.addr !== undefined) {
      const end = this.#range(opts.addr, bytes);
      if (this.#vmas.some((v) => v.start < end && opts.addr! < v.start + v.size)) {
        throw new PalError(PalCode.OVERLAP, `address ${opts.addr} is taken`);
      }
      return opts.addr;
    }
    let at = BASE_ADDR;
    for (const v of this.#vmas) {
      if (v.start - at >= bytes) break;
      at = Math.max(at, v.start + v.size);
    }
    if (at + bytes > this.#end) throw new PalError(PalCode.NO_MEM, "address space full");
    return at;
  }

  /** Create and insert an anonymous (private or shared) mapping; charges the quota. */
  #map(start: number, size: number, opts: MapOptions, file: FileLink | null): Vma {
    this.quota?.charge(size);
    try {
      const shared = opts.shared === true;
      const backing = shared ? new SharedArrayBuffer(size) : this.#growHeap(start, size);
      const v: Vma = {
        start,
        size,
        prot: opts.prot,
        backing,
        backingOffset: shared ? 0 : start - BASE_ADDR,
        shared,
        charged: true,
        file,
      };
      this.#insert(v);
      return v;
    } catch (e) {
      this.quota?.release(size);
      if (e instanceof RangeError) throw new PalError(PalCode.NO_MEM, e.message);
      throw e;
    }
  }

  /** Make the heap cover `[start, start+size)` with zeroes. */
  #growHeap(start: number, size: number): SharedArrayBuffer {
    const off = start - BASE_ADDR, had = this.#heap.byteLength;
    if (off < had) new Uint8Array(this.#heap, off, Math.min(size, had - off)).fill(0);
    if (off + size > had) this.#heap.grow(off + size);
    return this.#heap;
  }

  #insert(v: Vma): void {
    const i = this.#vmas.findIndex((x) => x.start > v.start);
    this.#vmas.splice(i < 0 ? this.#vmas.length : i, 0, v);
  }

  /** Index of the mapping containing `addr`, or -1. */
  #find(addr: number): number {
    let lo = 0, hi = this.#vmas.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1, v = this.#vmas[mid]!;
      if (addr < v.start) hi = mid - 1;
      else if (addr >= v.start + v.size) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** Split the mapping containing `at` so that a mapping starts at `at`. */
  #splitAt(at: number): void {
    const i = this.#find(at);
    const v = this.#vmas[i];
    if (v === undefined || v.start === at) return;
    const d = at - v.start;
    const right: Vma = { ...v, start: at, size: v.size - d, backingOffset: v.backingOffset + d };
    if (v.file) {
      right.file = { ...v.file, fileOffset: v.file.fileOffset + d };
      right.file.fileBytes = Math.max(0, v.file.fileBytes - d);
      v.file = { ...v.file, fileBytes: Math.min(v.file.fileBytes, d) };
    }
    v.size = d;
    this.#vmas.splice(i + 1, 0, right);
  }

  /** Throw FAULT unless `[addr, end)` is mapped throughout with all of `need` prot bits. */
  #covered(addr: number, end: number, need: number): void {
    this.#each(addr, end, (v, _off, at) => {
      if ((v.prot & need) !== need) throw fault(`access to ${at} violates protection`);
    });
  }

  /** Visit the pieces of `[addr, end)`: (mapping, backing offset, address, length). */
  #each(addr: number, end: number, fn: (v: Vma, off: number, at: number, n: number) => void) {
    let at = addr;
    while (at < end) {
      const v = this.#vmas[this.#find(at)];
      if (v === undefined) throw fault(`address ${at} is not mapped`);
      const n = Math.min(end, v.start + v.size) - at;
      fn(v, v.backingOffset + (at - v.start), at, n);
      at += n;
    }
  }

  #writeBack(v: Vma, from: number, len: number): void {
    if (!v.file) return;
    const d = from - v.start;
    const n = Math.min(len, v.file.fileBytes - d);
    if (n <= 0) return;
    const bytes = new Uint8Array(v.backing, v.backingOffset + d, n).slice();
    v.file.writeBack(v.file.fileOffset + d, bytes);
  }

  /** Validate a page range; returns its end. */
  #range(addr: number, size: number): number {
    if (!Number.isInteger(addr) || addr % PAGE_SIZE !== 0 || addr < BASE_ADDR) {
      throw new PalError(PalCode.INVAL, `bad address ${addr}`);
    }
    if (!Number.isInteger(size) || size <= 0) throw new PalError(PalCode.INVAL, `bad size ${size}`);
    const end = addr + pagesOf(size) * PAGE_SIZE;
    if (end > this.#end) throw new PalError(PalCode.INVAL, "range beyond the address space");
    return end;
  }

  /** Validate a byte span for read/write; returns its end. */
  #span(addr: number, len: number): number {
    if (!Number.isInteger(addr) || !Number.isInteger(len) || addr < 0 || len < 0) {
      throw new PalError(PalCode.INVAL, `bad span ${addr}+${len}`);
    }
    return addr + len;
  }
}

/** @throws {PalError} INVAL unless `prot` is a combination of Prot bits */
export function checkProt(prot: number): void {
  if (!Number.isInteger(prot) || prot < 0 || prot > 7) {
    throw new PalError(PalCode.INVAL, `bad prot ${prot}`);
  }
}

function info(v: Vma): RegionInfo {
  return { start: v.start, size: v.size, prot: v.prot, shared: v.shared, file: v.file !== null };
}
