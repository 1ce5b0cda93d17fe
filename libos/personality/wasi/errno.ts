/**
 * Errors of the WASI layer: `WasiError` (a WASI errno thrown inside a call), `WasiExit` (the
 * unwinding of proc_exit) and `toWasiErrno`, the one place a libOS error becomes a WASI errno.
 */
import { Errno, ErrnoError } from "../../errno.ts";
import { WasiErrno } from "./constants.ts";

/** A WASI errno raised by the WASI layer itself (bad argument, missing right, fault). */
export class WasiError extends Error {
  override name = "WasiError";
  constructor(readonly errno: number, message?: string) {
    super(message ?? `wasi errno ${errno}`);
  }
}

/** Thrown by proc_exit/proc_raise to unwind the guest's stack; carries the exit status. */
export class WasiExit extends Error {
  override name = "WasiExit";
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const LINUX_TO_WASI: Record<number, number> = {
  [Errno.EPERM]: WasiErrno.PERM,
  [Errno.ENOENT]: WasiErrno.NOENT,
  [Errno.ESRCH]: WasiErrno.SRCH,
  [Errno.EINTR]: WasiErrno.INTR,
  [Errno.EIO]: WasiErrno.IO,
  [Errno.ENXIO]: WasiErrno.NXIO,
  [Errno.E2BIG]: WasiErrno.TOOBIG,
  [Errno.ENOEXEC]: WasiErrno.NOEXEC,
  [Errno.EBADF]: WasiErrno.BADF,
  [Errno.ECHILD]: WasiErrno.CHILD,
  [Errno.EAGAIN]: WasiErrno.AGAIN,
  [Errno.ENOMEM]: WasiErrno.NOMEM,
  [Errno.EACCES]: WasiErrno.ACCES,
  [Errno.EFAULT]: WasiErrno.FAULT,
  [Errno.EBUSY]: WasiErrno.BUSY,
  [Errno.EEXIST]: WasiErrno.EXIST,
  [Errno.EXDEV]: WasiErrno.XDEV,
  [Errno.ENODEV]: WasiErrno.NODEV,
  [Errno.ENOTDIR]: WasiErrno.NOTDIR,
  [Errno.EISDIR]: WasiErrno.ISDIR,
  [Errno.EINVAL]: WasiErrno.INVAL,
  [Errno.ENFILE]: WasiErrno.NFILE,
  [Errno.EMFILE]: WasiErrno.MFILE,
  [Errno.ENOTTY]: WasiErrno.NOTTY,
  [Errno.EFBIG]: WasiErrno.FBIG,
  [Errno.ENOSPC]: WasiErrno.NOSPC,
  [Errno.ESPIPE]: WasiErrno.SPIPE,
  [Errno.EROFS]: WasiErrno.ROFS,
  [Errno.EMLINK]: WasiErrno.MLINK,
  [Errno.EPIPE]: WasiErrno.PIPE,
  [Errno.ERANGE]: WasiErrno.RANGE,
  [Errno.EDEADLK]: WasiErrno.DEADLK,
  [Errno.ENAMETOOLONG]: WasiErrno.NAMETOOLONG,
  [Errno.ENOLCK]: WasiErrno.NOLCK,
  [Errno.ENOSYS]: WasiErrno.NOSYS,
  [Errno.ENOTEMPTY]: WasiErrno.NOTEMPTY,
  [Errno.ELOOP]: WasiErrno.LOOP,
  [Errno.ENOMSG]: WasiErrno.NOMSG,
  [Errno.EIDRM]: WasiErrno.IDRM,
  [Errno.EBADMSG]: WasiErrno.BADMSG,
  [Errno.EOVERFLOW]: WasiErrno.OVERFLOW,
  [Errno.EILSEQ]: WasiErrno.ILSEQ,
  [Errno.ENOTSOCK]: WasiErrno.NOTSOCK,
  [Errno.EDESTADDRREQ]: WasiErrno.DESTADDRREQ,
  [Errno.EMSGSIZE]: WasiErrno.MSGSIZE,
  [Errno.EPROTOTYPE]: WasiErrno.PROTOTYPE,
  [Errno.ENOPROTOOPT]: WasiErrno.NOPROTOOPT,
  [Errno.EPROTONOSUPPORT]: WasiErrno.PROTONOSUPPORT,
  [Errno.EOPNOTSUPP]: WasiErrno.NOTSUP,
  [Errno.EAFNOSUPPORT]: WasiErrno.AFNOSUPPORT,
  [Errno.EADDRINUSE]: WasiErrno.ADDRINUSE,
  [Errno.EADDRNOTAVAIL]: WasiErrno.ADDRNOTAVAIL,
  [Errno.ENETDOWN]: WasiErrno.NETDOWN,
  [Errno.ENETUNREACH]: WasiErrno.NETUNREACH,
  [Errno.ECONNABORTED]: WasiErrno.CONNABORTED,
  [Errno.ECONNRESET]: WasiErrno.CONNRESET,
  [Errno.ENOBUFS]: WasiErrno.NOBUFS,
  [Errno.EISCONN]: WasiErrno.ISCONN,
  [Errno.ENOTCONN]: WasiErrno.NOTCONN,
  [Errno.ETIMEDOUT]: WasiErrno.TIMEDOUT,
  [Errno.ECONNREFUSED]: WasiErrno.CONNREFUSED,
  [Errno.EHOSTUNREACH]: WasiErrno.HOSTUNREACH,
  [Errno.EALREADY]: WasiErrno.ALREADY,
  [Errno.EINPROGRESS]: WasiErrno.INPROGRESS,
  [Errno.EDQUOT]: WasiErrno.DQUOT,
  [Errno.ECANCELED]: WasiErrno.CANCELED,
  [Errno.ENOTCAPABLE]: WasiErrno.NOTCAPABLE,
};

/** Linux errno → WASI errno (unknown values become `io`). */
export function linuxToWasi(errno: number): number {
  return LINUX_TO_WASI[errno] ?? WasiErrno.IO;
}

/**
 * The errno a WASI call returns for an error thrown while serving it. `WasiExit` is not an
 * errno: it is re-thrown so that proc_exit unwinds the guest.
 *
 * @param err what the call threw.
 * @returns a WASI errno.
 * @throws {WasiExit} unchanged.
 */
export function toWasiErrno(err: unknown): number {
  if (err instanceof WasiError) return err.errno;
  if (err instanceof ErrnoError) return linuxToWasi(err.errno);
  if (err instanceof WasiExit) throw err;
  if (err instanceof RangeError) return WasiErrno.FAULT;
  return WasiErrno.IO;
}
