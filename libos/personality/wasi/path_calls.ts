/**
 * The path_* calls: path_create_directory path_filestat_get path_filestat_set_times path_link
 * path_open path_readlink path_remove_directory path_rename path_symlink path_unlink_file.
 * Every path is resolved by the libOS beneath its directory fd (RESOLVE_BENEATH): `..` above
 * it, absolute paths and symlinks that leave it answer notcapable.
 */
import { Errno, ErrnoError } from "../../errno.ts";
import { AT, O } from "../../sys/types.ts";
import { LOOKUP_SYMLINK_FOLLOW, OFlags, Rights, WasiErrno } from "./constants.ts";
import { timesFromFlags, type WasiCtx, writeFilestat } from "./ctx.ts";
import { WasiError } from "./errno.ts";
import { openFlagsOf, SYNC_FLAGS } from "./fd_calls.ts";

const BENEATH = { beneath: true } as const;
const READ_RIGHTS = Rights.FD_READ | Rights.FD_READDIR;
/** Rights that need a writable open file description (fdatasync works on read-only ones). */
const WRITE_RIGHTS = Rights.FD_WRITE | Rights.FD_ALLOCATE | Rights.FD_FILESTAT_SET_SIZE;

/** Linux open flags for a WASI path_open. */
export function pathOpenFlags(
  lookup: number,
  oflags: number,
  rights: bigint,
  fdflags: number,
): number {
  if (oflags & ~0xf) throw new WasiError(WasiErrno.INVAL, "unknown oflags");
  const write = (rights & WRITE_RIGHTS) !== 0n;
  const read = (rights & READ_RIGHTS) !== 0n;
  let fl = write ? (read ? O.RDWR : O.WRONLY) : O.RDONLY;
  if (oflags & OFlags.CREAT) fl |= O.CREAT;
  if (oflags & OFlags.EXCL) fl |= O.EXCL;
  if (oflags & OFlags.TRUNC) fl |= O.TRUNC;
  if (oflags & OFlags.DIRECTORY) fl |= O.DIRECTORY;
  if (!(lookup & LOOKUP_SYMLINK_FOLLOW)) fl |= O.NOFOLLOW;
  return fl | openFlagsOf(fdflags) | O.CLOEXEC;
}

/**
 * link and symlink create a non-directory, so their new path may not end in "/": it answers
 * eexist when something is there already, else noent (Linux's rule).
 */
function noTrailingSlash(c: WasiCtx, fd: number, path: string): void {
  if (!path.endsWith("/")) return;
  try {
    c.sys.fstatat(fd, path.replace(/\/+$/, ""), AT.SYMLINK_NOFOLLOW, BENEATH);
  } catch (e) {
    if (e instanceof ErrnoError && e.errno === Errno.ENOENT) {
      throw new WasiError(WasiErrno.NOENT, "trailing slash on a new non-directory");
    }
    throw e;
  }
  throw new WasiError(WasiErrno.EXIST);
}

/** *at flags for a lookupflags argument. */
function atFlags(lookup: number): number {
  return lookup & LOOKUP_SYMLINK_FOLLOW ? 0 : AT.SYMLINK_NOFOLLOW;
}

