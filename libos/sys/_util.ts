/** Helpers shared by the sys/ families: argument checks and dirfd bases. */
import { Errno, ErrnoError } from "../errno.ts";
import type { Kernel } from "../kernel.ts";
import { absParts } from "../vfs/path.ts";
import { asErrno, type Target } from "../vfs/resolve.ts";
import { AT_FDCWD, S } from "./types.ts";

/** `n` as a non-negative safe integer, else EINVAL. */
export function checkNonNeg(n: number, what: string): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new ErrnoError(Errno.EINVAL, `${what} must be a non-negative integer (got ${n})`);
  }
  return n;
}

/** `buf` as a Uint8Array, else EFAULT. */
export function checkBuf(buf: Uint8Array): Uint8Array {
  if (!(buf instanceof Uint8Array)) {
    throw new ErrnoError(Errno.EFAULT, "buffer is not a Uint8Array");
  }
  return buf;
}

/** Permission bits, else EINVAL. */
export function checkMode(mode: number): number {
  if (typeof mode !== "number" || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new ErrnoError(Errno.EINVAL, `bad mode ${mode}`);
  }
  return mode;
}

/** A chmod mode argument: a non-negative integer, of which the low twelve bits count. */
export function checkModeArg(mode: number): number {
  if (!Number.isSafeInteger(mode) || mode < 0) {
    throw new ErrnoError(Errno.EINVAL, `bad mode ${mode}`);
  }
  return mode & 0o7777;
}

/** The starting directory of an *at call. */
export function baseOf(k: Kernel, dirfd: number): string[] {
  if (dirfd === AT_FDCWD) return k.cwd;
  const h = k.fds.get(dirfd).handle;
  if (h.kind !== "dir" && (h.stat().mode & S.IFMT) !== S.IFDIR) {
    throw new ErrnoError(Errno.ENOTDIR, `fd ${dirfd} is not a directory`);
  }
  return absParts(h.path);
}

/** Run `fn` on an already-resolved target, converting failures (a final link → ELOOP). */
export function onTarget<T>(t: Target, fn: (t: Target) => T): T {
  try {
    return fn(t);
  } catch (e) {
    throw asErrno(e, t.asked);
  }
}

/** Times argument of utimensat: ms, or null to leave unchanged. */
export function timeArg(t: number | null | "now"): number | null {
  if (t === "now") return Date.now();
  if (t === null) return null;
  if (typeof t !== "number" || !Number.isFinite(t) || t < 0) {
    throw new ErrnoError(Errno.EINVAL, `bad time ${t}`);
  }
  return t;
}
