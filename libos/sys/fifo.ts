/**
 * FIFOs (named pipes in the file system). `mkfifo` makes a tmpfs node marked by the sticky bit
 * (the host sets it only through the `stream_mkfifo` PAL call; guest creates have the bit
 * filtered), or on a chroot mount an emulated FIFO (pal/host/chrootfs_fifo.ts) that the host
 * reports with type "fifo". Opening one: the host refuses the node as a
 * file (NOT_SUPPORTED) and the libOS opens `fifo:file://<mount>/<rel>` instead, which rendezvouses
 * readers and writers on one host-registered pipe ring keyed by mount and inode (sandbox/host/named_pipes.ts) and
 * blocks as on Linux; the end is a {@link SharedPipeHandle}, so EOF and EPIPE follow the host's
 * endpoint counts and the fd crosses spawn and fork like a pipe. O_RDWR holds both ends in one
 * {@link DuplexPipeHandle} and never blocks; it crosses spawn and fork as one O_RDWR fd.
 * @module
 */
import { OpenFlag } from "../../pal/abi.ts";
import { PalCode, PalError } from "../../pal/errors.ts";
import type { PalClient } from "../../pal/guest/client.ts";
import { PipeRing } from "../../pal/pipe_ring.ts";
import { Errno, ErrnoError, palToErrno } from "../errno.ts";
import type { Handle } from "../handle.ts";
import type { Kernel } from "../kernel.ts";
import { DuplexPipeHandle, SharedPipeHandle } from "../proc/pipe.ts";
import { walkParent } from "../vfs/resolve.ts";
import { HostFs } from "../vfs/host_fs.ts";
import { baseOf, checkMode } from "./_util.ts";
import { AT_FDCWD, O } from "./types.ts";

/** The permission bit a host node carries when it is a FIFO (see pal/host/tmpfs.ts). */
export const FIFO_MARK = 0o1000;

/** mkfifoat(3): a FIFO at `path` (tmpfs and chroot mounts; EOPNOTSUPP elsewhere). */
export function mkfifoat(k: Kernel, dirfd: number, path: string, mode = 0o666): void {
  checkMode(mode);
  const p = walkParent(k.mounts, baseOf(k, dirfd), path, {});
  if (p.at.rel.length === 0) throw new ErrnoError(Errno.EEXIST, undefined, path);
  const fs = p.at.mount.fs;
  if (!(fs instanceof HostFs)) {
    throw new ErrnoError(Errno.EOPNOTSUPP, "FIFOs live on tmpfs and chroot mounts", path);
  }
  if (fs.readonly) throw new ErrnoError(Errno.EROFS, undefined, path);
  const perm = mode & ~k.umask & 0o777;
  try {
    k.pal.call("stream_mkfifo", `file://${fs.id}/${p.at.rel.join("/")}`, perm);
  } catch (e) {
    throw palToErrno(e, path);
  }
}

/** mkfifo(3). */
export function mkfifo(k: Kernel, path: string, mode = 0o666): void {
  mkfifoat(k, AT_FDCWD, path, mode);
}

/**
 * Open the FIFO at host URI `fileUri` (`file://<mount>/<rel>`) with open(2) `flags`: O_RDONLY
 * waits for a writer, O_WRONLY for a reader (O_NONBLOCK: never waits; a writer without a
 * reader is ENXIO). O_RDWR never waits (as on Linux): the handle is both a reader and a writer
 * of the FIFO ({@link DuplexPipeHandle}), so it releases opens waiting on either side, its reads
 * never see EOF and its writes never fail with EPIPE while it is open. The host checks that the
 * node is a FIFO.
 */
export function openFifo(pal: PalClient, fileUri: string, flags: number, path: string): Handle {
  const acc = flags & O.ACCMODE;
  if (acc !== O.RDONLY && acc !== O.WRONLY && acc !== O.RDWR) {
    throw new ErrnoError(Errno.EINVAL, "bad access mode", path);
  }
  const nb = (flags & O.NONBLOCK) !== 0;
  const palFlags =
    (acc === O.RDONLY
      ? OpenFlag.READ
      : acc === O.WRONLY
      ? OpenFlag.WRITE
      : OpenFlag.READ | OpenFlag.WRITE) |
    (nb ? OpenFlag.NONBLOCK : 0);
  let id: number;
  let got: { sab: SharedArrayBuffer; side: "read" | "write" | "both" };
  try {
    id = pal.call("stream_open", `fifo:${fileUri}`, palFlags, 0) as number;
    got = pal.takeMessage() as typeof got;
  } catch (e) {
    if (e instanceof PalError && e.code === PalCode.NO_PROCESS) {
      throw new ErrnoError(Errno.ENXIO, "no reader has the FIFO open", path);
    }
    throw palToErrno(e, path);
  }
  const ring = PipeRing.attach(got.sab);
  const h = got.side === "both"
    ? new DuplexPipeHandle(pal, id, ring)
    : new SharedPipeHandle(pal, id, got.side, ring);
  h.setNonblocking(nb);
  return h;
}
