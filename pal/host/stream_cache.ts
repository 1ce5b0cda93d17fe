/**
 * Read cache support on the host: the calls a guest uses to read a file ahead of its reads and
 * keep what it read (libos/vfs/readahead.ts), and the bumps of the file epoch table that void it.
 *
 * - `stream_cache_open()`: `{id, keep}`: a fresh staging buffer for the calling thread,
 *   transferred on the sync port (at most `MAX_CACHES` per process), and how many bytes of
 *   file data the thread may keep in its own memory (the manifest's `fs.read_cache` for a
 *   process's first buffer, 0 for the others).
 * - `stream_cache_key(h)`: `{key, version, size, epoch}` of file handle `h` (open for reading or
 *   writing): its epoch word, a version string (device, inode, size, modification and change
 *   times: a change by a host program gives the file a new version), the file's size and the
 *   word's value as of that stat (handlers run one at a time and bump before they change a file,
 *   so while the word keeps that value nothing in the sandbox changed the size), or -1 when it
 *   may not be cached (its mount has `readahead = false`). A write-behind writer bumps the word
 *   itself, before it posts (and posts run before any other call).
 * - `stream_open_cached(uri, flags, mode)` (streams.ts): `stream_open` and `stream_cache_key` in
 *   one call.
 * - `stream_prefetch(h, pos, len, cache, off)`: read up to `len` bytes of `h` at `pos` into cache
 *   buffer `cache` at `off`; the count read. It goes through the backend's `pread`, so a trusted
 *   file is verified as for any read.
 *
 * - `stream_post_open()`: the size of a fresh write-behind buffer for the calling thread,
 *   transferred on the sync port (one per call page: `CallContext.openPostBuffer`).
 * - `stream_write_from(h, pos, off, len, word)`: write `len` bytes of that buffer at `off` to
 *   file `h` at `pos` (-1 or an O_APPEND handle: at its end); the count written. A posted call:
 *   the guest's write returned before it runs (libos/vfs/write_behind.ts; ordering in
 *   server.ts). The bytes are opaque: copied into the file, never inspected.
 *   `word` (0 to `POST_WORDS - 1`, or -1 for none) names an *extension word* in the buffer's
 *   control area (its first `POST_CTL_BYTES`): while the post waits, the guest may grow it by
 *   adding bytes to the word with compare-and-swap (its next write, when it follows on in the
 *   file and in the buffer). The handler takes the word's value and seals it (`POST_SEALED`, -1)
 *   in one `Atomics.exchange` before it checks anything: a growth that won its CAS is in this
 *   write, a later one fails and the guest posts those bytes anew.
 *
 * `fileChanged` must run before anything changes a file's content: every write, truncate and
 * O_TRUNC open of the streams handlers calls it.
 * @module
 */
import { PalCode, PalError } from "../errors.ts";
import { POST_CTL_BYTES, POST_SEALED, POST_WORDS } from "../ring.ts";
import type { HostHandlers } from "./dispatch.ts";
import { checkInt } from "./fs_path.ts";
import type { FileStat } from "./fs_types.ts";
import type { HostHandle } from "./handles.ts";
import type { HostProcess } from "./owner.ts";

/** Bytes of a staging buffer (the guest cuts it into 512 KiB blocks). */
export const CACHE_BYTES = 4 << 20;
/** Most bytes a thread may keep (`fs.read_cache` is capped by the schema). */
export const MAX_KEEP_BYTES = 1 << 30;
/** Most bytes one prefetch reads. */
export const MAX_PREFETCH = 1 << 20;
/** Cache buffers per process (one per thread that reads ahead). */
export const MAX_CACHES = 4;
/** Bytes of a write-behind buffer. */
export const POST_BYTES = 4 << 20;
/** Most bytes one posted write carries (with its extension). */
export const MAX_POST = 1 << 20;

const postWords = new WeakMap<SharedArrayBuffer, Int32Array>();

/** Take and seal extension word `word` of `sab`: the bytes the guest added to the post. */
function sealExtension(sab: SharedArrayBuffer, word: number): number {
  if (word === -1) return 0;
  checkInt(word, "extension word", 0, POST_WORDS - 1);
  let ctl = postWords.get(sab);
  if (!ctl) {
    ctl = new Int32Array(sab, 0, POST_WORDS);
    postWords.set(sab, ctl);
  }
  return Atomics.exchange(ctl, word, POST_SEALED);
}

const caches = new WeakMap<HostProcess, SharedArrayBuffer[]>();

type FileHandle = Extract<HostHandle, { kind: "file" }>;

function keyOf(p: HostProcess, hd: FileHandle): number | undefined {
  const e = p.services.epochs;
  if (!e) return undefined;
  hd.key ??= e.keyOf(hd.file.stat());
  return hd.key;
}

/** The content of the file behind `hd` is about to change: void the guests' read-ahead. */
export function fileChanged(p: HostProcess, hd: FileHandle): void {
  const key = keyOf(p, hd);
  if (key !== undefined) p.services.epochs!.bump(key);
}

