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

const BY_OS_CODE: Record<string, PalCodeValue> = {
  ENOTEMPTY: PalCode.NOT_EMPTY,
  EXDEV: PalCode.CROSS_DEVICE,
  ENOSPC: PalCode.NO_SPACE,
  EROFS: PalCode.READ_ONLY,
  ENAMETOOLONG: PalCode.TOO_LONG,
  ELOOP: PalCode.LOOP,
  EINVAL: PalCode.INVAL,
  ENOTDIR: PalCode.NOT_DIR,
  EISDIR: PalCode.IS_DIR,
  EMFILE: PalCode.TOO_MANY,
  EBUSY: PalCode.BUSY,
};

/** Convert any thrown value to a PalError, keeping the message. */
export function toPalError(e: unknown): PalError {
  if (e instanceof PalError) return e;
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && BY_OS_CODE[code] !== undefined) {
      return new PalError(BY_OS_CODE[code]!, e.message);
    }
    for (const [cls, pal] of BY_CLASS) if (e instanceof cls) return new PalError(pal, e.message);
    if (e instanceof RangeError || e instanceof TypeError) {
      return new PalError(PalCode.INVAL, e.message);
    }
  }
  return new PalError(PalCode.INVAL, `host error: ${String(e)}`);
}
