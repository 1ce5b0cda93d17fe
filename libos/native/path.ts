/** Native API, paths and the working directory: stat, lstat, mkdir, rmdir, unlink, rename,
 * link, symlink, mkfifo, readlink, readdir, truncate, chmod, access, realpath, chdir, getcwd,
 * umask. */
import type { Dirent, Stat } from "../sys/types.ts";
import { sys } from "./sys.ts";

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
 * for a reader, across the sandbox's processes. tmpfs and read-write chroot mounts hold FIFOs.
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
 * Set the permission bits of a file by name (following a final symlink). A chroot mount keeps
 * the bits 0o777 of the mode (no setuid, setgid or sticky bit on a host file).
 * @param path guest path
 * @param mode permission bits; the low twelve bits count
 * @returns nothing
 * @throws {ErrnoError} ENOENT, EROFS, EPERM (/dev, /proc), EOPNOTSUPP (a FIFO on a chroot mount)
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * libos.close(libos.open("/tmp/run.sh", libos.O.CREAT | libos.O.WRONLY, 0o644));
 * libos.chmod("/tmp/run.sh", 0o755);
 * ```
 */
export function chmod(path: string, mode: number): void {
  sys().chmod(path, mode);
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
