/**
 * Validation of guest-supplied path strings, symlink targets and offsets for the host file
 * systems, and the SYMLINK error every backend throws. Nothing here trusts its input's type.
 * @module
 */
import { PalCode, PalError } from "../errors.ts";
import type { OpenFlags, SymlinkDetail } from "./fs_types.ts";

/** Longest path component in UTF-8 bytes (Linux NAME_MAX). */
export const NAME_MAX_BYTES = 255;
/** Longest mount-relative path or symlink target in UTF-8 bytes (Linux PATH_MAX). */
export const PATH_MAX_BYTES = 4096;
/** Largest file size or offset a backend accepts (2^53 - 1, so sums stay exact). */
export const MAX_FILE_BYTES = Number.MAX_SAFE_INTEGER;

/** UTF-8 length of a well-formed string, without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4; // a surrogate pair (well-formedness is checked by the caller)
      i++;
    } else n += 3;
  }
  return n;
}

function checkString(p: unknown, what: string): string {
  if (typeof p !== "string") throw new PalError(PalCode.INVAL, `${what} is not a string`);
  // Every UTF-16 unit is at least one UTF-8 byte: bound the work before scanning.
  if (p.length > PATH_MAX_BYTES) {
    throw new PalError(PalCode.TOO_LONG, `${what} is longer than ${PATH_MAX_BYTES} bytes`);
  }
  if (!p.isWellFormed()) {
    throw new PalError(PalCode.INVAL, `${what} is not valid Unicode (lone surrogate)`);
  }
  if (p.includes("\0")) throw new PalError(PalCode.INVAL, `${what} contains a NUL byte`);
  if (utf8Length(p) > PATH_MAX_BYTES) {
    throw new PalError(PalCode.TOO_LONG, `${what} is longer than ${PATH_MAX_BYTES} bytes`);
  }
  return p;
}

/**
 * Validate a guest-supplied mount-relative path and split it into components.
 * `""` is the mount root and yields `[]`.
 * @param p the untrusted value the guest sent
 * @returns the path's components, each non-empty and neither `.` nor `..`
 * @throws {PalError} INVAL (not a string, lone surrogate, NUL, leading/trailing/doubled `/`,
 *   `.` or `..` component); TOO_LONG (a component over 255 bytes or the path over 4096 bytes)
 * @example
 * ```ts
 * import { checkRelPath } from "./fs_path.ts";
 * console.assert(checkRelPath("a/b").length === 2);
 * console.assert(checkRelPath("").length === 0);
 * ```
 */
export function checkRelPath(p: unknown): string[] {
  const s = checkString(p, "path");
  if (s === "") return [];
  const parts = s.split("/");
  for (const c of parts) {
    if (c === "") {
      throw new PalError(PalCode.INVAL, `path ${JSON.stringify(s)} has an empty component`);
    }
    if (c === "." || c === "..") {
      throw new PalError(PalCode.INVAL, `path ${JSON.stringify(s)} has a "${c}" component`);
    }
    if (utf8Length(c) > NAME_MAX_BYTES) {
      throw new PalError(
        PalCode.TOO_LONG,
        `a component of the path is over ${NAME_MAX_BYTES} bytes`,
      );
    }
  }
  return parts;
}

/**
 * Validate a symlink target: any non-empty string without NUL, at most 4096 UTF-8 bytes.
 * The host stores it verbatim and never interprets it.
 * @throws {PalError} INVAL or TOO_LONG; NOT_FOUND for `""` (as Linux symlink(2))
 */
export function checkLinkTarget(t: unknown): string {
  const s = checkString(t, "symlink target");
  if (s === "") throw new PalError(PalCode.NOT_FOUND, "symlink target is empty");
  return s;
}

/** `n` as an integer in [min, max]. @throws {PalError} INVAL */
export function checkInt(n: number, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new PalError(PalCode.INVAL, `${what} out of range`);
  }
  return n;
}

/**
 * Validate a guest-supplied byte offset or length.
 * @throws {PalError} INVAL unless a non-negative safe integer
 */
export function checkOffset(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new PalError(PalCode.INVAL, `${what} must be a non-negative integer`);
  }
  return n;
}

/**
 * Validate a guest-supplied buffer argument.
 * @throws {PalError} INVAL unless a Uint8Array
 */
export function checkBuffer(b: unknown): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new PalError(PalCode.INVAL, "buffer is not a Uint8Array");
  return b;
}

/**
 * The error for a walk that met symlink `parts[i]` (link target `target`).
 * @returns `PalError(SYMLINK)` with a {@link SymlinkDetail}
 */
export function symlinkError(target: string, parts: readonly string[], i: number): PalError {
  const detail: SymlinkDetail = {
    target,
    consumed: parts.slice(0, i + 1).join("/"),
    rest: parts.slice(i + 1).join("/"),
  };
  return new PalError(PalCode.SYMLINK, `"${detail.consumed}" is a symlink`, detail);
}

/** The READ_ONLY error for `op` on a read-only mount. */
export function readOnlyError(op: string): PalError {
  return new PalError(PalCode.READ_ONLY, `${op}: the file system is mounted read-only`);
}

/** Normalise guest-supplied open flags to booleans. */
export function readFlags(flags: unknown): Required<OpenFlags> {
  if (typeof flags !== "object" || flags === null) {
    throw new PalError(PalCode.INVAL, "open flags must be an object");
  }
  const f = flags as Record<string, unknown>;
  return {
    read: f.read === true,
    write: f.write === true,
    create: f.create === true,
    excl: f.excl === true,
    truncate: f.truncate === true,
    directory: f.directory === true,
  };
}

/** Validate permission bits. */
export function checkMode(mode: unknown): number {
  if (typeof mode !== "number" || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new PalError(PalCode.INVAL, "mode must be permission bits (0..0o7777)");
  }
  return mode;
}

/** Validate a time in ms (or null = leave unchanged). */
export function checkTime(t: unknown): number | null {
  if (t === null) return null;
  if (typeof t !== "number" || !Number.isFinite(t)) {
    throw new PalError(PalCode.INVAL, "time must be a finite number of ms or null");
  }
  return t;
}
