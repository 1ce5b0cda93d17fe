/**
 * The native libOS API: POSIX-like functions for programs that opt in
 * (`import * as libos from "@sandpiper/sandpiper/libos"`). Each call runs in this picoprocess's
 * libOS, with Linux semantics; failures throw {@link ErrnoError} whose `errno` is a Linux errno
 * (see {@link Errno}) and whose message names the guest path. Outside a picoprocess every call
 * throws ENOSYS.
 * @module
 */
import { Errno, ErrnoError } from "./errno.ts";
import { currentLibos } from "./libos.ts";
import type { Dirent, Stat, Sys } from "./sys/types.ts";

export { ACCESS, AT, AT_FDCWD, O, S, SEEK } from "./sys/types.ts";
export type { Dirent, Stat, Sys } from "./sys/types.ts";
export { Errno, ErrnoError, errnoName } from "./errno.ts";

/**
 * The whole `Sys` of this process (every call, including the *at forms, poll and fcntl).
 * @returns the process's Sys
 * @throws {ErrnoError} ENOSYS outside a picoprocess
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const fd = libos.sys().openat(libos.AT_FDCWD, "a.txt", libos.O.RDONLY);
 * ```
 */
export function sys(): Sys {
  const os = currentLibos();
  if (!os) throw new ErrnoError(Errno.ENOSYS, "not running inside a Sandpiper picoprocess");
  return os.sys;
}

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

/**
 * Status of a path, following symlinks.
 * @param path guest path
 * @returns the Stat
 * @throws {ErrnoError} ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EINVAL
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const st = libos.stat("/tmp");
 * ```
 */
export function stat(path: string): Stat {
  return sys().stat(path);
}

/**
 * Status of a path without following a final symlink.
 * @param path guest path
 * @returns the Stat
 * @throws {ErrnoError} ENOENT, ENOTDIR, ELOOP
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const st = libos.lstat("/tmp");
 * ```
 */
export function lstat(path: string): Stat {
  return sys().lstat(path);
}

/**
 * Create a directory (mode masked by the umask).
 * @param path guest path
 * @param mode permission bits
 * @returns nothing
 * @throws {ErrnoError} EEXIST, ENOENT, EROFS
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.mkdir("/tmp/d");
 * libos.rmdir("/tmp/d");
 * ```
 */
export function mkdir(path: string, mode = 0o777): void {
  sys().mkdir(path, mode);
}

/**
 * Remove an empty directory.
 * @param path guest path
 * @returns nothing
 * @throws {ErrnoError} ENOTEMPTY, ENOTDIR, EBUSY (a mount point), EROFS
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.mkdir("/tmp/d");
 * libos.rmdir("/tmp/d");
 * ```
 */
export function rmdir(path: string): void {
  sys().rmdir(path);
}

/**
 * Remove a name (not a directory).
 * @param path guest path
 * @returns nothing
 * @throws {ErrnoError} ENOENT, EISDIR, EROFS
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.close(libos.open("/tmp/u", libos.O.CREAT | libos.O.WRONLY));
 * libos.unlink("/tmp/u");
 * ```
 */
export function unlink(path: string): void {
  sys().unlink(path);
}

/**
 * Rename within one mount, replacing `to`.
 * @param from existing path
 * @param to new path
 * @returns nothing
 * @throws {ErrnoError} ENOENT, EXDEV (across mounts), EISDIR, ENOTEMPTY, EINVAL
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.close(libos.open("/tmp/r1", libos.O.CREAT | libos.O.WRONLY));
 * libos.rename("/tmp/r1", "/tmp/r2");
 * ```
 */
export function rename(from: string, to: string): void {
  sys().rename(from, to);
}

/**
 * Give a file another name.
 * @param existing existing path
 * @param newPath the new name
 * @returns nothing
 * @throws {ErrnoError} EEXIST, EXDEV, EPERM/EACCES (a directory)
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.close(libos.open("/tmp/l1", libos.O.CREAT | libos.O.WRONLY));
 * libos.link("/tmp/l1", "/tmp/l2");
 * ```
 */
export function link(existing: string, newPath: string): void {
  sys().link(existing, newPath);
}

/**
 * Create a symlink; the target is resolved in the sandbox's view when used.
 * @param target the link text
 * @param path where the link goes
 * @returns nothing
 * @throws {ErrnoError} EEXIST, ENOENT (empty target), EROFS
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.symlink("/tmp", "/tmp/self");
 * ```
 */
export function symlink(target: string, path: string): void {
  sys().symlink(target, path);
}