/**
 * Write `data` to the file behind `hd` (open for writing) at `pos`, or at its end for -1 or an
 * O_APPEND handle (per call, so O_APPEND can be set and cleared): `stream_write` and
 * `stream_write_from`. `data` may be a live view of guest memory: the backend only copies it.
 */
export function writeFile(p: HostProcess, hd: FileHandle, data: Uint8Array, pos: number): number {
  if (!hd.write) throw new PalError(PalCode.BAD_HANDLE, "not open for writing");
  fileChanged(p, hd);
  if (hd.append || pos === -1) return hd.file.append(data);
  return hd.file.pwrite(data, checkInt(pos, "position"));
}

/** Like `fileChanged` for a file named by path: `stat` gives its identity (when it fails,
 * every read-ahead of the sandbox is voided instead). */
export function pathChanged(p: HostProcess, stat: () => FileStat): void {
  const e = p.services.epochs;
  if (!e) return;
  let st: FileStat;
  try {
    st = stat();
  } catch {
    e.bumpAll();
    return;
  }
  if (st.type === "symlink") e.bumpAll(); // the change lands on a file found through it
  else e.bump(e.keyOf(st));
}

function readable(p: HostProcess, h: number): FileHandle {
  const hd = p.handles.get(h);
  if (hd.kind !== "file" || !hd.read) {
    throw new PalError(PalCode.BAD_HANDLE, "not a file open for reading");
  }
  return hd;
}

/** `stream_cache_key`'s answer for handle `h`, or null when it may not be cached. */
export function cacheKey(
  p: HostProcess,
  h: number,
): { key: number; version: string; size: number; epoch: number } | null {
  const hd = p.handles.get(h);
  if (hd.kind !== "file" || (!hd.read && !hd.write)) {
    throw new PalError(PalCode.BAD_HANDLE, "not an open file");
  }
  if (!hd.cache) return null;
  const epochs = p.services.epochs;
  if (!epochs) return null;
  const st = hd.file.stat(); // one stat gives the word (the first time) and the version
  const key = hd.key ??= epochs.keyOf(st);
  const version = [st.dev, st.ino, st.size, st.mtimeNs ?? st.mtimeMs, st.ctimeNs ?? st.ctimeMs]
    .join(":");
  return { key, version, size: st.size, epoch: epochs.value(key) };
}

/** The read-ahead handlers. */
export const streamCacheHandlers: HostHandlers<HostProcess> = {
  stream_cache_open(ctx) {
    const list = caches.get(ctx.owner) ?? [];
    if (list.length >= MAX_CACHES) {
      throw new PalError(PalCode.TOO_MANY, `at most ${MAX_CACHES} read-ahead buffers`);
    }
    const keep = list.length === 0 ? (ctx.owner.services.readCacheBytes ?? 0) : 0;
    const sab = new SharedArrayBuffer(CACHE_BYTES);
    list.push(sab);
    caches.set(ctx.owner, list);
    ctx.transfer(sab);
    return { id: list.length - 1, keep: Math.min(MAX_KEEP_BYTES, keep) };
  },

  stream_cache_key(ctx, h) {
    return cacheKey(ctx.owner, h) ?? -1;
  },

  stream_prefetch(ctx, h, pos, len, id, off) {
    const hd = readable(ctx.owner, h);
    if (!hd.cache) throw new PalError(PalCode.NOT_SUPPORTED, "read-ahead is off for this mount");
    const sab = caches.get(ctx.owner)?.[checkInt(id, "cache", 0, MAX_CACHES - 1)];
    if (!sab) throw new PalError(PalCode.INVAL, `no read-ahead buffer ${id}`);
    checkInt(len, "length", 1, MAX_PREFETCH);
    checkInt(off, "offset", 0, sab.byteLength - len);
    return hd.file.pread(new Uint8Array(sab, off, len), checkInt(pos, "position", 0, 2 ** 52));
  },

  stream_post_open(ctx) {
    const sab = ctx.openPostBuffer(POST_BYTES);
    ctx.transfer(sab);
    return sab.byteLength;
  },

  stream_write_from(ctx, h, pos, off, len, word) {
    const sab = ctx.postBuffer;
    if (!sab) throw new PalError(PalCode.INVAL, "this thread has no write-behind buffer");
    // Sealed before anything is checked: the guest learns the post's final length either way.
    const more = sealExtension(sab, word);
    checkInt(len, "length", 1, MAX_POST);
    if (more < 0 || more > MAX_POST - len) {
      throw new PalError(PalCode.INVAL, `extension word ${word}: ${more} bytes`);
    }
    len += more;
    checkInt(off, "offset", POST_CTL_BYTES, sab.byteLength - len);
    const hd = ctx.owner.handles.get(h);
    if (hd.kind !== "file") throw new PalError(PalCode.BAD_HANDLE, "not a file");
    return writeFile(ctx.owner, hd, new Uint8Array(sab, off, len), pos);
  },
};
