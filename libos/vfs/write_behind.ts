/**
 * Write-behind for files of host (chroot) mounts: a positioned write of at least `MIN_POST`
 * bytes is copied into the thread's write-behind buffer and posted to the host
 * (`stream_write_from`, a posted call: FlexSC's exception-less call, not waited for), and
 * write(2) returns. The host writes it while the guest prepares the next block, so a stream of
 * writes costs about what the host's own writes cost, not that plus a round trip each.
 *
 * What a program can observe stays what a synchronous write gives:
 * - **Order.** The host runs a page's calls in their order, and runs every page's posted writes
 *   before any other call of the sandbox (pal/host/server.ts): any call made after a write
 *   returned — a read, stat, truncate or close by this or any other process — sees the write.
 * - **Read caches.** Before a write is posted, the writer bumps the file's epoch word
 *   (pal/ring.ts `fileEpochs`): no read cache of the sandbox serves the old bytes after write(2)
 *   returned (libos/vfs/readahead.ts).
 * - **Exit and kill.** A process that exits or is killed with writes still posted has them run
 *   before its call page goes (server.ts `detach`): a write that returned is never lost.
 * - **Errors** of a posted write (the host's disk full, a revoked mount) are reported as Linux
 *   reports writeback errors: by the next write, fsync or close of the same handle (each error
 *   once). A short host write is EIO.
 *
 * Writes at no position (O_APPEND), small writes and writes on tmpfs (whose full-tmpfs ENOSPC
 * must come from write(2) itself) stay synchronous. The buffer (after its control area) is a
 * ring: a post takes the next `len` bytes, and waits for the oldest posts while they overlap.
 * At most `MAX_INFLIGHT` posts hold call slots; the thread's other asynchronous calls keep the
 * rest (and can ask for them back: `PalClient.onSlotsWanted`).
 *
 * **Growing a post.** A write that follows on from the newest post (same handle, the next file
 * position, the next bytes of the buffer, at most `CHUNK` in all) does not take a slot of its
 * own while that post waits: its bytes are copied after the post's and added to the post's
 * extension word (pal/host/stream_cache.ts) by compare-and-swap. The host takes and seals the
 * word when it runs the post, so the CAS succeeds exactly when the host will write these bytes
 * with it; when it fails the bytes, already in place, are posted on their own. While the host is
 * busy writing, a stream of 64 KiB writes thus reaches it as writes of up to 1 MiB.
 * @module
 */
import type { PalClient } from "../../pal/guest/client.ts";
import { Errno, ErrnoError, palToErrno } from "../errno.ts";
import { POST_CTL_BYTES, POST_WORDS } from "../../pal/ring.ts";

/** Smaller writes go to the host synchronously. */
export const MIN_POST = 16 << 10;
/** Most bytes one post carries (the host's `MAX_POST`). */
const CHUNK = 1 << 20;
/** Most posts in flight (of the call page's asynchronous slots). */
const MAX_INFLIGHT = 4;
/** Extension words cycled through (more than `MAX_INFLIGHT`: a word is free again once its
 * post is settled, and posts settle oldest first). */
const WORDS_USED = 2 * MAX_INFLIGHT;
/** Bounds on the buffer the host gives (a bad answer turns write-behind off). */
const MIN_BUFFER = CHUNK;
const MAX_BUFFER = 64 << 20;

interface Post {
  readonly slot: number;
  readonly h: number;
  readonly path: string;
  /** File position and buffer offset of its first byte. */
  readonly pos: number;
  readonly off: number;
  /** Its bytes so far, `ext` of them added by growing it. */
  len: number;
  ext: number;
  /** Its extension word. */
  readonly word: number;
}

const byClient = new WeakMap<PalClient, WriteBehind>();

/** The write-behind of a thread's PAL client (made at its first use). */
export function writeBehindOf(pal: PalClient): WriteBehind {
  let wb = byClient.get(pal);
  if (!wb) {
    wb = new WriteBehind(pal);
    byClient.set(pal, wb);
  }
  return wb;
}

