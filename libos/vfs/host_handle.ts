/**
 * Handles on host objects reached through the PAL: files and directories of host mounts
 * (`file://`, `dir://` streams) and host devices (`dev:stdout` …). Large transfers are cut to
 * the call page's bulk half and copied straight into the caller's buffer (`callInto`).
 */
import type { PalClient } from "../../pal/guest/client.ts";
import { Errno, ErrnoError, palToErrno } from "../errno.ts";
import { Handle, type HandleKind, makeStat } from "../handle.ts";
import { type Dirent, S, type Stat } from "../sys/types.ts";
import { readAheadOf } from "./readahead.ts";
import { MIN_POST, writeBehindIfAny, writeBehindOf } from "./write_behind.ts";

/** S_IF* bits for a PAL file type string. */
export function typeBits(type: unknown): number {
  switch (type) {
    case "file":
      return S.IFREG;
    case "dir":
      return S.IFDIR;
    case "symlink":
      return S.IFLNK;
    case "socket":
      return S.IFSOCK;
    case "fifo":
      return S.IFIFO;
    default:
      return S.IFCHR;
  }
}

/** A PAL time in ns (a stat result decodes it as a bigint: pal/stat_codec.ts), if well-formed. */
function nsOf(v: unknown): bigint | undefined {
  return typeof v === "bigint" && v >= 0n ? v : undefined;
}

/** The `stream_attr_set` attributes for times in ns (null = unchanged). */
export function timeAttrs(atimeNs: bigint | null, mtimeNs: bigint | null): Record<string, string> {
  const attrs: Record<string, string> = {};
  if (atimeNs !== null) attrs.atimeNs = String(atimeNs);
  if (mtimeNs !== null) attrs.mtimeNs = String(mtimeNs);
  return attrs;
}

/** A PAL `FileStat` JSON value as a Stat (with the ns times when the host sends them). */
export function statFromPal(v: unknown): Stat {
  const j = (v ?? {}) as Record<string, unknown>;
  const num = (k: string) => (typeof j[k] === "number" ? j[k] as number : 0);
  const st = makeStat({
    dev: num("dev"),
    ino: num("ino"),
    mode: typeBits(j.type) | (num("mode") & 0o7777),
    nlink: num("nlink"),
    size: num("size"),
    atimeMs: num("atimeMs"),
    mtimeMs: num("mtimeMs"),
    ctimeMs: num("ctimeMs"),
  });
  const [a, m, c] = [nsOf(j.atimeNs), nsOf(j.mtimeNs), nsOf(j.ctimeNs)];
  if (a !== undefined) st.atimeNs = a;
  if (m !== undefined) st.mtimeNs = m;
  if (c !== undefined) st.ctimeNs = c;
  return st;
}

/** Run a PAL call, converting its failure to errno (with the guest path). */
export function pcall<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw palToErrno(e, path);
  }
}

/** Whether `h` is a host-backed handle (it takes times in ns: `setTimesNs`). */
export function isHostHandle(h: Handle): h is HostHandle {
  return h instanceof HostHandle;
}

/** Shared by every host-backed handle: the PAL handle number and I/O through it. */
abstract class HostHandle extends Handle {
  constructor(protected readonly pal: PalClient, readonly palHandle: number, path: string) {
    super(path);
  }

  protected get chunk(): number {
    return Math.max(4096, this.pal.geometry.bulkBytes >> 1);
  }

  override read(buf: Uint8Array, pos: number | null): number {
    let done = 0;
    while (done < buf.length) {
      const len = Math.min(this.chunk, buf.length - done);
      const at = pos === null ? -1 : pos + done;
      const n = pcall(
        this.path,
        () =>
          this.pal.callInto("stream_read", buf.subarray(done, done + len), this.palHandle, at, len),
      );
      done += n;
      if (n < len || !this.seekable) break;
    }
    return done;
  }

