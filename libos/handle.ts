/**
 * libOS handles: the objects fds point to (through an open file description, fd_table.ts).
 * A handle is refcounted and typed by `kind`; operations a kind does not support answer the
 * errno Linux gives for them. Concrete kinds live next to their file system (vfs/host_fs.ts,
 * vfs/dev_fs.ts, vfs/mem_file.ts) or their IPC object (pipe_handle.ts).
 */
import { Errno, ErrnoError } from "./errno.ts";
import type { Dirent, Stat } from "./sys/types.ts";

/** The kinds of handle. */
export type HandleKind = "file" | "dir" | "dev" | "pipe" | "socket";

/** Readiness of a handle for poll(2). */
export interface Readiness {
  readable: boolean;
  writable: boolean;
  hup: boolean;
  err: boolean;
}

/** Common behaviour; subclasses override what their kind supports. */
export abstract class Handle {
  abstract readonly kind: HandleKind;
  /** Whether the handle has a file position (lseek, pread) — false for pipes and devices. */
  abstract readonly seekable: boolean;
  /** Open file descriptions referring to this handle; the last release closes it. */
  #refs = 1;

  /** @param path the guest path the handle was opened as ("pipe:[n]" for anonymous ones) */
  constructor(readonly path: string) {}

  /** Take another reference. */
  retain(): this {
    if (this.#refs <= 0) throw new ErrnoError(Errno.EBADF, "handle already closed", this.path);
    this.#refs++;
    return this;
  }

  /** Drop a reference; the last one closes the underlying object. */
  release(): void {
    if (this.#refs <= 0) return;
    if (--this.#refs === 0) this.close();
  }

  /** Live references (tests, /proc). */
  get refs(): number {
    return this.#refs;
  }

  /** Read at `pos` (or the stream position when `pos` is null). @returns bytes read, 0 = EOF */
  read(_buf: Uint8Array, _pos: number | null): number {
    throw new ErrnoError(Errno.EINVAL, "cannot read this object", this.path);
  }
  /** Read without blocking the event loop; defaults to the synchronous read. */
  readAsync(buf: Uint8Array, pos: number | null): Promise<number> {
    return Promise.resolve(this.read(buf, pos));
  }
  /** Write at `pos` (null: stream position or append). @returns bytes written */
  write(_buf: Uint8Array, _pos: number | null): number {
    throw new ErrnoError(Errno.EINVAL, "cannot write this object", this.path);
  }
  /** Write without blocking the event loop; defaults to the synchronous write. */
  writeAsync(buf: Uint8Array, pos: number | null): Promise<number> {
    return Promise.resolve(this.write(buf, pos));
  }
  /** fstat(2). */
  abstract stat(): Stat;
  /** ftruncate(2). */
  truncate(_len: number): void {
    throw new ErrnoError(Errno.EINVAL, "cannot truncate this object", this.path);
  }
  /** fsync(2). */
  sync(): void {}
  /** Set times (ms; null leaves one unchanged). */
  setTimes(_atimeMs: number | null, _mtimeMs: number | null): void {
    throw new ErrnoError(Errno.EPERM, "cannot set times of this object", this.path);
  }
  /** flock(2) (`op` checked): only files of host mounts can be locked. */
  flock(_op: number): void {
    throw new ErrnoError(Errno.EINVAL, "cannot lock this object", this.path);
  }
  /** `flock` that waits without blocking the thread. */
  flockAsync(op: number): Promise<void> {
    return Promise.resolve(this.flock(op));
  }
  /** fchmod(2): set the permission bits. */
  chmod(_mode: number): void {
    throw new ErrnoError(Errno.EPERM, "cannot change the mode of this object", this.path);
  }
  /** Directory entries after `cookie`. */
  readdir(_cookie: number): { entries: Dirent[]; eof: boolean } {
    throw new ErrnoError(Errno.ENOTDIR, undefined, this.path);
  }
  /** Poll state; regular files are always ready. */
  readiness(): Readiness {
    return { readable: true, writable: true, hup: false, err: false };
  }
  /** Whether this is a terminal. */
  isatty(): boolean {
    return false;
  }
  /** Set or clear non-blocking mode (pipes, sockets). */
  setNonblocking(_on: boolean): void {}
  /** Release the underlying object; called once, by the last `release`. */
  protected abstract close(): void;
}

/** Build a Stat with defaults for the fields a kind does not track. */
export function makeStat(p: Partial<Stat> & { mode: number }): Stat {
  const size = p.size ?? 0;
  const now = Date.now();
  return {
    dev: p.dev ?? 0,
    ino: p.ino ?? 0,
    mode: p.mode,
    nlink: p.nlink ?? 1,
    uid: p.uid ?? 0,
    gid: p.gid ?? 0,
    rdev: p.rdev ?? 0,
    size,
    blksize: p.blksize ?? 4096,
    blocks: p.blocks ?? Math.ceil(size / 512),
    atimeMs: p.atimeMs ?? now,
    mtimeMs: p.mtimeMs ?? now,
    ctimeMs: p.ctimeMs ?? now,
  };
}
