/** Native API, file descriptors: open, close, read, write, pread, pwrite, lseek, ftruncate,
 * flock, fchmod, fsync, fstat, dup, dup2, pipe. */
import type { Stat } from "../sys/types.ts";
import { sys } from "./sys.ts";

/**
 * Open (and with O.CREAT create) a file; the lowest free fd is returned.
 * @param path guest path
 * @param flags O.* flags
 * @param mode permission bits for a new file (masked by the umask)
 * @returns the new fd
 * @throws {ErrnoError} ENOENT, EEXIST, EISDIR, ENOTDIR, EROFS, ELOOP, EMFILE, EINVAL
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const fd = libos.open("/tmp/a.txt", libos.O.WRONLY | libos.O.CREAT, 0o644);
 * libos.close(fd);
 * ```
 */
export function open(path: string, flags: number, mode = 0o666): number {
  return sys().open(path, flags, mode);
}

/**
 * Close an fd.
 * @param fd the fd
 * @returns nothing
 * @throws {ErrnoError} EBADF
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.close(libos.open("/tmp/a.txt", libos.O.RDONLY));
 * ```
 */
export function close(fd: number): void {
  sys().close(fd);
}

/**
 * Read at the file position into `buf`.
 * @param fd the fd
 * @param buf where the bytes go
 * @returns bytes read; 0 at end of file
 * @throws {ErrnoError} EBADF, EISDIR, EAGAIN
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const fd = libos.open("/tmp/a.txt", libos.O.RDONLY);
 * const n = libos.read(fd, new Uint8Array(16));
 * libos.close(fd);
 * ```
 */
export function read(fd: number, buf: Uint8Array): number {
  return sys().read(fd, buf);
}

/**
 * Write `buf` at the file position (at the end with O.APPEND).
 * @param fd the fd
 * @param buf the bytes
 * @returns bytes written
 * @throws {ErrnoError} EBADF, ENOSPC, EPIPE
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.write(1, new TextEncoder().encode("hi\n"));
 * ```
 */
export function write(fd: number, buf: Uint8Array): number {
  return sys().write(fd, buf);
}

/**
 * Read at byte offset `pos` without moving the file position.
 * @param fd the fd
 * @param buf where the bytes go
 * @param pos byte offset (≥ 0)
 * @returns bytes read
 * @throws {ErrnoError} EBADF, EINVAL (negative pos), ESPIPE
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const fd = libos.open("/tmp/a.txt", libos.O.RDONLY);
 * libos.pread(fd, new Uint8Array(4), 0);
 * libos.close(fd);
 * ```
 */
export function pread(fd: number, buf: Uint8Array, pos: number): number {
  return sys().pread(fd, buf, pos);
}

/**
 * Write at byte offset `pos` without moving the file position.
 * @param fd the fd
 * @param buf the bytes
 * @param pos byte offset (≥ 0)
 * @returns bytes written
 * @throws {ErrnoError} EBADF, EINVAL, ESPIPE, ENOSPC
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const fd = libos.open("/tmp/a.txt", libos.O.WRONLY);
 * libos.pwrite(fd, new Uint8Array([1]), 0);
 * libos.close(fd);
 * ```
 */
export function pwrite(fd: number, buf: Uint8Array, pos: number): number {
  return sys().pwrite(fd, buf, pos);
}

/**
 * Move the file position.
 * @param fd the fd
 * @param offset bytes relative to `whence`
 * @param whence SEEK.SET, SEEK.CUR or SEEK.END
 * @returns the new position
 * @throws {ErrnoError} EBADF, EINVAL, ESPIPE
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const fd = libos.open("/tmp/a.txt", libos.O.RDONLY);
 * const size = libos.lseek(fd, 0, libos.SEEK.END);
 * libos.close(fd);
 * ```
 */
export function lseek(fd: number, offset: number, whence: number): number {
  return sys().lseek(fd, offset, whence);
}

/**
 * Set the size of an open file.
 * @param fd an fd open for writing
 * @param len the new size
 * @returns nothing
 * @throws {ErrnoError} EBADF, EINVAL
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const fd = libos.open("/tmp/a.txt", libos.O.WRONLY);
 * libos.ftruncate(fd, 0);
 * libos.close(fd);
 * ```
 */
export function ftruncate(fd: number, len: number): void {
  sys().ftruncate(fd, len);
}

/**
 * Take or release an advisory lock on an open file (flock(2)): `LOCK.SH` (shared), `LOCK.EX`
 * (exclusive) or `LOCK.UN`, with `LOCK.NB` not to wait. The lock belongs to the open file
 * description (shared by the processes it was inherited by) and goes with its last close;
 * locks hold among the sandbox's processes.
 * @param fd an fd of a file on a chroot or tmpfs mount
 * @param op the operation
 * @returns nothing (once the lock is held)
 * @throws {ErrnoError} EWOULDBLOCK (LOCK.NB, the file is locked), EINTR (a handled signal
 *   while waiting), EBADF, EINVAL
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const fd = libos.open("/tmp/db.lock", libos.O.CREAT | libos.O.RDWR, 0o644);
 * libos.flock(fd, libos.LOCK.EX);
 * // … the critical section …
 * libos.flock(fd, libos.LOCK.UN);
 * libos.close(fd);
 * ```
 */
export function flock(fd: number, op: number): void {
  sys().flock(fd, op);
}

/**
 * Set the permission bits of an open file (see `chmod`).
 * @param fd an fd of a file or directory
 * @param mode permission bits; the low twelve bits count
 * @returns nothing
 * @throws {ErrnoError} EBADF, EROFS, EPERM (pipes, sockets, devices)
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const fd = libos.open("/tmp/a.txt", libos.O.CREAT | libos.O.WRONLY, 0o644);
 * libos.fchmod(fd, 0o600);
 * libos.close(fd);
 * ```
 */
export function fchmod(fd: number, mode: number): void {
  sys().fchmod(fd, mode);
}

/**
 * Flush an open file to stable storage.
 * @param fd the fd
 * @returns nothing
 * @throws {ErrnoError} EBADF
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.fsync(1);
 * ```
 */
export function fsync(fd: number): void {
  sys().fsync(fd);
}

/**
 * Status of an open file.
 * @param fd the fd
 * @returns the Stat (mode has S.IF* type bits)
 * @throws {ErrnoError} EBADF
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const st = libos.fstat(1);
 * ```
 */
export function fstat(fd: number): Stat {
  return sys().fstat(fd);
}

/**
 * Share `fd`'s open file description at the lowest free fd.
 * @param fd the fd
 * @returns the new fd
 * @throws {ErrnoError} EBADF, EMFILE
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const copy = libos.dup(1);
 * libos.close(copy);
 * ```
 */
export function dup(fd: number): number {
  return sys().dup(fd);
}

/**
 * Make `newfd` share `oldfd`'s description, closing what `newfd` was.
 * @param oldfd the source
 * @param newfd the target fd
 * @returns newfd
 * @throws {ErrnoError} EBADF
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.dup2(1, 9);
 * libos.close(9);
 * ```
 */
export function dup2(oldfd: number, newfd: number): number {
  return sys().dup2(oldfd, newfd);
}

/**
 * Create a pipe.
 * @param flags O.CLOEXEC | O.NONBLOCK
 * @returns [readFd, writeFd]
 * @throws {ErrnoError} EMFILE, EINVAL
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const [r, w] = libos.pipe();
 * libos.close(r);
 * libos.close(w);
 * ```
 */
export function pipe(flags = 0): [number, number] {
  return sys().pipe(flags);
}