/** The write-behind of a thread's PAL client if it has posted anything, else null. */
export function writeBehindIfAny(pal: PalClient): WriteBehind | null {
  return byClient.get(pal) ?? null;
}

/** Drop the write-behind of `pal` (its buffer is the ending process's: the host's record of it
 * goes with the process's page). */
export function forgetWriteBehind(pal: PalClient): void {
  byClient.delete(pal);
}

/** Posted writes of one thread. */
export class WriteBehind {
  readonly #pal: PalClient;
  #mem: Uint8Array | null = null;
  /** The buffer's extension words. */
  #ctl: Int32Array | null = null;
  /** The extension word the next post takes (posts settle in order, so words cycle). */
  #word = 0;
  #broken = false;
  /** Posts not yet settled, oldest first. */
  readonly #posts: Post[] = [];
  /** Where the next post goes. */
  #head = POST_CTL_BYTES;
  /** The first error of a posted write, by handle, until reported. */
  readonly #errors = new Map<number, ErrnoError>();
  /** Epoch words of handles (0: none), by handle. */
  readonly #keys = new Map<number, number>();

  constructor(pal: PalClient) {
    this.#pal = pal;
    pal.onSlotsWanted.push(() => this.flush());
  }

  /** Posts not yet settled (tests). */
  get pending(): number {
    return this.#posts.length;
  }

  /**
   * Post `buf` for file handle `h` at `pos`. @returns the bytes accepted (all of them), or -1
   * when this thread cannot post (the caller writes synchronously)
   * @throws {ErrnoError} a posted write of `h` failed since its last report
   */
  write(h: number, path: string, buf: Uint8Array, pos: number): number {
    this.#reap();
    this.raise(h);
    const mem = this.#buffer();
    if (!mem) return -1;
    const key = this.#key(h);
    let done = 0;
    while (done < buf.length) {
      let len = Math.min(CHUNK, buf.length - done);
      const last = this.#posts.at(-1);
      const room = last ? this.#room(mem, last, h, pos + done) : 0;
      const grow = room > 0 ? last : undefined;
      if (grow) len = Math.min(len, room);
      const off = grow ? grow.off + grow.len : this.#reserve(mem, len);
      mem.set(buf.subarray(done, done + len), off);
      // Before the write can be seen as done: no read cache serves the old bytes after it.
      if (key > 0) Atomics.add(this.#pal.epochs!, key, 1);
      if (grow && this.#grow(grow, len)) {
        this.#head = off + len;
        done += len;
        continue;
      }
      try {
        this.#post(h, path, pos + done, off, len);
      } catch (e) {
        if (done > 0) return done;
        throw palToErrno(e, path);
      }
      this.#head = off + len;
      done += len;
    }
    return done;
  }

  /** Wait for every posted write (their errors are kept for `raise`). */
  flush(): void {
    while (this.#posts.length > 0) this.#settleOldest();
  }

  /** Throw (once) the error of a posted write of `h`, if one failed. */
  raise(h: number): void {
    const e = this.#errors.get(h);
    if (!e) return;
    this.#errors.delete(h);
    throw e;
  }

  /** `h` is being closed (the host may give its number to another file): wait for every
   * posted write; the error of one of `h`'s that failed, if any. */
  closing(h: number): ErrnoError | undefined {
    this.flush();
    const e = this.#errors.get(h);
    this.#errors.delete(h);
    this.#keys.delete(h);
    return e;
  }

  /** How many bytes a write of `h` at `pos` may add to post `p` (0: none): the post must end
   * where the write starts, in the file and in the buffer, and grows to at most `CHUNK` bytes,
   * short of the buffer's end and of older posts after it (the ring wrapped). */
  #room(mem: Uint8Array, p: Post, h: number, pos: number): number {
    if (p.h !== h || p.pos + p.len !== pos) return 0;
    const at = p.off + p.len;
    let end = Math.min(mem.length, at + CHUNK - p.len);
    for (const q of this.#posts) if (q !== p && q.off >= at && q.off < end) end = q.off;
    return Math.max(0, end - at);
  }

  /** Add `len` bytes (already in place after it) to post `p`: false when the host has
   * taken it. */
  #grow(p: Post, len: number): boolean {
    const ctl = this.#ctl!;
    if (Atomics.compareExchange(ctl, p.word, p.ext, p.ext + len) !== p.ext) return false;
    p.ext += len;
    p.len += len;
    return true;
  }

  /** The buffer, asked for at the first post; null if the host gave none. */
  #buffer(): Uint8Array | null {
    if (this.#mem || this.#broken) return this.#mem;
    try {
      const n = this.#pal.call("stream_post_open");
      const sab = this.#pal.takeMessage();
      if (
        !(sab instanceof SharedArrayBuffer) || sab.byteLength !== n ||
        n < MIN_BUFFER || n > MAX_BUFFER
      ) {
        throw new RangeError("bad write-behind buffer");
      }
      this.#mem = new Uint8Array(sab);
      this.#ctl = new Int32Array(sab, 0, POST_WORDS);
    } catch (_e) {
      this.#broken = true; // writes stay synchronous
    }
    return this.#mem;
  }

  /** The epoch word of `h` (asked once per handle; 0 when its mount has no read cache). */
  #key(h: number): number {
    let key = this.#keys.get(h);
    if (key !== undefined) return key;
    key = 0;
    const epochs = this.#pal.epochs;
    if (epochs) {
      try {
        const r = this.#pal.call("stream_cache_key", h) as { key?: unknown } | number;
        const k = typeof r === "object" && r !== null ? r.key : -1;
        if (Number.isInteger(k) && (k as number) >= 1 && (k as number) < epochs.length) {
          key = k as number;
        }
      } catch (_e) {
        // No word: its mount has no read cache to void.
      }
    }
    this.#keys.set(h, key);
    return key;
  }

