/**
 * Host handlers of the Streams category: file:, dir:, dev: and tcp:/tcp.srv: URIs.
 * Calls: stream_open, stream_read, stream_write, stream_map, stream_attr_query, stream_attr_get,
 * stream_attr_set, stream_attr_set_uri, stream_flush, stream_delete, stream_rename, stream_close,
 * stream_wait_events, stream_readdir, stream_link, stream_symlink, stream_readlink,
 * stream_accept, stream_shutdown, stream_statfs, stream_open_cached.
 */
import { OpenFlag, PollBits } from "../abi.ts";
import { PalCode, palCodeName, PalError } from "../errors.ts";
import { copyOut } from "../ring.ts";
import type { HostHandlers } from "./dispatch.ts";
import { checkInt, checkMode } from "./fs_path.ts";
import { checkTimeNs, nsOfMs } from "./fs_time.ts";
import type { FileStat } from "./fs_types.ts";
import { closeHandle, type HostHandle } from "./handles.ts";
import { netHandlers, openNet, readinessOf } from "./net.ts";
import type { BoundMount, HostProcess } from "./owner.ts";
import { isFifoMode } from "./tmpfs.ts";
import { cacheKey, fileChanged, pathChanged, writeFile } from "./stream_cache.ts";
import { parseUri } from "./uri.ts";
import { needingNodeFs } from "./lazy_node.ts";

const MAX_IO_BYTES = 16 << 20;
const READDIR_INLINE_BUDGET = 3000;
const READDIR_BULK_BUDGET = 256 * 1024;

function mountOf(p: HostProcess, id: number): BoundMount {
  const m = p.services.mount(id);
  if (!m) throw new PalError(PalCode.NOT_FOUND, `no mount ${id}`);
  return m;
}

/** The bound mount and relative path of a `file:` or `dir:` URI. @throws {PalError} INVAL, NOT_FOUND */
export function fsTarget(p: HostProcess, uri: string): { m: BoundMount; rel: string } {
  const u = parseUri(uri);
  if (u.scheme !== "file" && u.scheme !== "dir") {
    throw new PalError(PalCode.INVAL, "expected a file: or dir: URI");
  }
  return { m: mountOf(p, u.mount), rel: u.rel };
}

/** Whether `rel` names a FIFO (a marked tmpfs node or a chroot mount's emulated one). */
function isFifo(m: BoundMount, rel: string): boolean {
  try {
    const st = m.backend.lstat(rel);
    return st.type === "fifo" || (m.kind === "tmpfs" && st.type === "file" && isFifoMode(st.mode));
  } catch {
    return false; // the open below reports the error
  }
}

const DEV_STAT: FileStat = {
  type: "other",
  size: 0,
  ino: 1,
  nlink: 1,
  mode: 0o666,
  dev: 5,
  atimeMs: 0,
  mtimeMs: 0,
  ctimeMs: 0,
};

function openFs(p: HostProcess, uri: string, flags: number, mode: number): HostHandle {
  const u = parseUri(uri);
  if (u.scheme !== "file" && u.scheme !== "dir") throw new PalError(PalCode.INVAL, "bad URI");
  let m: BoundMount;
  try {
    m = mountOf(p, u.mount);
  } catch (e) {
    const reason = e instanceof PalError ? palCodeName(e.code).toLowerCase() : "error";
    p.services.audit(p.pid, { what: "open", target: uri, result: "denied", reason });
    throw e;
  }
  const mutating = OpenFlag.WRITE | OpenFlag.CREATE | OpenFlag.TRUNC | OpenFlag.APPEND;
  if (m.readonly && (flags & mutating) && !(flags & OpenFlag.EXCL) && isFifo(m, u.rel)) {
    // A FIFO holds no data on the mount: it opens for writing on a read-only mount too (Linux).
    // The libOS then rendezvouses through `fifo:` (sandbox/host/named_pipes.ts).
    throw new PalError(PalCode.NOT_SUPPORTED, "a FIFO");
  }
  if (m.readonly && (flags & mutating)) {
    p.services.audit(p.pid, { what: "open", target: uri, result: "denied", reason: "read-only" });
    throw new PalError(PalCode.READ_ONLY, "read-only mount");
  }
  if (u.scheme === "dir") {
    if (flags & OpenFlag.CREATE) m.backend.mkdir(u.rel, mode & 0o7777);
    else m.backend.open(u.rel, { read: true, directory: true }, 0).close();
    return { kind: "dir", fs: m.backend, rel: u.rel, uri, snapshot: null };
  }
  const read = (flags & OpenFlag.READ) !== 0;
  const write = (flags & (OpenFlag.WRITE | OpenFlag.APPEND)) !== 0;
  const file = m.backend.open(u.rel, {
    read,
    write,
    create: (flags & OpenFlag.CREATE) !== 0,
    excl: (flags & OpenFlag.EXCL) !== 0,
    truncate: (flags & OpenFlag.TRUNC) !== 0,
    directory: (flags & OpenFlag.DIRECTORY) !== 0,
  }, mode & 0o7777);
  const hd: HostHandle = {
    kind: "file",
    file,
    fs: m.backend,
    rel: u.rel,
    read,
    write,
    append: (flags & OpenFlag.APPEND) !== 0,
    uri,
    cache: m.readahead,
  };
  if (write && (flags & OpenFlag.TRUNC)) fileChanged(p, hd);
  return hd;
}