/**
 * Create a FIFO (named pipe): open for reading waits for a writer and open for writing waits
 * for a reader, across the sandbox's processes. Only tmpfs mounts hold FIFOs.
 * @param path where the FIFO goes
 * @param mode permission bits (default 0o666, less the umask)
 * @returns nothing
 * @throws {ErrnoError} EEXIST, ENOENT, EROFS, EOPNOTSUPP (not a tmpfs mount)
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.mkfifo("/tmp/f");
 * ```
 */
export function mkfifo(path: string, mode = 0o666): void {
  sys().mkfifo(path, mode);
}

/**
 * The text of a symlink.
 * @param path guest path of the link
 * @returns the target string
 * @throws {ErrnoError} EINVAL (not a link), ENOENT
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.readlink("/proc/self/cwd");
 * ```
 */
export function readlink(path: string): string {
  return sys().readlink(path);
}

/**
 * Entries of an open directory after `cookie` (0 = from the start); each entry's `next` resumes after it.
 * @param fd a directory fd
 * @param cookie where to resume
 * @returns entries (no . or ..) and whether the listing ended
 * @throws {ErrnoError} ENOTDIR, EBADF
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const fd = libos.open("/", libos.O.RDONLY | libos.O.DIRECTORY);
 * const { entries } = libos.readdir(fd, 0);
 * libos.close(fd);
 * ```
 */
export function readdir(fd: number, cookie: number): { entries: Dirent[]; eof: boolean } {
  return sys().readdir(fd, cookie);
}

/**
 * Set the size of a file by name.
 * @param path guest path
 * @param len new size
 * @returns nothing
 * @throws {ErrnoError} ENOENT, EISDIR, EINVAL, EROFS
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.close(libos.open("/tmp/t", libos.O.CREAT | libos.O.WRONLY));
 * libos.truncate("/tmp/t", 10);
 * ```
 */
export function truncate(path: string, len: number): void {
  sys().truncate(path, len);
}

/**
 * Check that `path` exists and allows `mode`.
 * @param path guest path
 * @param mode ACCESS.F_OK or R_OK | W_OK | X_OK
 * @returns nothing
 * @throws {ErrnoError} ENOENT, EACCES, EROFS
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.access("/tmp", libos.ACCESS.F_OK);
 * ```
 */
export function access(path: string, mode: number): void {
  sys().access(path, mode);
}

/**
 * The absolute guest path with `.`, `..` and symlinks resolved.
 * @param path guest path
 * @returns the canonical path
 * @throws {ErrnoError} ENOENT, ELOOP
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.realpath("/proc/self/cwd");
 * ```
 */
export function realpath(path: string): string {
  return sys().realpath(path);
}

/**
 * Change the working directory.
 * @param path guest path
 * @returns nothing
 * @throws {ErrnoError} ENOENT, ENOTDIR
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.chdir("/");
 * ```
 */
export function chdir(path: string): void {
  sys().chdir(path);
}

/**
 * The working directory.
 * @returns an absolute guest path
 * @throws {ErrnoError} nothing
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const cwd = libos.getcwd();
 * ```
 */
export function getcwd(): string {
  return sys().getcwd();
}

/**
 * Set the file creation mask.
 * @param mask permission bits to clear on create
 * @returns the previous mask
 * @throws {ErrnoError} EINVAL
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const old = libos.umask(0o077);
 * libos.umask(old);
 * ```
 */
export function umask(mask: number): number {
  return sys().umask(mask);
}

/**
 * This process's id in the sandbox.
 * @returns the pid
 * @throws {ErrnoError} nothing
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const pid = libos.getpid();
 * ```
 */
export function getpid(): number {
  return sys().getpid();
}

/**
 * Replace this process's program (execve): the pid, the fds without FD_CLOEXEC (their open file
 * descriptions shared), cwd, umask, the signal mask and ignored signals stay; never returns.
 * @param path a guest path, or a bare name looked up in PATH (built-ins live in /bin)
 * @param argv the new argv, argv[0] included
 * @param env the new environment (default: this process's current one)
 * @returns never
 * @throws {ErrnoError} ENOENT when there is no such program (the caller keeps running)
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * if (false) libos.exec("echo", ["echo", "replaced"]);
 * ```
 */
export function exec(
  path: string,
  argv: readonly string[],
  env?: Readonly<Record<string, string>>,
): never {
  return sys().execve(path, argv, env);
}

/**
 * End the process with `code`; never returns.
 * @param code exit status
 * @returns never
 * @throws {ErrnoError} nothing
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * if (false) libos.exit(0);
 * ```
 */
export function exit(code: number): never {
  return sys().exit(code);
}
