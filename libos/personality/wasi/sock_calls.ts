/**
 * sock_accept sock_recv sock_send sock_shutdown, on socket fds the sandbox granted (WASI cannot
 * create sockets; they come preopened or from accept). Data moves through the libOS readv/writev
 * of the socket; accept and shutdown use the libOS socket calls when it has them.
 */
import type { Sys } from "../../sys/types.ts";
import { Filetype, RiFlags, Rights, RIGHTS_SOCKET, SdFlags, WasiErrno } from "./constants.ts";
import type { WasiCtx } from "./ctx.ts";
import { WasiError } from "./errno.ts";
import { openFlagsOf } from "./fd_calls.ts";

/** Socket calls a libOS may add to `Sys` (Linux semantics; `how` is SHUT_RD/WR/RDWR = 0/1/2). */
export interface SysSockets {
  accept4?(fd: number, flags: number): number;
  shutdown?(fd: number, how: number): void;
}

function isSocket(t: number): boolean {
  return t === Filetype.SOCKET_STREAM || t === Filetype.SOCKET_DGRAM;
}

/** The sock_* import functions of one instance. */
export function sockCalls(c: WasiCtx) {
  const { mem, fds } = c;
  const sys = c.sys as Sys & SysSockets;
  const sock = (fd: number, need: bigint) => {
    const e = fds.get(fd);
    if (!isSocket(e.filetype)) throw new WasiError(WasiErrno.NOTSOCK);
    if ((e.rightsBase & need) !== need) throw new WasiError(WasiErrno.NOTCAPABLE);
    return e;
  };
  return {
    sock_accept(fd: number, flags: number, out: number): number {
      sock(fd, Rights.SOCK_ACCEPT);
      mem.check(out, 4);
      if (!sys.accept4) throw new WasiError(WasiErrno.NOTSUP, "libOS has no accept");
      const nfd = sys.accept4(fd, openFlagsOf(flags & 4));
      const st = sys.fstat(nfd);
      fds.add(nfd, st, RIGHTS_SOCKET & ~Rights.SOCK_ACCEPT, 0n, null);
      mem.setU32(out, nfd);
      return 0;
    },
    sock_recv(fd: number, iovs: number, n: number, riflags: number, outN: number, outF: number) {
      sock(fd, Rights.FD_READ);
      mem.check(outN, 4);
      mem.check(outF, 2);
      if (riflags & ~3) throw new WasiError(WasiErrno.INVAL);
      if (riflags & RiFlags.RECV_PEEK) throw new WasiError(WasiErrno.NOTSUP, "MSG_PEEK");
      const bufs = mem.iovecs(iovs, n);
      let total = 0;
      for (const b of bufs) {
        let off = 0;
        while (off < b.length) {
          const k = sys.read(fd, b.subarray(off));
          if (k === 0) break;
          off += k;
          total += k;
          if (!(riflags & RiFlags.RECV_WAITALL)) break;
        }
        if (off < b.length) break;
      }
      mem.setU32(outN, total);
      mem.setU16(outF, 0);
      return 0;
    },
    sock_send(fd: number, iovs: number, n: number, _siflags: number, outN: number): number {
      sock(fd, Rights.FD_WRITE);
      mem.check(outN, 4);
      mem.setU32(outN, sys.writev(fd, mem.iovecs(iovs, n)));
      return 0;
    },
    sock_shutdown(fd: number, how: number): number {
      sock(fd, Rights.SOCK_SHUTDOWN);
      if (how < 1 || how > 3) throw new WasiError(WasiErrno.INVAL, "bad sdflags");
      if (!sys.shutdown) throw new WasiError(WasiErrno.NOTSUP, "libOS has no shutdown");
      sys.shutdown(fd, how === SdFlags.RD ? 0 : how === SdFlags.WR ? 1 : 2);
      return 0;
    },
  };
}