/** `stream_open`: a handle of `p` for `uri` (at once for `dev:`, `file:` and `dir:`). */
function openStream(
  p: HostProcess,
  uri: string,
  flags: number,
  mode: number,
): number | Promise<number> {
  checkInt(flags, "flags", 0, 0xffff);
  checkInt(mode, "mode", 0, 0o7777);
  const u = parseUri(uri);
  if (u.scheme === "dev") return p.handles.add({ kind: "dev", dev: u.dev });
  if (u.scheme === "file" || u.scheme === "dir") {
    const h = openFs(p, uri, flags, mode);
    p.services.audit(p.pid, { what: "open", target: uri, result: "granted" });
    return p.handles.add(h);
  }
  if (p.handles.size >= p.handles.limit) {
    throw new PalError(PalCode.TOO_MANY, `handle limit ${p.handles.limit} reached`);
  }
  if (!("host" in u)) throw new PalError(PalCode.INVAL, "bad URI");
  return openNet(p, u).then((h) => p.handles.add(h));
}

/** The Streams handlers. */
export const streamHandlers: HostHandlers<HostProcess> = {
  stream_open(ctx, uri, flags, mode) {
    return openStream(ctx.owner, uri, flags, mode);
  },

  /** `stream_open` of a `file:` URI and `stream_cache_key` of the new handle in one call: a
   * reader opening a file its read cache holds blocks of needs both, and one call wakes the host
   * once (measured on a 2-core VM after a 32 MiB read: each wake and cold call ~120–500 µs). */
  stream_open_cached(ctx, uri, flags, mode) {
    if (!uri.startsWith("file:")) throw new PalError(PalCode.INVAL, "not a file: URI");
    const h = openStream(ctx.owner, uri, flags, mode) as number; // a file: opens at once
    try {
      return { h, ...cacheKey(ctx.owner, h) };
    } catch {
      return { h }; // the file is open: the guest must learn its handle all the same
    }
  },

  stream_read(ctx, h, pos, out) {
    const p = ctx.owner;
    const hd = p.handles.get(h);
    if (out.length > MAX_IO_BYTES) throw new PalError(PalCode.TOO_LONG, "read too large");
    switch (hd.kind) {
      case "file":
        if (!hd.read) throw new PalError(PalCode.BAD_HANDLE, "not open for reading");
        return hd.file.pread(out, checkInt(pos, "position"));
      case "dir":
        throw new PalError(PalCode.IS_DIR, "is a directory");
      case "dev":
        return readDev(p, hd.dev, out);
      default:
        return netHandlers.read(hd, out);
    }
  },

  stream_write(ctx, h, pos, shared) {
    const p = ctx.owner;
    const hd = p.handles.get(h);
    if (hd.kind === "file") {
      // `shared` may be a live view of the call page (SHARED_DATA_CALLS): a file backend only
      // copies it into the file, synchronously, and never looks at what it holds.
      return writeFile(p, hd, shared, pos);
    }
    // Every other sink may keep or inspect the bytes: a private copy first.
    const data = copyOut(shared, 0, shared.length);
    switch (hd.kind) {
      case "dir":
        throw new PalError(PalCode.IS_DIR, "is a directory");
      case "dev":
        if (hd.dev === "stdout" || hd.dev === "tty") p.services.output(p.pid, 1, data);
        else if (hd.dev === "stderr") p.services.output(p.pid, 2, data);
        else if (hd.dev === "stdin") throw new PalError(PalCode.BAD_HANDLE, "stdin is read-only");
        return data.length;
      default:
        return netHandlers.write(hd, data);
    }
  },

  stream_map(ctx, h, offset, out) {
    const hd = ctx.owner.handles.get(h);
    if (hd.kind !== "file" || !hd.read) {
      throw new PalError(PalCode.BAD_HANDLE, "not a readable file");
    }
    if (out.length > MAX_IO_BYTES) throw new PalError(PalCode.TOO_LONG, "mapping too large");
    let n = 0;
    const pos = checkInt(offset, "offset");
    while (n < out.length) {
      const k = hd.file.pread(out.subarray(n), pos + n);
      if (k === 0) break;
      n += k;
    }
    out.fill(0, n);
    return out.length;
  },

  stream_attr_query(ctx, uri) {
    const { m, rel } = fsTarget(ctx.owner, uri);
    return m.backend.lstat(rel);
  },

  stream_attr_get(ctx, h) {
    const hd = ctx.owner.handles.get(h);
    switch (hd.kind) {
      case "file":
        return hd.file.stat();
      case "dir":
        return hd.fs.lstat(hd.rel);
      case "dev":
        return {
          ...DEV_STAT,
          ino: 1 + ["null", "zero", "random", "stdin", "stdout", "stderr", "tty"].indexOf(hd.dev),
        };
      default:
        return { ...DEV_STAT, type: "socket", dev: 6 };
    }
  },

  stream_attr_set(ctx, h, attrs) {
    const hd = ctx.owner.handles.get(h);
    const a = checkAttrs(attrs);
    if (hd.kind === "file") {
      if (a.size !== undefined) {
        if (!hd.write) throw new PalError(PalCode.BAD_HANDLE, "not open for writing");
        fileChanged(ctx.owner, hd);
        hd.file.truncate(a.size);
      }
      if (a.atime !== null || a.mtime !== null || a.mode !== undefined) stillAtPath(hd);
      if (a.atime !== null || a.mtime !== null) hd.fs.utimesNs(hd.rel, a.atime, a.mtime);
      if (a.mode !== undefined) hd.fs.chmod(hd.rel, a.mode);
      return;
    }
    if (hd.kind === "dir") {
      if (a.size !== undefined) throw new PalError(PalCode.IS_DIR, "is a directory");
      if (a.atime !== null || a.mtime !== null) hd.fs.utimesNs(hd.rel, a.atime, a.mtime);
      if (a.mode !== undefined) hd.fs.chmod(hd.rel, a.mode);
      return;
    }
    if (a.size !== undefined) throw new PalError(PalCode.INVAL, "cannot resize this stream");
    if (a.mode !== undefined) {
      throw new PalError(PalCode.NOT_SUPPORTED, "cannot change the mode of this stream");
    }
  },

  stream_attr_set_uri(ctx, uri, attrs) {
    const { m, rel } = fsTarget(ctx.owner, uri);
    const a = checkAttrs(attrs);
    if (a.size !== undefined) {
      pathChanged(ctx.owner, () => m.backend.lstat(rel));
      m.backend.truncate(rel, a.size);
    }
    if (a.atime !== null || a.mtime !== null || a.nofollow) {
      m.backend.utimesNs(rel, a.atime, a.mtime, a.nofollow);
    }
    // chmod follows a final link (SYMLINK; there is no lchmod: libos/sys/path.ts `fchmodat`).
    if (a.mode !== undefined) m.backend.chmod(rel, a.mode);
  },

  stream_flush(ctx, h) {
    const hd = ctx.owner.handles.get(h);
    if (hd.kind === "file") hd.file.sync();
  },

  stream_delete(ctx, uri, isDir) {
    const { m, rel } = fsTarget(ctx.owner, uri);
    if (isDir === 1) m.backend.rmdir(rel);
    else if (isDir === 0) m.backend.unlink(rel);
    else throw new PalError(PalCode.INVAL, "delete kind must be 0 or 1");
  },

  stream_rename(ctx, uri, newUri) {
    const a = fsTarget(ctx.owner, uri);
    const b = fsTarget(ctx.owner, newUri);
    if (a.m !== b.m) throw new PalError(PalCode.CROSS_DEVICE, "rename across mounts");
    a.m.backend.rename(a.rel, b.rel);
  },

  stream_close(ctx, h) {
    closeHandle(ctx.owner.handles.take(h));
  },

  stream_wait_events(ctx, list, timeoutMs) {
    return waitEvents(ctx.owner, list, timeoutMs);
  },

  stream_readdir(ctx, h, cookie) {
    const hd = ctx.owner.handles.get(h);
    if (hd.kind !== "dir") throw new PalError(PalCode.NOT_DIR, "not a directory handle");
    checkInt(cookie, "cookie");
    if (cookie === 0 || hd.snapshot === null) hd.snapshot = hd.fs.readdir(hd.rel);
    const all = hd.snapshot;
    const budget = ctx.slot === 0 ? READDIR_BULK_BUDGET : READDIR_INLINE_BUDGET;
    const entries: { name: string; type: string; ino: number; next: number }[] = [];
    let used = 40;
    let i = cookie;
    for (; i < all.length; i++) {
      const e = all[i]!;
      const cost = e.name.length * 3 + 60;
      if (used + cost > budget && entries.length > 0) break;
      used += cost;
      entries.push({ name: e.name, type: e.type, ino: e.ino, next: i + 1 });
    }
    return { entries, eof: i >= all.length };
  },

  stream_link(ctx, uri, newUri) {
    const a = fsTarget(ctx.owner, uri);
    const b = fsTarget(ctx.owner, newUri);
    if (a.m !== b.m) throw new PalError(PalCode.CROSS_DEVICE, "link across mounts");
    a.m.backend.link(a.rel, b.rel);
  },

  stream_symlink(ctx, target, uri) {
    const { m, rel } = fsTarget(ctx.owner, uri);
    m.backend.symlink(target, rel);
  },

  stream_mkfifo(ctx, uri, mode) {
    const { m, rel } = fsTarget(ctx.owner, uri);
    if (m.readonly) throw new PalError(PalCode.READ_ONLY, "read-only mount");
    checkInt(mode, "mode", 0, 0o777);
    const fifoFs = m.backend as { mkfifo?: (p: string, mode: number) => void };
    // tmpfs marks a node; a chroot mount stores an emulated FIFO (chrootfs_fifo.ts).
    if (typeof fifoFs.mkfifo !== "function") {
      throw new PalError(PalCode.NOT_SUPPORTED, "this mount holds no FIFOs");
    }
    fifoFs.mkfifo(rel, mode);
  },

  stream_readlink(ctx, uri) {
    const { m, rel } = fsTarget(ctx.owner, uri);
    return m.backend.readlink(rel);
  },

  stream_accept(ctx, h) {
    const p = ctx.owner;
    return netHandlers.accept(p.handles.get(h)).then((c) => p.handles.add(c));
  },

  stream_shutdown(ctx, h, how) {
    return netHandlers.shutdown(ctx.owner.handles.get(h), checkInt(how, "how", 1, 3));
  },

  stream_statfs(ctx, uri) {
    const fs = fsTarget(ctx.owner, uri).m.backend;
    return needingNodeFs(() => fs.statfs());
  },
};

