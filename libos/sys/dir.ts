/** Directory calls: mkdir, mkdirat, rmdir, readdir, chdir, fchdir, getcwd. */
import { Errno, ErrnoError } from "../errno.ts";
import type { Kernel } from "../kernel.ts";
import { absParts, joinAbs } from "../vfs/path.ts";
import { walk, walkParent } from "../vfs/resolve.ts";
import { baseOf, checkMode, checkNonNeg, onTarget } from "./_util.ts";
import { AT_FDCWD, type Dirent, type ResolveOptions, S } from "./types.ts";

/** mkdirat(2): the mode is masked by the umask. */
export function mkdirat(
  k: Kernel,
  dirfd: number,
  path: string,
  mode = 0o777,
  res?: ResolveOptions,
): void {
  checkMode(mode);
  const p = walkParent(k.mounts, baseOf(k, dirfd), path, { beneath: res?.beneath });
  if (p.at.rel.length === 0) throw new ErrnoError(Errno.EEXIST, "is a mount point", path);
  onTarget(p.at, (t) => t.mount.fs.mkdir(t.rel, mode & ~k.umask & 0o7777));
}

/** rmdir(2) (also unlinkat with AT_REMOVEDIR). */
export function rmdirat(k: Kernel, dirfd: number, path: string, res?: ResolveOptions): void {
  const p = walkParent(k.mounts, baseOf(k, dirfd), path, { beneath: res?.beneath });
  if (p.at.rel.length === 0) throw new ErrnoError(Errno.EBUSY, "is a mount point", path);
  onTarget(p.at, (t) => t.mount.fs.rmdir(t.rel));
}

/** getdents: entries of the directory open as `fd`, after `cookie`. */
export function readdir(
  k: Kernel,
  fd: number,
  cookie: number,
): { entries: Dirent[]; eof: boolean } {
  return k.fds.get(fd).handle.readdir(checkNonNeg(cookie, "cookie"));
}

/** chdir(2). */
export function chdir(k: Kernel, path: string): void {
  k.cwd = walk(k.mounts, k.cwd, path, { follow: true }, (t) => {
    const st = t.mount.fs.stat(t.rel);
    if ((st.mode & S.IFMT) !== S.IFDIR) throw new ErrnoError(Errno.ENOTDIR);
    return t.parts;
  });
}

/** fchdir(2). */
export function fchdir(k: Kernel, fd: number): void {
  k.cwd = baseOf(k, fd);
}

/** getcwd(3). */
export function getcwd(k: Kernel): string {
  return joinAbs(k.cwd);
}

/** The directory fd's absolute path (for personalities that need names back). */
export function fdPath(k: Kernel, fd: number): string {
  return fd === AT_FDCWD ? joinAbs(k.cwd) : joinAbs(absParts(k.fds.get(fd).handle.path));
}
