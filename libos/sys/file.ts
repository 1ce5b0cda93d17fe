/**
 * File calls: open, openat, close, read, write, pread, pwrite, readv, writev, lseek, ftruncate,
 * fsync, fdatasync, fstat, futimens, readAsync, writeAsync.
 */
import { Errno, ErrnoError } from "../errno.ts";
import { OpenFile } from "../fd_table.ts";
import type { Kernel } from "../kernel.ts";
import { joinAbs } from "../vfs/path.ts";
import { isHostHandle } from "../vfs/host_handle.ts";
import { walk } from "../vfs/resolve.ts";
import { baseOf, checkBuf, checkMode, checkModeArg, checkNonNeg, timeArg } from "./_util.ts";
import { LOCK, O, type ResolveOptions, SEEK, type Stat, type TimeArg } from "./types.ts";

const KNOWN = O.ACCMODE | O.CREAT | O.EXCL | O.NOCTTY | O.TRUNC | O.APPEND | O.NONBLOCK |
  O.DSYNC | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC | O.SYNC;
/** Status flags kept on the open file description. */
const STATUS = O.ACCMODE | O.APPEND | O.NONBLOCK;

/** openat(2). */
export function openat(
  k: Kernel,
  dirfd: number,
  path: string,
  flags: number,
  mode = 0o666,
  res?: ResolveOptions,
): number {
  if (!Number.isInteger(flags) || (flags & ~KNOWN) !== 0 || (flags & O.ACCMODE) === O.ACCMODE) {
    throw new ErrnoError(Errno.EINVAL, `bad open flags 0o${(flags >>> 0).toString(8)}`, path);
  }
  if ((flags & O.CREAT) && (flags & O.DIRECTORY)) {
    throw new ErrnoError(Errno.EINVAL, "O_CREAT with O_DIRECTORY", path);
  }
  checkMode(mode);
  if (k.fds.size >= k.fds.maxFds) throw new ErrnoError(Errno.EMFILE, undefined, path);
  k.discover(`open ${path} 0o${flags.toString(8)}`);
  const handle = walk(k.mounts, baseOf(k, dirfd), path, {
    follow: (flags & O.NOFOLLOW) === 0,
    beneath: res?.beneath,
  }, (t) => t.mount.fs.open(t.rel, { flags, mode: mode & ~k.umask, path: joinAbs(t.parts) }));
  const of = new OpenFile(handle, flags & STATUS);
  if (flags & O.NONBLOCK) handle.setNonblocking(true);
  try {
    return k.fds.install(of, (flags & O.CLOEXEC) !== 0);
  } catch (e) {
    of.release();
    throw e;
  }
}

/** close(2). */
export function close(k: Kernel, fd: number): void {
  k.fds.close(fd);
}

function readable(k: Kernel, fd: number): OpenFile {
  const of = k.fds.get(fd);
  if (!of.readable) throw new ErrnoError(Errno.EBADF, `fd ${fd} is not open for reading`);
  return of;
}

function writable(k: Kernel, fd: number): OpenFile {
  const of = k.fds.get(fd);
  if (!of.writable) throw new ErrnoError(Errno.EBADF, `fd ${fd} is not open for writing`);
  return of;
}

function position(of: OpenFile): number {
  if (of.offsetAtEnd) {
    of.offset = of.handle.stat().size;
    of.offsetAtEnd = false;
  }
  return of.offset;
}

/** read(2). */
export function read(k: Kernel, fd: number, buf: Uint8Array): number {
  const of = readable(k, fd);
  checkBuf(buf);
  if (!of.handle.seekable) return of.handle.read(buf, null);
  return of.positioned(() => {
    const n = of.handle.read(buf, position(of));
    of.offset += n;
    return n;
  });
}

/** read(2) that lets the event loop run while it waits (pipes, stdin). */
export async function readAsync(k: Kernel, fd: number, buf: Uint8Array): Promise<number> {
  const of = readable(k, fd);
  checkBuf(buf);
  if (of.handle.seekable) return read(k, fd, buf);
  return await of.handle.readAsync(buf, null);
}

/** write(2). */
export function write(k: Kernel, fd: number, buf: Uint8Array): number {
  const of = writable(k, fd);
  checkBuf(buf);
  const h = of.handle;
  if (!h.seekable) return h.write(buf, null);
  return of.positioned(() => {
    if (of.flags & O.APPEND) {
      // No position: the handle appends atomically at the end (the host's append call).
      const n = h.write(buf, null);
      of.offsetAtEnd = true;
      return n;
    }
    const n = h.write(buf, position(of));
    of.offset += n;
    return n;
  });
}

/** write(2) that lets the event loop run while it waits (pipes). */
export async function writeAsync(k: Kernel, fd: number, buf: Uint8Array): Promise<number> {
  const of = writable(k, fd);
  checkBuf(buf);
  if (of.handle.seekable) return write(k, fd, buf);
  return await of.handle.writeAsync(buf, null);
}