/**
 * Times and modes are set by the name a file was opened by (Deno has no fchmod or futimes): only
 * while that name is still this file, never another file moved there since.
 */
function stillAtPath(hd: { file: { stat(): FileStat }; fs: BoundMount["backend"]; rel: string }) {
  const open = hd.file.stat();
  let now: FileStat | null = null;
  try {
    now = hd.fs.lstat(hd.rel);
  } catch (e) {
    if (!(e instanceof PalError) || e.code !== PalCode.NOT_FOUND) throw e;
  }
  if (now === null || now.ino !== open.ino || now.dev !== open.dev) {
    throw new PalError(
      PalCode.NOT_SUPPORTED,
      "the file was renamed or removed since it was opened: set its times or mode by name",
    );
  }
}

/** Attributes of `stream_attr_set[_uri]`: `size`; times as `atimeMs`/`mtimeMs` (ms numbers)
 * or `atimeNs`/`mtimeNs` (ns as decimal strings, which win); `mode`, permission bits (chmod:
 * what a backend keeps of them is its own rule; a final link is followed); `nofollow: true` sets
 * a final symlink's own times (by URI only). Times come back in ns, null = unchanged. */
interface Attrs {
  size?: number;
  mode?: number;
  atime: bigint | null;
  mtime: bigint | null;
  nofollow: boolean;
}

