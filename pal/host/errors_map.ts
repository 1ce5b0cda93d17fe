/** Maps whatever a host operation threw (Deno errors, plain errors) to a `PalError`. */
import { PalCode, type PalCodeValue, PalError } from "../errors.ts";

const BY_CLASS: [new (...a: never[]) => Error, PalCodeValue][] = [
  [Deno.errors.NotFound, PalCode.NOT_FOUND],
  [Deno.errors.AlreadyExists, PalCode.EXISTS],
  [Deno.errors.PermissionDenied, PalCode.DENIED],
  [Deno.errors.NotCapable, PalCode.DENIED],
  [Deno.errors.ConnectionRefused, PalCode.CONN_REFUSED],
  [Deno.errors.ConnectionReset, PalCode.CONN_RESET],
  [Deno.errors.ConnectionAborted, PalCode.CONN_RESET],
  [Deno.errors.NotConnected, PalCode.NOT_CONNECTED],
  [Deno.errors.AddrInUse, PalCode.ADDR_IN_USE],
  [Deno.errors.AddrNotAvailable, PalCode.ADDR_NOT_AVAIL],
  [Deno.errors.BrokenPipe, PalCode.BROKEN_PIPE],
  [Deno.errors.InvalidData, PalCode.INVAL],
  [Deno.errors.TimedOut, PalCode.TIMED_OUT],
  [Deno.errors.Interrupted, PalCode.INTERRUPTED],
  [Deno.errors.WouldBlock, PalCode.TRY_AGAIN],
  [Deno.errors.WriteZero, PalCode.NO_SPACE],
  [Deno.errors.UnexpectedEof, PalCode.BROKEN_PIPE],
  [Deno.errors.BadResource, PalCode.BAD_HANDLE],
  [Deno.errors.Busy, PalCode.BUSY],
  [Deno.errors.NotADirectory, PalCode.NOT_DIR],
  [Deno.errors.IsADirectory, PalCode.IS_DIR],
  [Deno.errors.FilesystemLoop, PalCode.LOOP],
  [Deno.errors.NotSupported, PalCode.NOT_SUPPORTED],
];

/** Host errno names (Deno's `err.code`) → PAL codes: the one table for every host backend. */
const BY_ERRNO: Record<string, PalCodeValue> = {
  ENOENT: PalCode.NOT_FOUND,
  EEXIST: PalCode.EXISTS,
  ENOTDIR: PalCode.NOT_DIR,
  EISDIR: PalCode.IS_DIR,
  EACCES: PalCode.DENIED,
  EPERM: PalCode.DENIED,
  ENOTEMPTY: PalCode.NOT_EMPTY,
  ENOSPC: PalCode.NO_SPACE,
  EDQUOT: PalCode.QUOTA,
  EROFS: PalCode.READ_ONLY,
  EXDEV: PalCode.CROSS_DEVICE,
  ELOOP: PalCode.LOOP,
  EINVAL: PalCode.INVAL,
  ENAMETOOLONG: PalCode.TOO_LONG,
  EBUSY: PalCode.BUSY,
  EMLINK: PalCode.TOO_MANY,
  EMFILE: PalCode.TOO_MANY,
  ENFILE: PalCode.TOO_MANY,
  EFBIG: PalCode.TOO_LONG,
  ETXTBSY: PalCode.BUSY,
  EAGAIN: PalCode.TRY_AGAIN,
  EINTR: PalCode.INTERRUPTED,
  EOPNOTSUPP: PalCode.NOT_SUPPORTED,
  ENOTSUP: PalCode.NOT_SUPPORTED,
};

/** The PAL code of a host errno name (`"ENOENT"`), if it has one. */
export function palCodeOfErrno(errno: string): PalCodeValue | undefined {
  return Object.hasOwn(BY_ERRNO, errno) ? BY_ERRNO[errno] : undefined;
}

/** Convert any thrown value to a PalError, keeping the message. */
export function toPalError(e: unknown): PalError {
  if (e instanceof PalError) return e;
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    const pal = typeof code === "string" ? palCodeOfErrno(code) : undefined;
    if (pal !== undefined) return new PalError(pal, e.message);
    for (const [cls, pal] of BY_CLASS) if (e instanceof cls) return new PalError(pal, e.message);
    if (e instanceof RangeError || e instanceof TypeError) {
      return new PalError(PalCode.INVAL, e.message);
    }
  }
  return new PalError(PalCode.INVAL, `host error: ${String(e)}`);
}
