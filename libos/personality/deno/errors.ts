/**
 * errno → `Deno.errors` class, in one function. Messages follow Deno's own form
 * ("No such file or directory (os error 2): open '/data/x'") with the guest path.
 */
import { Errno, ErrnoError, errnoName } from "../../errno.ts";

const STRERROR: Record<number, string> = {
  [Errno.EPERM]: "Operation not permitted",
  [Errno.ENOENT]: "No such file or directory",
  [Errno.EBADF]: "Bad file descriptor",
  [Errno.EAGAIN]: "Resource temporarily unavailable",
  [Errno.EACCES]: "Permission denied",
  [Errno.EBUSY]: "Device or resource busy",
  [Errno.EEXIST]: "File exists",
  [Errno.EXDEV]: "Invalid cross-device link",
  [Errno.ENOTDIR]: "Not a directory",
  [Errno.EISDIR]: "Is a directory",
  [Errno.EINVAL]: "Invalid argument",
  [Errno.EMFILE]: "Too many open files",
  [Errno.ENOSPC]: "No space left on device",
  [Errno.ESPIPE]: "Illegal seek",
  [Errno.EROFS]: "Read-only file system",
  [Errno.EPIPE]: "Broken pipe",
  [Errno.ENAMETOOLONG]: "File name too long",
  [Errno.ENOSYS]: "Function not implemented",
  [Errno.ENOTEMPTY]: "Directory not empty",
  [Errno.ELOOP]: "Too many levels of symbolic links",
  [Errno.EDQUOT]: "Disk quota exceeded",
  [Errno.EOPNOTSUPP]: "Operation not supported",
  [Errno.ENOTCAPABLE]: "Capability not granted by the sandbox",
  [Errno.EADDRINUSE]: "Address already in use",
  [Errno.EADDRNOTAVAIL]: "Cannot assign requested address",
  [Errno.ECONNRESET]: "Connection reset by peer",
  [Errno.ENOTCONN]: "Transport endpoint is not connected",
  [Errno.ECONNREFUSED]: "Connection refused",
};

type ErrorClass = new (message: string) => Error;

/** The Deno.errors class for an errno (captured before the app runs). */
function classFor(errno: number): ErrorClass {
  const E = Deno.errors;
  switch (errno) {
    case Errno.ENOENT:
      return E.NotFound;
    case Errno.EEXIST:
      return E.AlreadyExists;
    case Errno.ENOTDIR:
      return E.NotADirectory;
    case Errno.EISDIR:
      return E.IsADirectory;
    case Errno.EACCES:
    case Errno.EPERM:
    case Errno.EROFS:
      return E.PermissionDenied;
    case Errno.ENOTCAPABLE:
      return E.NotCapable;
    case Errno.ELOOP:
      return E.FilesystemLoop;
    case Errno.EBADF:
      return E.BadResource;
    case Errno.EBUSY:
      return E.Busy;
    case Errno.EAGAIN:
      return E.WouldBlock;
    case Errno.EPIPE:
      return E.BrokenPipe;
    case Errno.EADDRINUSE:
      return E.AddrInUse;
    case Errno.EADDRNOTAVAIL:
      return E.AddrNotAvailable;
    case Errno.ECONNRESET:
      return E.ConnectionReset;
    case Errno.ENOTCONN:
      return E.NotConnected;
    case Errno.ECONNREFUSED:
      return E.ConnectionRefused;
    case Errno.EINTR:
      return E.Interrupted;
    case Errno.ETIMEDOUT:
      return E.TimedOut;
    case Errno.ENOSYS:
    case Errno.EOPNOTSUPP:
      return E.NotSupported;
    case Errno.EILSEQ:
      return E.InvalidData;
    case Errno.EINVAL:
      return TypeError;
    default:
      return Error;
  }
}

/**
 * Convert a libOS failure into the error Deno would throw; anything else passes through.
 * @param op the Deno-style operation name ("open", "readdir", "mkdir" …); "" for an operation on
 *   an open file, whose errors Deno gives without operation or path
 * @param path the guest path the app passed (shown in the message)
 * @param to the second path of a two-path operation (rename, link, symlink, copy): Deno shows
 *   `'from' -> 'to'`
 */