function checkAttrs(v: unknown): Attrs {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new PalError(PalCode.INVAL, "attributes must be an object");
  }
  const out: Attrs = { atime: null, mtime: null, nofollow: false };
  const ms: { atimeMs?: number; mtimeMs?: number } = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === "atimeNs" || k === "mtimeNs") {
      out[k === "atimeNs" ? "atime" : "mtime"] = checkTimeNs(val);
      continue;
    }
    if (k === "nofollow") {
      if (typeof val !== "boolean") throw new PalError(PalCode.INVAL, "bad value for nofollow");
      out.nofollow = val;
      continue;
    }
    if (k === "mode") {
      out.mode = checkMode(val);
      continue;
    }
    if (k !== "size" && k !== "atimeMs" && k !== "mtimeMs") {
      throw new PalError(PalCode.INVAL, `unknown attribute ${k.slice(0, 40)}`);
    }
    if (typeof val !== "number" || !Number.isFinite(val) || val < 0) {
      throw new PalError(PalCode.INVAL, `bad value for ${k}`);
    }
    if (k === "size" && !Number.isSafeInteger(val)) throw new PalError(PalCode.INVAL, "bad size");
    if (k === "size") out.size = val;
    else ms[k] = val;
  }
  if (out.atime === null && ms.atimeMs !== undefined) out.atime = nsOfMs(ms.atimeMs);
  if (out.mtime === null && ms.mtimeMs !== undefined) out.mtime = nsOfMs(ms.mtimeMs);
  return out;
}