  /** Where `len` bytes go: the head, or the start once the head is too near the end; waits for
   * the oldest posts while they overlap it. */
  #reserve(mem: Uint8Array, len: number): number {
    for (;;) {
      const at = this.#head + len <= mem.length ? this.#head : POST_CTL_BYTES;
      if (!this.#posts.some((p) => at < p.off + p.len && p.off < at + len)) return at;
      this.#settleOldest();
    }
  }

  /** Post one write; with no asynchronous slot to take, write it synchronously. */
  #post(h: number, path: string, pos: number, off: number, len: number): void {
    for (;;) {
      if (this.#posts.length < MAX_INFLIGHT) {
        const word = this.#word;
        Atomics.store(this.#ctl!, word, 0);
        const slot = this.#pal.post("stream_write_from", h, pos, off, len, word);
        if (slot >= 0) {
          this.#word = (word + 1) % WORDS_USED;
          this.#posts.push({ slot, h, path, pos, off, len, ext: 0, word });
          return;
        }
      }
      if (this.#posts.length === 0) break;
      this.#settleOldest();
    }
    const n = this.#pal.call("stream_write_from", h, pos, off, len, -1);
    if (n !== len) throw new ErrnoError(Errno.EIO, `short write (${n} of ${len} bytes)`, path);
  }

  /** Settle the posts whose results are in. */
  #reap(): void {
    while (this.#posts.length > 0 && this.#pal.isDone(this.#posts[0]!.slot)) this.#settleOldest();
  }

  #settleOldest(): void {
    const p = this.#posts.shift()!;
    let err: ErrnoError | null = null;
    try {
      const n = this.#pal.settle(p.slot, "stream_write_from");
      if (n !== p.len) {
        err = new ErrnoError(Errno.EIO, `short write (${n} of ${p.len} bytes)`, p.path);
      }
    } catch (e) {
      err = palToErrno(e, p.path);
    }
    if (err && !this.#errors.has(p.h)) this.#errors.set(p.h, err);
  }
}
