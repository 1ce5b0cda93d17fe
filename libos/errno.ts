/**
 * Linux errno numbers, the libOS's `ErrnoError`, and `palToErrno`: the one place where a
 * PAL error becomes an errno.
 */
import { PalCode, PalError } from "../pal/errors.ts";

/** Linux errno values (x86_64). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOMSG: 42,
  EIDRM: 43,
  EBADMSG: 74,
  EOVERFLOW: 75,
  EILSEQ: 84,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
  EDQUOT: 122,
  ECANCELED: 125,
  /** Not Linux: capability missing (WASI's ENOTCAPABLE); the libOS uses it for revoked grants. */
  ENOTCAPABLE: 131,
} as const;

/** An errno number. */
export type ErrnoValue = typeof Errno[keyof typeof Errno];

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Errno).map(([k, v]) => [v, k]),
);

/** Symbolic name of an errno (`"ENOENT"`), or `"E?n"`. */
export function errnoName(errno: number): string {
  return NAMES[errno] ?? `E?${errno}`;
}

/** The error a libOS handler throws. `path` names the guest path involved, when there is one. */
export class ErrnoError extends Error {
  override name = "ErrnoError";
  /** Why, when the host said (e.g. which policy refused). */
  readonly reason: string | undefined;
  constructor(readonly errno: ErrnoValue, message?: string, readonly path?: string) {
    super(
      `${errnoName(errno)}${message ? `: ${message}` : ""}${
        path !== undefined ? ` '${path}'` : ""
      }`,
    );
    this.reason = message;
  }
}

const PAL_TO_ERRNO: Record<number, ErrnoValue> = {
  [PalCode.NOT_IMPLEMENTED]: Errno.ENOSYS,
  [PalCode.INVAL]: Errno.EINVAL,
  [PalCode.TOO_LONG]: Errno.ENAMETOOLONG,
  [PalCode.DENIED]: Errno.EACCES,
  [PalCode.BAD_HANDLE]: Errno.EBADF,
  [PalCode.EXISTS]: Errno.EEXIST,
  [PalCode.NOT_FOUND]: Errno.ENOENT,
  [PalCode.IS_FILE]: Errno.ENOTDIR,
  [PalCode.IS_DIR]: Errno.EISDIR,
  [PalCode.NO_MEM]: Errno.ENOMEM,
  [PalCode.OVERLAP]: Errno.EEXIST,
  [PalCode.NOT_CONNECTED]: Errno.ENOTCONN,
  [PalCode.INTERRUPTED]: Errno.EINTR,
  [PalCode.TRY_AGAIN]: Errno.EAGAIN,
  [PalCode.CONN_REFUSED]: Errno.ECONNREFUSED,
  [PalCode.ADDR_IN_USE]: Errno.EADDRINUSE,
  [PalCode.BROKEN_PIPE]: Errno.EPIPE,
  [PalCode.NOT_EMPTY]: Errno.ENOTEMPTY,
  [PalCode.READ_ONLY]: Errno.EROFS,
  [PalCode.NO_SPACE]: Errno.ENOSPC,
  [PalCode.CROSS_DEVICE]: Errno.EXDEV,
  [PalCode.LOOP]: Errno.ELOOP,
  [PalCode.TIMED_OUT]: Errno.ETIMEDOUT,
  [PalCode.FAULT]: Errno.EFAULT,
  [PalCode.QUOTA]: Errno.EDQUOT,
  [PalCode.BUSY]: Errno.EBUSY,
  [PalCode.SPIPE]: Errno.ESPIPE,
  [PalCode.CONN_RESET]: Errno.ECONNRESET,
  [PalCode.NOT_DIR]: Errno.ENOTDIR,
  [PalCode.TOO_MANY]: Errno.EMFILE,
  [PalCode.BAD_MESSAGE]: Errno.EBADMSG,
  [PalCode.REVOKED]: Errno.ENOTCAPABLE,
  [PalCode.ADDR_NOT_AVAIL]: Errno.EADDRNOTAVAIL,
  [PalCode.SYMLINK]: Errno.ELOOP,
  [PalCode.NOT_SUPPORTED]: Errno.EOPNOTSUPP,
  [PalCode.NO_PROCESS]: Errno.ESRCH,
  [PalCode.NO_CHILD]: Errno.ECHILD,
  [PalCode.ID_REMOVED]: Errno.EIDRM,
  [PalCode.NO_MESSAGE]: Errno.ENOMSG,
  [PalCode.TOO_BIG]: Errno.E2BIG,
  [PalCode.NOT_PERMITTED]: Errno.EPERM,
};

/** The one PAL→errno conversion. Anything that is not a `PalError` is re-thrown unchanged. */
export function palToErrno(err: unknown, path?: string): ErrnoError {
  if (err instanceof ErrnoError) return err;
  if (err instanceof PalError) {
    return new ErrnoError(PAL_TO_ERRNO[err.code] ?? Errno.EIO, err.message, path);
  }
  throw err;
}
