/**
 * Path resolution in the guest's view. The walk is lexical until the file system says
 * otherwise: the candidate path is handed to the mount's operation, and a SYMLINK error
 * `{target, consumed, rest}` splices the link's target in (relative to the link's directory,
 * or from the guest root) and tries again — at most MAX_SYMLINKS times, then ELOOP. A `..` after
 * components not yet known to be real directories first checks them (lstat), so `link/..` is
 * the link target's parent, as in Linux. `..` at the guest root stays at the root: no path form
 * reaches outside the mounts.
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import { Errno, ErrnoError, palToErrno } from "../errno.ts";
import { S, type Stat } from "../sys/types.ts";
import type { Located, MountTable } from "./mount_table.ts";
import { clip, joinAbs, MAX_SYMLINKS, splitPath } from "./path.ts";

/** Options of one resolution. */
export interface WalkOptions {
  /** Follow a final symlink (stat, open) or act on the link itself (lstat, unlink). */
  readonly follow: boolean;
  /** RESOLVE_BENEATH: never leave the base directory (ENOTCAPABLE). */
  readonly beneath?: boolean | undefined;
}

/** What an operation receives: the mount, the mount-relative path and the guest path. */
export interface Target extends Located {
  /** Absolute guest components (lexically resolved, symlinks before the last resolved). */
  readonly parts: string[];
  /** The path the caller gave, for messages. */
  readonly asked: string;
}

interface SymlinkDetail {
  target: string;
  consumed: string;
  rest: string;
}

function symlinkDetail(e: unknown): SymlinkDetail | null {
  if (!(e instanceof PalError) || e.code !== PalCode.SYMLINK) return null;
  const d = e.detail as Partial<SymlinkDetail> | undefined;
  if (
    typeof d?.target !== "string" || typeof d.consumed !== "string" || typeof d.rest !== "string"
  ) {
    return null;
  }
  return d as SymlinkDetail;
}

function split(s: string): string[] {
  return s.split("/").filter((p) => p !== "");
}

/** Convert any failure of an operation to an ErrnoError naming the guest path. */
export function asErrno(e: unknown, path: string): ErrnoError {
  const err = palToErrno(e, path);
  return err.path === undefined ? new ErrnoError(err.errno, undefined, clip(path)) : err;
}

/**
 * Resolve `path` (relative paths from `base`) and run `op` on where it lands.
 * @param mt the mount table
 * @param base absolute components of the starting directory (cwd or a dirfd's path)
 * @returns what `op` returns
 * @throws {ErrnoError} the op's error with the guest path; ELOOP; ENOTCAPABLE under `beneath`
 */
export function walk<T>(
  mt: MountTable,
  base: readonly string[],
  path: string,
  opts: WalkOptions,
  op: (t: Target) => T,
): T {
  const sp = splitPath(path);
  const floor = opts.beneath ? base.length : 0;
  if (sp.absolute && opts.beneath) throw escape(path);
  let cur: string[] = sp.absolute ? [] : [...base];
  let verified = cur.length;
  let todo = sp.trailingSlash ? [...sp.parts, "."] : sp.parts;
  let links = 0;
  const splice = (at: Located, d: SymlinkDetail, after: string[]): void => {
    if (++links > MAX_SYMLINKS) throw new ErrnoError(Errno.ELOOP, "too many symlinks", clip(path));
    const linkParts = [...at.mount.parts, ...split(d.consumed)];
    if (d.target.startsWith("/")) {
      if (opts.beneath) throw escape(path);
      cur = [];
    } else {
      cur = linkParts.slice(0, -1);
      if (cur.length < floor) throw escape(path);
    }
    verified = cur.length;
    todo = [...split(d.target), ...split(d.rest), ...after];
  };
  for (;;) {
    // Lexical pass; `..` checks the unverified part of `cur` first.
    let i = 0;
    let restarted = false;
    for (; i < todo.length; i++) {
      const c = todo[i]!;
      if (c === ".") {
        if (i === todo.length - 1 && cur.length > verified) {
          restarted = checkDir(mt, cur, path, (at, d) => splice(at, d, todo.slice(i)));
          if (restarted) break;
          verified = cur.length;
        }
        continue;
      }
      if (c !== "..") {
        cur.push(c);
        continue;
      }
      if (cur.length > verified) {
        restarted = checkDir(mt, cur, path, (at, d) => splice(at, d, todo.slice(i)));
        if (restarted) break;
        verified = cur.length;
      }
      if (cur.length <= floor) {
        if (opts.beneath) throw escape(path);
        continue;
      }
      cur.pop();
      verified = Math.min(verified, cur.length);
    }
    if (restarted) continue;
    const at = mt.locate(cur);
    try {
      return op({ ...at, parts: cur, asked: path });
    } catch (e) {
      const d = symlinkDetail(e);
      if (!d) throw asErrno(e, path);
      if (d.rest === "" && !opts.follow) {
        throw new ErrnoError(Errno.ELOOP, "final component is a symlink", clip(path));
      }
      splice(at, d, []);
    }
  }
}

/**
 * Check that `cur` names a directory (following a final link). Returns true when it spliced a
 * symlink in instead (the caller restarts its lexical pass).
 */
function checkDir(
  mt: MountTable,
  cur: string[],
  path: string,
  onLink: (at: Located, d: SymlinkDetail) => void,
): boolean {
  const at = mt.locate(cur);
  let st: Stat;
  try {
    st = at.mount.fs.stat(at.rel);
  } catch (e) {
    const d = symlinkDetail(e);
    if (!d) throw asErrno(e, path);
    onLink(at, d);
    return true;
  }
  if ((st.mode & S.IFMT) !== S.IFDIR) {
    throw new ErrnoError(Errno.ENOTDIR, undefined, clip(path));
  }
  return false;
}

function escape(path: string): ErrnoError {
  return new ErrnoError(Errno.ENOTCAPABLE, "path leaves the directory", clip(path));
}

/** The final component of `path` and the resolution of its parent, for create/remove calls. */
export interface ParentTarget {
  /** The resolved parent directory. */
  readonly dir: Target;
  /** The final name (never `.`, `..` or empty). */
  readonly name: string;
  /** The path ended with "/". */
  readonly trailingSlash: boolean;
  /** Where `dir + name` lands. */
  readonly at: Target;
}

/**
 * Resolve everything but the last component (which is not followed), for mkdir, unlink, rename,
 * link, symlink. @throws {ErrnoError} EINVAL for a final `.`/`..`, EBUSY for the root
 */
export function walkParent(
  mt: MountTable,
  base: readonly string[],
  path: string,
  opts: { beneath?: boolean | undefined },
): ParentTarget {
  const sp = splitPath(path);
  const name = sp.parts.at(-1);
  if (name === undefined) throw new ErrnoError(Errno.EBUSY, "is the root", clip(path));
  if (name === "." || name === "..") {
    throw new ErrnoError(Errno.EINVAL, "final component is . or ..", clip(path));
  }
  const dirPath = (sp.absolute ? "/" : "") + [...sp.parts.slice(0, -1), "."].join("/");
  // The final "." makes the walk check that the parent is a directory.
  const dir = walk(mt, base, dirPath, { follow: true, beneath: opts.beneath }, (t) => t);
  const parts = [...dir.parts, name];
  return {
    dir,
    name,
    trailingSlash: sp.trailingSlash,
    at: { ...mt.locate(parts), parts, asked: path },
  };
}

/** Absolute guest path of resolved components. */
export function guestPath(parts: readonly string[]): string {
  return joinAbs(parts);
}