  override async readAsync(buf: Uint8Array, pos: number | null): Promise<number> {
    const len = Math.min(this.chunk, buf.length);
    let bytes: Uint8Array;
    try {
      bytes = await this.pal.callAsync("stream_read", this.palHandle, pos ?? -1, len);
    } catch (e) {
      throw palToErrno(e, this.path);
    }
    buf.set(bytes);
    return bytes.length;
  }

  override write(buf: Uint8Array, pos: number | null): number {
    let done = 0;
    while (done < buf.length) {
      const len = Math.min(this.chunk, buf.length - done);
      // No position on a file: an atomic append at its end (stream_write at -1).
      const at = pos === null ? (this.seekable ? -1 : 0) : pos + done;
      const part = buf.subarray(done, done + len);
      done += pcall(this.path, () => this.pal.call("stream_write", this.palHandle, at, part));
    }
    return done;
  }

  override stat(): Stat {
    return statFromPal(pcall(this.path, () => this.pal.call("stream_attr_get", this.palHandle)));
  }

  override setTimes(atimeMs: number | null, mtimeMs: number | null): void {
    const attrs: Record<string, number> = {};
    if (atimeMs !== null) attrs.atimeMs = atimeMs;
    if (mtimeMs !== null) attrs.mtimeMs = mtimeMs;
    pcall(this.path, () => this.pal.call("stream_attr_set", this.palHandle, attrs));
  }

  override chmod(mode: number): void {
    pcall(this.path, () => this.pal.call("stream_attr_set", this.palHandle, { mode }));
  }

  /** setTimes in ns (exact on host mounts); null = unchanged. */
  setTimesNs(atimeNs: bigint | null, mtimeNs: bigint | null): void {
    const attrs = timeAttrs(atimeNs, mtimeNs);
    pcall(this.path, () => this.pal.call("stream_attr_set", this.palHandle, attrs));
  }

  protected close(): void {
    try {
      this.pal.call("stream_close", this.palHandle);
    } catch (e) {
      // The host may have revoked or dropped the handle already; close(2) still succeeds.
      if (palToErrno(e).errno !== Errno.EBADF) throw palToErrno(e, this.path);
    }
  }
}

/** A regular file (or a directory opened without O_DIRECTORY) of a host mount. */
export class HostFileHandle extends HostHandle {
  readonly kind: HandleKind = "file";
  readonly seekable = true;
  #dir: HostDirHandle | null = null;
  #locked = false;

  /**
   * @param uri the `file://` URI, kept to reopen a directory as `dir://` for readdir
   * @param writeBehind whether positioned writes may be posted (write_behind.ts): files of
   *   chroot mounts
   * @param detachClose whether the last close need not wait for the host (PalClient `detach`):
   *   a chroot mount's file open only for reading, whose close no other process can observe
   *   and no error can follow
   */
  constructor(
    pal: PalClient,
    palHandle: number,
    path: string,
    readonly uri: string,
    readonly writeBehind = false,
    readonly detachClose = false,
  ) {
    super(pal, palHandle, path);
  }

  /** flock(2): the host's lock table (sandbox/host/file_locks.ts). A handle that ever locked
   * closes synchronously: its close gives the lock back, which another process may wait for. */
  override flock(op: number): void {
    this.#locked = true;
    pcall(this.path, () => this.pal.call("stream_lock", this.palHandle, op));
  }

  override async flockAsync(op: number): Promise<void> {
    this.#locked = true;
    try {
      await this.pal.callAsync("stream_lock", this.palHandle, op);
    } catch (e) {
      throw palToErrno(e, this.path);
    }
  }

  /** Large positioned writes are posted (write_behind.ts); a posted write's failure is
   * reported here first. */
  override write(buf: Uint8Array, pos: number | null): number {
    if (this.writeBehind && pos !== null && buf.length >= MIN_POST) {
      const n = writeBehindOf(this.pal).write(this.palHandle, this.path, buf, pos);
      if (n >= 0) return n;
    } else {
      writeBehindIfAny(this.pal)?.raise(this.palHandle);
    }
    return super.write(buf, pos);
  }