export function denoError(e: unknown, op: string, path?: string, to?: string): unknown {
  if (!(e instanceof ErrnoError)) return e;
  let where = path !== undefined ? ` '${path}'` : e.path !== undefined ? ` '${e.path}'` : "";
  if (path !== undefined && to !== undefined) where += ` -> '${to}'`;
  // A refusal by policy says why (e.g. a trusted file's hash, a read-only mount's key).
  const why = e.errno === Errno.EACCES && e.reason ? `: ${e.reason}` : "";
  // An open file's refusal by policy (a trusted file's chunk) still says why: Deno has none such.
  const context = op === "" ? why : `: ${op}${where}${why}`;
  // Deno checks a path for NUL before the OS sees it, and says so.
  const nul = e.errno === Errno.EINVAL && (path?.includes("\0") || to?.includes("\0"));
  const what = nul
    ? "file name contained an unexpected NUL byte"
    : `${STRERROR[e.errno] ?? errnoName(e.errno)} (os error ${e.errno})`;
  return withCode(new (classFor(e.errno))(`${what}${context}`), e.errno);
}

/** `err` with Deno's `code` property (the errno's name, not enumerable). */
export function withCode<E extends Error>(err: E, errno: number): E {
  Object.defineProperty(err, "code", { value: errnoName(errno), enumerable: false });
  return err;
}

/** Run `fn`, converting its libOS errors for the Deno API (`to`: see `denoError`). */
export function withDeno<T>(op: string, path: string | undefined, fn: () => T, to?: string): T {
  try {
    return fn();
  } catch (e) {
    throw denoError(e, op, path, to);
  }
}

/**
 * A read or write on a file not opened for it: Deno answers the OS's EBADF as a plain Error
 * ("Bad file descriptor (os error 9)", code EBADF), not as BadResource (which Deno keeps for a
 * closed or revoked resource).
 */
export function wrongModeError(): Error {
  return withCode(new Error(`${STRERROR[Errno.EBADF]} (os error ${Errno.EBADF})`), Errno.EBADF);
}

/** Deno's error for a copy whose source is not a regular file (nothing is created). */
export function notRegularSource(from: string, to: string): Error {
  return withCode(
    new TypeError(
      `the source path is neither a regular file nor a symlink to a regular file: copy '${from}' -> '${to}'`,
    ),
    Errno.EINVAL,
  );
}

/**
 * How Rust's `{:?}` shows string `s` (Deno's messages quote names so): in double quotes, with
 * `\0 \t \n \r \\ \"` escaped and other control characters as `\u{hex}`.
 */
export function rustDebug(s: string): string {
  let out = '"';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (c === "\0") out += "\\0";
    else if (c === "\t") out += "\\t";
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === '"' || c === "\\") out += `\\${c}`;
    else if (isControl(c)) out += `\\u{${cp.toString(16)}}`;
    else out += c;
  }
  return out + '"';
}

/** Whether `c` is a control character (Unicode category Cc, Rust's `char::is_control`). */
export function isControl(c: string): boolean {
  const cp = c.codePointAt(0)!;
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/**
 * Deno's error for a value that should have been a Uint8Array ("expected type `Uint8Array`, got
 * `string`"): the kind named as Deno's op layer names it.
 */
export function notBytesError(v: unknown): TypeError {
  return new TypeError(`expected type \`Uint8Array\`, got \`${kindName(v)}\``);
}

function kindName(v: unknown): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "number":
      return "Number";
    case "boolean":
      return "Boolean";
    case "object":
      break;
    default:
      return typeof v;
  }
  if (Array.isArray(v)) return "array";
  if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer || ArrayBuffer.isView(v)) {
    return Object.prototype.toString.call(v).slice(8, -1);
  }
  if (v instanceof Map) return "Map";
  if (v instanceof Set) return "Set";
  return "unknown";
}

/** The error for a Deno API the sandbox does not provide. */
export function notInSandbox(name: string): Error {
  return new Deno.errors.NotCapable(`Deno.${name} is not available in the sandbox`);
}
