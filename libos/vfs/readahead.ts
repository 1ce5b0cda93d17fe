/**
 * The read cache of a thread: blocks of host files that the host read into a shared buffer
 * ahead of a sequential reader (read-ahead), kept in the thread's own memory for the next read
 * of the same bytes.
 *
 * While a process reads a file front to back, the host reads the next blocks of it into the
 * thread's staging buffer (4 MiB of shared memory, `stream_prefetch` on an asynchronous slot),
 * so the process's next read is a copy out of memory while the host already reads the block
 * after it. A read of 256 KiB or more of bytes read before reads through the cache (it asks
 * the host for the blocks it covers; a first one goes straight to the host). When a staged
 * block is used a second time (by another handle, or after the handle left it: a file read
 * once costs no memory), the block moves into private memory (an ordinary ArrayBuffer:
 * copying out of it is a plain memcpy, which a SharedArrayBuffer's relaxed-atomic copy is not)
 * and its staging space is free for the next prefetch. Kept blocks stay, up to the budget `stream_cache_open` answers (the
 * manifest's `fs.read_cache` for a process's first reading thread, none for the others; least
 * recently used go first), so reading a file again, through any handle of the thread, is a
 * copy with no host call at all.
 *
 * Blocks are 512 KiB, aligned on file offsets, and belong to a file *version*: the host's
 * `stream_cache_key(h)` answers the file's word of the sandbox's file epoch table and a version
 * string (device, inode, size, modification and change times), asked once per handle: when it
 * is read ahead, or at its first read if the thread looked up a file by that URI before.
 * Handles whose files have the same version share blocks.
 *
 * Coherence:
 * - Inside the sandbox: before it asks, the reader notes the file's epoch word (and word 0).
 *   The host bumps a file's word before any change to its content, by any process of the
 *   sandbox, so a block is used only while both words are unchanged; otherwise it is dropped
 *   and the read goes to the host. A block never answers past what it holds. The end of the
 *   file: the version's answer also carries the file's size and the word's value as of it; a
 *   read that finds nothing at exactly that size while the words keep their values is answered
 *   end-of-file here, once per handle and position (an append inside the sandbox bumps the word
 *   and shows at once; a second read at the same place asks the host).
 * - Outside the sandbox (chroot): a change by a host program that changes the file's size or
 *   times gives it a new version, so the next handle opened on it (close-to-open, as NFS) reads
 *   it afresh; a handle already open may see such a change up to its reach of read-ahead late,
 *   and an append one read late (a `tail -f` reader's next read at the end asks the host).
 *   The mount's `readahead = false` turns all of this off.
 */
import type { PalClient } from "../../pal/guest/client.ts";

import {
  BLOCK,
  type Block,
  blockId,
  FILL,
  FIRST,
  isInt32,
  type Kept,
  MAX_AHEAD,
  MAX_BUFFER,
  MAX_FILES,
  MAX_KEEP,
  MAX_POSTED,
  MAX_STREAMS,
  MAX_VERSION,
  MAX_VOIDED,
  MIN_LOOKUP,
  type Stream,
} from "./readahead_state.ts";

const byClient = new WeakMap<PalClient, ReadAhead>();

/** The read cache of a thread's PAL client (null when its sandbox has no epoch table). */
export function readAheadOf(pal: PalClient): ReadAhead | null {
  let ra = byClient.get(pal);
  if (!ra) {
    if (!pal.epochs) return null;
    ra = new ReadAhead(pal, pal.epochs);
    byClient.set(pal, ra);
  }
  return ra;
}

/** Drop the read cache of `pal` (its kept blocks and staging buffer: they belong to the
 * process that ends; a recycled Worker's next process starts without). */
export function forgetReadAhead(pal: PalClient): void {
  byClient.delete(pal);
}