  /** Positioned reads take what the thread's read-ahead holds first (readahead.ts). */
  override read(buf: Uint8Array, pos: number | null): number {
    const ra = pos === null || buf.length === 0 ? null : readAheadOf(this.pal);
    if (!ra || pos === null) return super.read(buf, pos);
    const got = ra.take(this.palHandle, this.uri, buf, pos);
    let n = got;
    if (got < buf.length && !ra.atEnd(this.palHandle, pos + got, got === 0)) {
      try {
        n += super.read(buf.subarray(got), pos + got);
      } catch (e) {
        if (got === 0) throw e;
      }
    }
    ra.after(this.palHandle, this.uri, pos, buf.length, n);
    return n;
  }

  override truncate(len: number): void {
    pcall(this.path, () => this.pal.call("stream_attr_set", this.palHandle, { size: len }));
  }

  /** fsync: after the posted writes; reports one of theirs that failed. */
  override sync(): void {
    const wb = writeBehindIfAny(this.pal);
    wb?.flush();
    pcall(this.path, () => this.pal.call("stream_flush", this.palHandle));
    wb?.raise(this.palHandle);
  }

  override readdir(cookie: number): { entries: Dirent[]; eof: boolean } {
    if (!this.#dir) {
      if ((this.stat().mode & S.IFMT) !== S.IFDIR) {
        throw new ErrnoError(Errno.ENOTDIR, undefined, this.path);
      }
      const dirUri = "dir" + this.uri.slice("file".length);
      const h = pcall(this.path, () => this.pal.call("stream_open", dirUri, 0, 0));
      this.#dir = new HostDirHandle(this.pal, h, this.path);
    }
    return this.#dir.readdir(cookie);
  }

  /** The last close: after the posted writes; reports one of theirs that failed (the handle
   * is closed all the same). */
  protected override close(): void {
    this.#dir?.release();
    readAheadOf(this.pal)?.forget(this.palHandle);
    if (this.detachClose && !this.#locked && this.pal.detach("stream_close", this.palHandle)) {
      return;
    }
    const err = writeBehindIfAny(this.pal)?.closing(this.palHandle);
    super.close();
    if (err) throw err;
  }
}

/** A directory of a host mount (`dir://`), listed with stable cookies. */
export class HostDirHandle extends HostHandle {
  readonly kind: HandleKind = "dir";
  readonly seekable = true;

  override read(): number {
    throw new ErrnoError(Errno.EISDIR, undefined, this.path);
  }
  override write(): number {
    throw new ErrnoError(Errno.EISDIR, undefined, this.path);
  }

  override readdir(cookie: number): { entries: Dirent[]; eof: boolean } {
    const r = pcall(this.path, () => this.pal.call("stream_readdir", this.palHandle, cookie)) as {
      entries: { name: string; type: string; ino: number; next: number }[];
      eof: boolean;
    };
    return {
      entries: r.entries.map((e) => ({
        name: e.name,
        type: typeBits(e.type),
        ino: e.ino,
        next: e.next,
      })),
      eof: r.eof,
    };
  }
}

/** A host device stream (`dev:stdin`, `dev:stdout`, `dev:stderr`, `dev:tty`). */
export class HostDevHandle extends HostHandle {
  readonly kind: HandleKind = "dev";
  readonly seekable = false;

  /** @param dev the device name, for fstat and isatty */
  constructor(pal: PalClient, palHandle: number, path: string, readonly dev: string) {
    super(pal, palHandle, path);
  }

  override stat(): Stat {
    return { ...super.stat(), mode: S.IFCHR | 0o620, rdev: 0x8800 };
  }

  override write(buf: Uint8Array): number {
    return super.write(buf, null);
  }

  override isatty(): boolean {
    return false;
  }
}
