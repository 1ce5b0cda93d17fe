/**
 * Calls on names: fstatat (stat, lstat), unlinkat (unlink), renameat (rename), linkat (link),
 * symlinkat (symlink), readlinkat (readlink), truncate, utimensat, access, realpath.
 */
import { Errno, ErrnoError } from "../errno.ts";
import type { Kernel } from "../kernel.ts";
import { joinAbs, PATH_MAX } from "../vfs/path.ts";
import { HostFs } from "../vfs/host_fs.ts";
import { walk, walkParent } from "../vfs/resolve.ts";
import { baseOf, checkModeArg, checkNonNeg, onTarget } from "./_util.ts";
import { rmdirat } from "./dir.ts";
import { fstat, msOfNs, timeNs } from "./file.ts";
import { ACCESS, AT, type ResolveOptions, S, type Stat, type TimeArg } from "./types.ts";

/** AT_EMPTY_PATH: fstatat on the dirfd itself. */
export const AT_EMPTY_PATH = 0x1000;

/** fstatat(2) (stat with flags 0, lstat with AT_SYMLINK_NOFOLLOW). */
export function fstatat(
  k: Kernel,
  dirfd: number,
  path: string,
  flags: number,
  res?: ResolveOptions,
): Stat {
  if ((flags & ~(AT.SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) {
    throw new ErrnoError(Errno.EINVAL, `bad fstatat flags ${flags}`);
  }
  if (path === "" && (flags & AT_EMPTY_PATH)) return fstat(k, dirfd);
  const follow = (flags & AT.SYMLINK_NOFOLLOW) === 0;
  return walk(
    k.mounts,
    baseOf(k, dirfd),
    path,
    { follow, beneath: res?.beneath },
    (t) => follow ? t.mount.fs.stat(t.rel) : t.mount.fs.lstat(t.rel),
  );
}

/** unlinkat(2): AT_REMOVEDIR makes it rmdir. */
export function unlinkat(
  k: Kernel,
  dirfd: number,
  path: string,
  flags: number,
  res?: ResolveOptions,
): void {
  if ((flags & ~AT.REMOVEDIR) !== 0) {
    throw new ErrnoError(Errno.EINVAL, `bad unlinkat flags ${flags}`);
  }
  if (flags & AT.REMOVEDIR) return rmdirat(k, dirfd, path, res);
  const p = walkParent(k.mounts, baseOf(k, dirfd), path, { beneath: res?.beneath });
  if (p.at.rel.length === 0) throw new ErrnoError(Errno.EISDIR, "is a mount point", path);
  onTarget(p.at, (t) => {
    if (p.trailingSlash) {
      const st = t.mount.fs.stat(t.rel);
      throw new ErrnoError((st.mode & S.IFMT) === S.IFDIR ? Errno.EISDIR : Errno.ENOTDIR);
    }
    t.mount.fs.unlink(t.rel);
  });
}

/** renameat(2): EXDEV across mounts, EBUSY for a mount point. */
export function renameat(
  k: Kernel,
  olddirfd: number,
  oldpath: string,
  newdirfd: number,
  newpath: string,
  res?: ResolveOptions,
): void {
  const a = walkParent(k.mounts, baseOf(k, olddirfd), oldpath, { beneath: res?.beneath });
  const b = walkParent(k.mounts, baseOf(k, newdirfd), newpath, { beneath: res?.beneath });
  if (a.at.rel.length === 0 || b.at.rel.length === 0) {
    throw new ErrnoError(Errno.EBUSY, "is a mount point", a.at.rel.length ? newpath : oldpath);
  }
  if (a.at.mount !== b.at.mount) throw new ErrnoError(Errno.EXDEV, "across mounts", newpath);
  const ap = joinAbs(a.at.parts);
  const bp = joinAbs(b.at.parts);
  if (bp.startsWith(ap + "/")) {
    throw new ErrnoError(Errno.EINVAL, "cannot move a directory into itself", newpath);
  }
  onTarget(a.at, (t) => t.mount.fs.rename(t.rel, b.at.rel));
}

/** linkat(2): AT_SYMLINK_FOLLOW links what a final symlink names. */
export function linkat(
  k: Kernel,
  olddirfd: number,
  oldpath: string,
  newdirfd: number,
  newpath: string,
  flags: number,
  res?: ResolveOptions,
): void {
  if ((flags & ~AT.SYMLINK_FOLLOW) !== 0) throw new ErrnoError(Errno.EINVAL, `bad linkat flags`);
  const beneath = res?.beneath;
  const src = (flags & AT.SYMLINK_FOLLOW)
    ? walk(k.mounts, baseOf(k, olddirfd), oldpath, { follow: true, beneath }, (t) => {
      t.mount.fs.stat(t.rel);
      return t;
    })
    : walkParent(k.mounts, baseOf(k, olddirfd), oldpath, { beneath }).at;
  const dst = walkParent(k.mounts, baseOf(k, newdirfd), newpath, { beneath }).at;
  if (src.mount !== dst.mount) throw new ErrnoError(Errno.EXDEV, "across mounts", newpath);
  if (dst.rel.length === 0) throw new ErrnoError(Errno.EEXIST, undefined, newpath);
  onTarget(src, (t) => t.mount.fs.link(t.rel, dst.rel));
}

/** symlinkat(2): the target is stored verbatim and resolved in the guest's view when used. */
export function symlinkat(
  k: Kernel,
  target: string,
  dirfd: number,
  path: string,
  res?: ResolveOptions,
): void {
  if (typeof target !== "string") throw new ErrnoError(Errno.EINVAL, "target is not a string");
  if (target === "") throw new ErrnoError(Errno.ENOENT, "empty symlink target", path);
  if (target.includes("\0") || !target.isWellFormed()) {
    throw new ErrnoError(Errno.EINVAL, "bad symlink target", path);
  }
  if (target.length > PATH_MAX) throw new ErrnoError(Errno.ENAMETOOLONG, "target", path);
  const p = walkParent(k.mounts, baseOf(k, dirfd), path, { beneath: res?.beneath });
  if (p.at.rel.length === 0) throw new ErrnoError(Errno.EEXIST, undefined, path);
  onTarget(p.at, (t) => t.mount.fs.symlink(target, t.rel));
}

/** readlinkat(2). */
export function readlinkat(k: Kernel, dirfd: number, path: string, res?: ResolveOptions): string {
  return walk(
    k.mounts,
    baseOf(k, dirfd),
    path,
    { follow: false, beneath: res?.beneath },
    (t) => t.mount.fs.readlink(t.rel),
  );
}

/** truncate(2). */
export function truncate(k: Kernel, path: string, len: number): void {
  checkNonNeg(len, "length");
  walk(k.mounts, k.cwd, path, { follow: true }, (t) => t.mount.fs.truncate(t.rel, len));
}

/** utimensat(2): host mounts take the times in ns and, with AT_SYMLINK_NOFOLLOW, set a final
 * symlink's own times; other file systems take ms and follow. */
export function utimensat(
  k: Kernel,
  dirfd: number,
  path: string,
  atime: TimeArg,
  mtime: TimeArg,
  flags: number,
  res?: ResolveOptions,
): void {
  const a = timeNs(atime);
  const m = timeNs(mtime);
  const follow = (flags & AT.SYMLINK_NOFOLLOW) === 0;
  walk(k.mounts, baseOf(k, dirfd), path, { follow, beneath: res?.beneath }, (t) => {
    const fs = t.mount.fs;
    if (a === null && m === null) return void (follow ? fs.stat(t.rel) : fs.lstat(t.rel));
    if (fs instanceof HostFs) fs.utimesNs(t.rel, a, m, !follow);
    else fs.utimes(t.rel, msOfNs(a), msOfNs(m));
  });
}

/** fchmodat(2): mode & 0o7777 (the rest of a mode_t is ignored, as by Linux); what a mount
 * keeps of it is its own rule (a chroot mount keeps 0o777). */
export function fchmodat(
  k: Kernel,
  dirfd: number,
  path: string,
  mode: number,
  flags: number,
  res?: ResolveOptions,
): void {
  const m = checkModeArg(mode);
  if ((flags & ~AT.SYMLINK_NOFOLLOW) !== 0) throw new ErrnoError(Errno.EINVAL, "bad flags");
  const follow = (flags & AT.SYMLINK_NOFOLLOW) === 0;
  walk(k.mounts, baseOf(k, dirfd), path, { follow, beneath: res?.beneath }, (t) => {
    if (!follow && (t.mount.fs.lstat(t.rel).mode & S.IFMT) === S.IFLNK) {
      throw new ErrnoError(Errno.EOPNOTSUPP, "cannot change the mode of a symlink");
    }
    t.mount.fs.chmod(t.rel, m);
  });
}

/** access(2): existence, then the owner permission bits; W_OK on a read-only mount is EROFS. */
export function access(k: Kernel, path: string, mode: number): void {
  if (!Number.isInteger(mode) || (mode & ~7) !== 0) throw new ErrnoError(Errno.EINVAL, "bad mode");
  walk(k.mounts, k.cwd, path, { follow: true }, (t) => {
    const st = t.mount.fs.stat(t.rel);
    if ((mode & ACCESS.W_OK) && t.mount.fs.readonly) throw new ErrnoError(Errno.EROFS);
    const want = ((mode & ACCESS.R_OK) ? 0o400 : 0) | ((mode & ACCESS.W_OK) ? 0o200 : 0) |
      ((mode & ACCESS.X_OK) ? 0o100 : 0);
    if ((st.mode & want) !== want) throw new ErrnoError(Errno.EACCES);
  });
}

/** realpath(3): the absolute guest path with every symlink, `.` and `..` resolved. */
export function realpath(k: Kernel, path: string): string {
  return walk(k.mounts, k.cwd, path, { follow: true }, (t) => {
    t.mount.fs.stat(t.rel);
    return joinAbs(t.parts);
  });
}