function readDev(p: HostProcess, dev: string, out: Uint8Array): number | Promise<number> {
  switch (dev) {
    case "null":
      return 0;
    case "zero":
      out.fill(0);
      return out.length;
    case "random": {
      const n = Math.min(out.length, 65536);
      const tmp = new Uint8Array(n);
      crypto.getRandomValues(tmp);
      out.set(tmp);
      return n;
    }
    case "stdin":
    case "tty":
      return p.services.readStdin(p.pid, out.length).then((chunk) => {
        if (!chunk) return 0;
        const n = Math.min(chunk.length, out.length);
        out.set(chunk.subarray(0, n));
        return n;
      });
    default:
      throw new PalError(PalCode.BAD_HANDLE, `cannot read ${dev}`);
  }
}

async function waitEvents(
  p: HostProcess,
  list: unknown,
  timeoutMs: number,
): Promise<[number, number][]> {
  if (!Array.isArray(list) || list.length > 1024) {
    throw new PalError(PalCode.INVAL, "events must be a list of at most 1024 [handle, bits]");
  }
  const items = list.map((it) => {
    if (!Array.isArray(it) || it.length !== 2) throw new PalError(PalCode.INVAL, "bad event entry");
    const [h, bits] = it as unknown[];
    if (typeof h !== "number" || typeof bits !== "number") {
      throw new PalError(PalCode.INVAL, "bad event entry");
    }
    return { handle: p.handles.get(h), h, bits };
  });
  checkInt(timeoutMs, "timeout", -1, 24 * 3600 * 1000);
  const deadline = timeoutMs < 0 ? Infinity : performance.now() + timeoutMs;
  for (;;) {
    const ready: [number, number][] = [];
    const waits: Promise<unknown>[] = [];
    for (const it of items) {
      const r = readinessOf(p, it.handle, it.bits);
      if (r.bits & (it.bits | PollBits.ERR | PollBits.HUP)) ready.push([it.h, r.bits]);
      if (r.wait) waits.push(r.wait);
    }
    const left = deadline - performance.now();
    if (ready.length > 0 || left <= 0 || waits.length === 0) return ready;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      ...waits,
      new Promise((r) => (timer = setTimeout(r, Math.min(left, 2 ** 31 - 1)))),
    ]);
    clearTimeout(timer);
  }
}