/** Read cache and read-ahead state of one thread. */
export class ReadAhead {
  readonly #pal: PalClient;
  readonly #epochs: Int32Array;
  #id = -1;
  #mem: Uint8Array | null = null;
  /** Set when the host refused a cache buffer or a prefetch: no more read-ahead. */
  #broken = false;
  #blocks: Block[] = [];
  /** (fid, block number) → staged block. */
  readonly #index = new Map<number, Block>();
  /** (fid, block number) → kept block, least recently used first; and their budget. */
  readonly #kept = new Map<number, Kept>();
  /** The block last moved to the end of `#kept` (no need to move it again). */
  #lastKept = -1;
  #keep = 0;
  /** Blocks used once from staging, oldest first (admission: see `#admit`). */
  readonly #seen = new Set<number>();
  readonly #streams = new Map<number, Stream>();
  /** Version → fid. */
  readonly #files = new Map<string, number>();
  /** URIs of files whose version the thread looked up. */
  readonly #uris = new Set<string>();
  #nextFid = 0;
  #tick = 0;

  constructor(pal: PalClient, epochs: Int32Array) {
    this.#pal = pal;
    this.#epochs = epochs;
  }

  /** Copy into `buf` what the cache validly holds of handle `h` (file `uri`) from `pos` on
   * (reading through it when the rest is large and was read before): the count, a prefix of
   * the request; the caller reads the rest from the host. */
  take(h: number, uri: string, buf: Uint8Array, pos: number): number {
    let st = this.#streams.get(h);
    if (!st) {
      if (!this.#mem || buf.length < MIN_LOOKUP || !this.#uris.has(uri)) return 0;
      st = this.#stream(h, uri);
    }
    if (st.fid === -2) this.#resolve(h, st);
    const mem = this.#mem;
    if (st.fid < 0 || !mem) return 0;
    let got = 0;
    while (got < buf.length) {
      const p = pos + got;
      const idx = Math.floor(p / BLOCK);
      const id = blockId(st.fid, idx);
      // The bytes come from a kept block, else from a staged one (posted here if need be).
      let from: Uint8Array;
      let base: number;
      let n: number;
      let staged: Block | undefined;
      const kept = this.#kept.get(id);
      if (kept && this.#valid(kept)) {
        if (id !== this.#lastKept) {
          this.#kept.delete(id); // now the most recently used
          this.#kept.set(id, kept);
          this.#lastKept = id;
        }
        [from, base, n] = [kept.data, 0, kept.n];
      } else {
        if (kept) this.#kept.delete(id);
        let b = this.#index.get(id);
        if (!b) {
          if (buf.length - got < FILL || this.#broken || st.voided >= MAX_VOIDED) break;
          const last = Math.floor((pos + buf.length - 1) / BLOCK);
          // Read through only bytes read before (they will be kept): a first read of these
          // blocks goes straight to the host, which copies once less.
          if (this.#keep < BLOCK || !this.#seen.has(id)) {
            if (this.#keep >= BLOCK) {
              for (let i = idx; i <= last; i++) this.#see(blockId(st.fid, i));
            }
            break;
          }
          b = this.#post(h, st, idx);
          if (!b) break;
          // A read across the next block boundary: have the host read that block too.
          if (last > idx && !this.#index.has(id + 1)) this.#post(h, st, idx + 1);
        }
        if (b.slot >= 0 && !this.#settle(b)) break;
        if (!this.#valid(b)) {
          st.voided++;
          this.#drop(b);
          if (buf.length - got < FILL) break;
          continue; // read through again: the new block notes the new epoch
        }
        // A handle's first read in this block counts as a use of it (see `#admit`).
        if (st.lastIdx !== idx) {
          st.lastIdx = idx;
          if (this.#admit(id)) {
            this.#promote(id, b);
            continue;
          }
        }
        b.used = ++this.#tick;
        [from, base, n, staged] = [mem, b.base, b.n, b];
      }
      const end = idx * BLOCK + n;
      if (p >= end) break;
      const k = Math.min(buf.length - got, end - p);
      const at = base + (p - idx * BLOCK);
      buf.set(from.subarray(at, at + k), got);
      got += k;
      // Without a budget to keep blocks, a staged block read to its end is done with (a full
      // one: the last block of a file is asked again at its end, for appended data).
      if (staged && this.#keep < BLOCK && p + k === end && n === BLOCK) this.#drop(staged);
    }
    if (got < buf.length) st.planned = -1; // a miss: plan the read-ahead again
    return got;
  }

  /** Note that a read of `len` bytes at `pos` of `h` got `n`; keep a sequential reader's next
   * blocks on their way. */
  after(h: number, uri: string, pos: number, len: number, n: number): void {
    const st = this.#streams.get(h) ?? this.#stream(h, uri);
    if (pos === st.next) st.streak++;
    else st.streak = 0;
    st.next = pos + n;
    if (n < len || len === 0 || st.streak < 1) return;
    if (st.voided >= MAX_VOIDED || this.#broken) return;
    if (st.fid === -2) this.#resolve(h, st);
    if (st.fid < 0 || !this.#ensureMem()) return;
    if (len >= FILL) return; // the next read reads through the cache itself
    const first = Math.floor(st.next / BLOCK);
    const ahead = Math.min(
      MAX_AHEAD,
      this.#blocks.length >> 1,
      Math.ceil(Math.max(2 * len, FIRST * 2 ** Math.min(st.streak - 1, 8)) / BLOCK),
    );
    if (first === st.planned && ahead <= st.plannedAhead) return;
    // Collect prefetches that have arrived: their slots go back to the page.
    let posted = 0;
    for (const b of this.#blocks) {
      if (b.slot >= 0 && this.#pal.isDone(b.slot)) this.#settle(b);
      if (b.slot >= 0) posted++;
    }
    for (let idx = first; idx < first + ahead; idx++) {
      const held = this.#held(blockId(st.fid, idx));
      if (held === "pending") continue;
      if (held !== undefined) {
        if (held < BLOCK) break; // it reached the end of the file
        continue;
      }
      if (posted >= MAX_POSTED || !this.#post(h, st, idx)) return; // plan again next read
      posted++;
    }
    [st.planned, st.plannedAhead] = [first, ahead];
  }

  /**
   * Whether a read of `h` at `pos` may end there without asking the host: `pos` is the file's
   * size as the handle's version gave it and nothing in the sandbox changed the file since (a
   * host program's change shows as for any cached byte: see the module's coherence notes). A
   * read that found no bytes at all (`empty`) is answered so once per position: asked again at
   * the same place (a `tail -f` reader), the host answers, and sees what was appended.
   */
  atEnd(h: number, pos: number, empty: boolean): boolean {
    const st = this.#streams.get(h);
    if (!st || st.fid < 0 || st.size !== pos) return false;
    if (!this.#valid({ key: st.key, epoch: st.sizeEpoch, all: st.sizeAll })) return false;
    if (empty) {
      if (st.eofAt === pos) return false;
      st.eofAt = pos;
    }
    return true;
  }

  /** `h` is closed (its number may come back for another file): finish its prefetches (the
   * blocks stay, for the file's next reader), and forget its position. */
  forget(h: number): void {
    this.#streams.delete(h);
    for (const b of this.#blocks) if (b.slot >= 0 && b.h === h) this.#settle(b);
  }

  #stream(h: number, uri: string): Stream {
    if (this.#streams.size >= MAX_STREAMS) this.forget(this.#streams.keys().next().value!);
    const st: Stream = {
      next: -1,
      streak: 0,
      fid: -2,
      key: -1,
      voided: 0,
      lastIdx: -1,
      uri,
      size: -1,
      sizeEpoch: 0,
      sizeAll: 0,
      eofAt: -1,
      planned: -1,
      plannedAhead: 0,
    };
    this.#streams.set(h, st);
    return st;
  }

  /** Whether an open of `uri` should ask for the file's version at once (`stream_open_cached`,
   * then `seed`): the thread looked that file up before, so its first read would ask. */
  wants(uri: string): boolean {
    return this.#mem !== null && this.#uris.has(uri);
  }

  /** Word 0 of the epoch table, as noted before a `stream_open_cached` call (for `seed`). */
  noteAll(): number {
    return Atomics.load(this.#epochs, 0);
  }

  /** Take `stream_open_cached`'s answer `r` for the new handle `h` of file `uri` (`all`: word 0
   * noted before the call), as the handle's first read would have asked for it. */
  seed(h: number, uri: string, r: unknown, all: number): void {
    if (this.#streams.has(h)) this.forget(h);
    const st = this.#stream(h, uri);
    st.fid = -1;
    this.#apply(st, r, all);
  }

  /** Ask the host for the file's epoch word and version (one call per handle). */
  #resolve(h: number, st: Stream): void {
    st.fid = -1;
    const all = Atomics.load(this.#epochs, 0);
    let r: unknown;
    try {
      r = this.#pal.call("stream_cache_key", h);
    } catch {
      return;
    }
    this.#apply(st, r, all);
  }

  /** Take a `stream_cache_key` answer (checked: it comes from the host's shared reply). */
  #apply(st: Stream, r: unknown, all: number): void {
    if (r === -1 || typeof r !== "object" || r === null) return;
    const { key, version, size, epoch } = r as Record<string, unknown>;
    if (
      !Number.isInteger(key) || (key as number) < 1 || (key as number) >= this.#epochs.length ||
      typeof version !== "string" || version.length > MAX_VERSION
    ) return;
    if (Number.isSafeInteger(size) && (size as number) >= 0 && isInt32(epoch)) {
      [st.size, st.sizeEpoch, st.sizeAll] = [size as number, epoch as number, all];
    }
    if (this.#files.size >= MAX_FILES || this.#uris.size >= MAX_FILES) this.#startOver();
    let fid = this.#files.get(version);
    if (fid === undefined) {
      fid = this.#nextFid++;
      this.#files.set(version, fid);
    }
    this.#uris.add(st.uri);
    st.fid = fid;
    st.key = key as number;
  }

  /** Forget every file version (their blocks are dropped). */
  #startOver(): void {
    for (const b of this.#blocks) {
      if (b.slot >= 0) this.#settle(b);
      this.#drop(b);
    }
    this.#files.clear();
    this.#uris.clear();
    this.#kept.clear();
    this.#seen.clear();
    for (const st of this.#streams.values()) st.fid = -2;
  }

  /** Post a prefetch of block `idx` of `st`'s file through `h` into the least recently used
   * block: that block, or undefined (no free slot, or no block to take). */
  #post(h: number, st: Stream, idx: number): Block | undefined {
    if (!this.#ensureMem()) return undefined;
    let victim: Block | undefined;
    for (const b of this.#blocks) {
      if (b.slot >= 0) continue;
      if (b.fid === -1) {
        victim = b;
        break;
      }
      if (!victim || b.used < victim.used) victim = b;
    }
    if (!victim) return undefined;
    const epoch = Atomics.load(this.#epochs, st.key);
    const all = Atomics.load(this.#epochs, 0);
    let slot: number;
    try {
      slot = this.#pal.post("stream_prefetch", h, idx * BLOCK, BLOCK, this.#id, victim.base);
    } catch {
      this.#broken = true;
      return undefined;
    }
    if (slot < 0) return undefined; // every asynchronous slot is busy
    this.#drop(victim);
    Object.assign(victim, { slot, h, fid: st.fid, idx, n: 0, key: st.key, epoch, all });
    victim.used = ++this.#tick;
    this.#index.set(blockId(st.fid, idx), victim);
    return victim;
  }

  /** What the cache holds of block `id`: the bytes of a valid kept or staged block, "pending"
   * while its prefetch is in flight, or undefined (an invalid block is dropped). */
  #held(id: number): number | "pending" | undefined {
    const kept = this.#kept.get(id);
    if (kept) {
      if (this.#valid(kept)) return kept.n;
      this.#kept.delete(id);
    }
    const b = this.#index.get(id);
    if (!b) return undefined;
    if (b.slot >= 0) return "pending";
    if (this.#valid(b)) return b.n;
    this.#drop(b);
    return undefined;
  }

  #valid(b: { key: number; epoch: number; all: number }): boolean {
    return Atomics.load(this.#epochs, b.key) === b.epoch &&
      Atomics.load(this.#epochs, 0) === b.all;
  }

  /** Whether a block read from staging should be kept: only at its second use, by another
   * handle or after the handle left it (a file read once, the common case, costs no memory and
   * no copy; a file read again is kept). */
  #admit(id: number): boolean {
    if (this.#keep < BLOCK) return false;
    if (this.#seen.delete(id)) return true;
    this.#see(id);
    return false;
  }

  /** Note a block's first use (the oldest notes are forgotten first). */
  #see(id: number): void {
    this.#seen.delete(id);
    if (this.#seen.size >= 4 * Math.floor(this.#keep / BLOCK)) {
      this.#seen.delete(this.#seen.values().next().value!);
    }
    this.#seen.add(id);
  }

  /** Move a settled, valid staged block into the thread's memory (the budget allows one: see
   * `#admit`), the least recently used kept block making room when the budget is full. */
  #promote(id: number, b: Block): void {
    let data: Uint8Array | undefined;
    if ((this.#kept.size + 1) * BLOCK > this.#keep) {
      const [lru, oldest] = this.#kept.entries().next().value!;
      this.#kept.delete(lru);
      data = oldest.data;
    }
    data ??= new Uint8Array(BLOCK);
    data.set(this.#mem!.subarray(b.base, b.base + b.n));
    this.#kept.set(id, { data, n: b.n, key: b.key, epoch: b.epoch, all: b.all });
    this.#lastKept = id;
    this.#drop(b);
  }

  /** Free a block that has no prefetch in flight. */
  #drop(b: Block): void {
    if (b.fid >= 0 && this.#index.get(blockId(b.fid, b.idx)) === b) {
      this.#index.delete(blockId(b.fid, b.idx));
    }
    b.fid = -1;
    b.n = 0;
  }

  /** Wait for the block's prefetch; false (and the block dropped) if it failed. */
  #settle(b: Block): boolean {
    const slot = b.slot;
    b.slot = -1;
    b.h = -1;
    try {
      const n = this.#pal.settle(slot, "stream_prefetch");
      if (!Number.isInteger(n) || n < 0 || n > BLOCK) throw new RangeError("bad prefetch count");
      b.n = n;
      return true;
    } catch {
      // The read itself will ask the host and report whatever went wrong.
      this.#drop(b);
      return false;
    }
  }

  #ensureMem(): boolean {
    if (this.#mem) return true;
    if (this.#broken) return false;
    try {
      const r = this.#pal.call("stream_cache_open") as { id?: unknown; keep?: unknown };
      const sab = this.#pal.takeMessage();
      if (
        typeof r !== "object" || r === null || !Number.isInteger(r.id) ||
        !Number.isInteger(r.keep) || (r.keep as number) < 0 || (r.keep as number) > MAX_KEEP
      ) {
        throw new RangeError("bad read cache answer");
      }
      this.#id = r.id as number;
      this.#keep = r.keep as number;
      if (
        !(sab instanceof SharedArrayBuffer) || sab.byteLength < 2 * BLOCK ||
        sab.byteLength > MAX_BUFFER
      ) {
        throw new RangeError("bad staging buffer");
      }
      this.#mem = new Uint8Array(sab);
      this.#blocks = Array.from({ length: Math.floor(sab.byteLength / BLOCK) }, (_, i) => ({
        base: i * BLOCK,
        slot: -1,
        h: -1,
        fid: -1,
        idx: 0,
        n: 0,
        key: 0,
        epoch: 0,
        all: 0,
        used: 0,
      }));
      return true;
    } catch {
      this.#broken = true;
      return false;
    }
  }
}