/** pread(2). */
export function pread(k: Kernel, fd: number, buf: Uint8Array, pos: number): number {
  const of = readable(k, fd);
  checkBuf(buf);
  if (!of.handle.seekable) throw new ErrnoError(Errno.ESPIPE, `fd ${fd} is not seekable`);
  return of.handle.read(buf, checkNonNeg(pos, "offset"));
}

/** pwrite(2). */
export function pwrite(k: Kernel, fd: number, buf: Uint8Array, pos: number): number {
  const of = writable(k, fd);
  checkBuf(buf);
  if (!of.handle.seekable) throw new ErrnoError(Errno.ESPIPE, `fd ${fd} is not seekable`);
  return of.handle.write(buf, checkNonNeg(pos, "offset"));
}

/** readv(2): fills the buffers in order; stops at a short read. */
export function readv(k: Kernel, fd: number, bufs: Uint8Array[]): number {
  let total = 0;
  for (const b of bufs) {
    const n = read(k, fd, b);
    total += n;
    if (n < b.length) break;
  }
  return total;
}

/** Up to this many bytes, writev gathers its buffers into one write (so it stays one unit for
 * other writers of the same pipe or file, as POSIX writev does). */
const WRITEV_GATHER_BYTES = 1 << 20;

/** writev(2). */
export function writev(k: Kernel, fd: number, bufs: Uint8Array[]): number {
  const size = bufs.reduce((n, b) => n + b.length, 0);
  if (bufs.length > 1 && size <= WRITEV_GATHER_BYTES) {
    const one = new Uint8Array(size);
    let o = 0;
    for (const b of bufs) {
      one.set(b, o);
      o += b.length;
    }
    return write(k, fd, one);
  }
  let total = 0;
  for (const b of bufs) {
    const n = write(k, fd, b);
    total += n;
    if (n < b.length) break;
  }
  return total;
}

/** lseek(2). */
export function lseek(k: Kernel, fd: number, offset: number, whence: number): number {
  const of = k.fds.get(fd);
  if (!of.handle.seekable) throw new ErrnoError(Errno.ESPIPE, `fd ${fd} is not seekable`);
  if (!Number.isSafeInteger(offset)) throw new ErrnoError(Errno.EINVAL, `bad offset ${offset}`);
  return of.positioned(() => {
    let base: number;
    if (whence === SEEK.SET) base = 0;
    else if (whence === SEEK.CUR) base = position(of);
    else if (whence === SEEK.END) base = of.handle.stat().size;
    else throw new ErrnoError(Errno.EINVAL, `bad whence ${whence}`);
    const next = base + offset;
    if (next < 0) throw new ErrnoError(Errno.EINVAL, `offset ${next} is negative`);
    of.offset = next;
    of.offsetAtEnd = false;
    return next;
  });
}

/** ftruncate(2). */
export function ftruncate(k: Kernel, fd: number, len: number): void {
  const of = k.fds.get(fd);
  if (!of.writable) throw new ErrnoError(Errno.EINVAL, `fd ${fd} is not open for writing`);
  of.handle.truncate(checkNonNeg(len, "length"));
}

/** fsync(2) and fdatasync(2). */
export function fsync(k: Kernel, fd: number): void {
  k.fds.get(fd).handle.sync();
}

/** fstat(2). */
export function fstat(k: Kernel, fd: number): Stat {
  return k.fds.get(fd).handle.stat();
}

/** A {@link TimeArg} in ns since the epoch, or null (unchanged). EINVAL if out of range. */
export function timeNs(t: TimeArg): bigint | null {
  if (typeof t === "bigint") {
    if (t < 0n || t >= 1n << 64n) throw new ErrnoError(Errno.EINVAL, `bad time ${t}`);
    return t;
  }
  const ms = timeArg(t);
  if (ms === null) return null;
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

/** ns as ms (for file systems that keep ms). */
export function msOfNs(ns: bigint | null): number | null {
  return ns === null ? null : Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}

/** flock(2): advisory whole-file locks among the sandbox's processes (host files only). */
export function flock(k: Kernel, fd: number, op: number): void {
  k.fds.get(fd).handle.flock(checkLockOp(op));
}

/** `flock` that waits without blocking the thread. */
export async function flockAsync(k: Kernel, fd: number, op: number): Promise<void> {
  await k.fds.get(fd).handle.flockAsync(checkLockOp(op));
}

function checkLockOp(op: number): number {
  const what = Number.isInteger(op) ? op & ~LOCK.NB : -1;
  if ((what !== LOCK.SH && what !== LOCK.EX && what !== LOCK.UN) || (op & ~15) !== 0) {
    throw new ErrnoError(Errno.EINVAL, `bad flock operation ${op}`);
  }
  return op;
}

/** fchmod(2). */
export function fchmod(k: Kernel, fd: number, mode: number): void {
  k.fds.get(fd).handle.chmod(checkModeArg(mode));
}

/** futimens(2): host files take the times in ns, others in ms. */
export function futimens(k: Kernel, fd: number, atime: TimeArg, mtime: TimeArg): void {
  const [a, m] = [timeNs(atime), timeNs(mtime)];
  const h = k.fds.get(fd).handle;
  if (isHostHandle(h)) h.setTimesNs(a, m);
  else h.setTimes(msOfNs(a), msOfNs(m));
}