/** The path_* import functions of one instance. */
export function pathCalls(c: WasiCtx) {
  const { sys, mem, fds } = c;
  const str = (ptr: number, len: number): string => {
    const s = mem.string(ptr, len);
    if (s.includes("\0")) throw new WasiError(WasiErrno.ILSEQ, "NUL in path");
    return s;
  };
  return {
    path_create_directory(fd: number, p: number, n: number): number {
      fds.dir(fd, Rights.PATH_CREATE_DIRECTORY);
      sys.mkdirat(fd, str(p, n), 0o777, BENEATH);
      return 0;
    },
    path_filestat_get(fd: number, lookup: number, p: number, n: number, out: number): number {
      fds.dir(fd, Rights.PATH_FILESTAT_GET);
      mem.check(out, 64);
      writeFilestat(mem, out, sys.fstatat(fd, str(p, n), atFlags(lookup), BENEATH));
      return 0;
    },
    path_filestat_set_times(
      fd: number,
      lookup: number,
      p: number,
      n: number,
      atim: bigint,
      mtim: bigint,
      fst: number,
    ): number {
      fds.dir(fd, Rights.PATH_FILESTAT_SET_TIMES);
      const path = str(p, n);
      const [a, m] = timesFromFlags(atim, mtim, fst);
      sys.utimensat(fd, path, a, m, atFlags(lookup), BENEATH);
      return 0;
    },
    path_link(
      oldFd: number,
      lookup: number,
      op: number,
      on: number,
      newFd: number,
      np: number,
      nn: number,
    ): number {
      fds.dir(oldFd, Rights.PATH_LINK_SOURCE);
      fds.dir(newFd, Rights.PATH_LINK_TARGET);
      const flags = lookup & LOOKUP_SYMLINK_FOLLOW ? AT.SYMLINK_FOLLOW : 0;
      const target = str(np, nn);
      noTrailingSlash(c, newFd, target);
      sys.linkat(oldFd, str(op, on), newFd, target, flags, BENEATH);
      return 0;
    },
    path_open(
      fd: number,
      lookup: number,
      p: number,
      n: number,
      oflags: number,
      base: bigint,
      inheriting: bigint,
      fdflags: number,
      out: number,
    ): number {
      const need = Rights.PATH_OPEN | (oflags & OFlags.CREAT ? Rights.PATH_CREATE_FILE : 0n) |
        (oflags & OFlags.TRUNC ? Rights.PATH_FILESTAT_SET_SIZE : 0n);
      const dir = fds.dir(fd, need);
      const path = str(p, n);
      mem.check(out, 4);
      const b = BigInt.asUintN(64, base);
      const flags = pathOpenFlags(lookup, oflags, b, fdflags);
      const nfd = sys.openat(fd, path, flags, 0o666, BENEATH);
      const st = sys.fstat(nfd);
      const inh = dir.rightsInheriting;
      const e = fds.add(nfd, st, b & inh, BigInt.asUintN(64, inheriting) & inh, null);
      e.syncFlags = fdflags & SYNC_FLAGS;
      mem.setU32(out, nfd);
      return 0;
    },
    path_readlink(fd: number, p: number, n: number, buf: number, len: number, out: number) {
      fds.dir(fd, Rights.PATH_READLINK);
      mem.check(out, 4);
      const dst = mem.bytes(buf, len);
      const target = new TextEncoder().encode(sys.readlinkat(fd, str(p, n), BENEATH));
      const k = Math.min(target.length, dst.length);
      dst.set(target.subarray(0, k));
      mem.setU32(out, k);
      return 0;
    },
    path_remove_directory(fd: number, p: number, n: number): number {
      fds.dir(fd, Rights.PATH_REMOVE_DIRECTORY);
      sys.unlinkat(fd, str(p, n), AT.REMOVEDIR, BENEATH);
      return 0;
    },
    path_rename(fd: number, op: number, on: number, nfd: number, np: number, nn: number) {
      fds.dir(fd, Rights.PATH_RENAME_SOURCE);
      fds.dir(nfd, Rights.PATH_RENAME_TARGET);
      sys.renameat(fd, str(op, on), nfd, str(np, nn), BENEATH);
      return 0;
    },
    path_symlink(op: number, on: number, fd: number, np: number, nn: number): number {
      fds.dir(fd, Rights.PATH_SYMLINK);
      const path = str(np, nn);
      noTrailingSlash(c, fd, path);
      const target = str(op, on);
      // A link to an absolute path could never be followed beneath a directory fd (as wasmtime).
      if (target.startsWith("/")) throw new WasiError(WasiErrno.PERM, "absolute symlink target");
      sys.symlinkat(target, fd, path, BENEATH);
      return 0;
    },
    path_unlink_file(fd: number, p: number, n: number): number {
      fds.dir(fd, Rights.PATH_UNLINK_FILE);
      sys.unlinkat(fd, str(p, n), 0, BENEATH);
      return 0;
    },
  };
}
