/**
 * Guest path strings: validation (NUL, lone surrogates, NAME_MAX/PATH_MAX) and lexical helpers.
 * Nothing here resolves `..` against the file system; `resolve.ts` does the physical walk.
 */
import { Errno, ErrnoError } from "../errno.ts";

/** Longest path component in UTF-8 bytes (Linux NAME_MAX). */
export const NAME_MAX = 255;
/** Longest path in UTF-8 bytes (Linux PATH_MAX). */
export const PATH_MAX = 4096;
/** Most symlinks one resolution follows before ELOOP (Linux MAXSYMLINKS). */
export const MAX_SYMLINKS = 40;

const enc = new TextEncoder();

/** A validated, split guest path. */
export interface SplitPath {
  readonly absolute: boolean;
  /** Components, without empty ones; may contain `.` and `..`. */
  readonly parts: string[];
  /** The path ended with `/` (it must name a directory). */
  readonly trailingSlash: boolean;
}

/**
 * Validate a guest path and split it into components.
 * @throws {ErrnoError} ENOENT for "", EINVAL for NUL or a lone surrogate, ENAMETOOLONG
 */
export function splitPath(path: string): SplitPath {
  if (typeof path !== "string") throw new ErrnoError(Errno.EINVAL, "path is not a string");
  if (path === "") throw new ErrnoError(Errno.ENOENT, "empty path", path);
  if (path.length > PATH_MAX) throw new ErrnoError(Errno.ENAMETOOLONG, undefined, clip(path));
  if (path.includes("\0")) throw new ErrnoError(Errno.EINVAL, "path contains NUL", clip(path));
  if (!path.isWellFormed()) {
    throw new ErrnoError(Errno.EINVAL, "path is not valid Unicode", clip(path));
  }
  if (enc.encode(path).length > PATH_MAX) {
    throw new ErrnoError(Errno.ENAMETOOLONG, undefined, clip(path));
  }
  const parts = path.split("/").filter((p) => p !== "");
  for (const p of parts) {
    if (p.length > NAME_MAX / 3 && enc.encode(p).length > NAME_MAX) {
      throw new ErrnoError(Errno.ENAMETOOLONG, "a component is over 255 bytes", clip(path));
    }
  }
  return {
    absolute: path.startsWith("/"),
    parts,
    trailingSlash: path.endsWith("/") && parts.length > 0,
  };
}

/** Join absolute components into a guest path ("/" for none). */
export function joinAbs(parts: readonly string[]): string {
  return "/" + parts.join("/");
}

/** Components of an absolute, normalized guest path. */
export function absParts(path: string): string[] {
  return path.split("/").filter((p) => p !== "");
}

/** Lexically normalize an absolute path (`.`, `..`, `//`); `..` at the root stays at the root. */
export function normalizeAbs(path: string): string {
  const out: string[] = [];
  for (const p of absParts(path)) {
    if (p === ".") continue;
    if (p === "..") out.pop();
    else out.push(p);
  }
  return joinAbs(out);
}

/** A path shortened for error messages. */
export function clip(path: string): string {
  return path.length > 200 ? path.slice(0, 200) + "…" : path;
}
