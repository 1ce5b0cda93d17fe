/**
 * The fd_* calls: fd_advise fd_allocate fd_close fd_datasync fd_fdstat_get fd_fdstat_set_flags
 * fd_fdstat_set_rights fd_filestat_get fd_filestat_set_size fd_filestat_set_times fd_pread
 * fd_prestat_get fd_prestat_dir_name fd_pwrite fd_read fd_readdir fd_renumber fd_seek fd_sync
 * fd_tell fd_write. Arguments are raw wasm values; errors are thrown (imports.ts turns them
 * into errnos).
 */
import { O } from "../../sys/types.ts";
import { FdFlags, Rights, WasiErrno } from "./constants.ts";
import { timesFromFlags, u64ToNumber, type WasiCtx, writeFilestat } from "./ctx.ts";
import { WasiError } from "./errno.ts";
import { utf8Bytes } from "./memory.ts";
import { readdirInto } from "./readdir.ts";

const F_GETFL = 3;
const F_SETFL = 4;

/** The fdflags the WASI layer keeps itself (see WasiFd.syncFlags). */
export const SYNC_FLAGS = FdFlags.DSYNC | FdFlags.RSYNC | FdFlags.SYNC;

/** Linux open flags → WASI fdflags. */
function fdflagsOf(fl: number): number {
  let f = 0;
  if (fl & O.APPEND) f |= FdFlags.APPEND;
  if (fl & O.NONBLOCK) f |= FdFlags.NONBLOCK;
  return f;
}

/** WASI fdflags → Linux open flags. */
export function openFlagsOf(fdflags: number): number {
  if (fdflags & ~0x1f) throw new WasiError(WasiErrno.INVAL, "unknown fdflags");
  let fl = 0;
  if (fdflags & FdFlags.APPEND) fl |= O.APPEND;
  if (fdflags & FdFlags.NONBLOCK) fl |= O.NONBLOCK;
  return fl;
}

/** The fd_* import functions of one instance. */
export function fdCalls(c: WasiCtx) {
  const { sys, mem, fds } = c;
  return {
    fd_advise(fd: number, _off: bigint, _len: bigint, advice: number): number {
      fds.file(fd, Rights.FD_ADVISE);
      if (advice >>> 0 > 5) throw new WasiError(WasiErrno.INVAL, "unknown advice");
      return 0; // advice is a hint; the libOS has no page cache to tune
    },
    fd_allocate(fd: number, off: bigint, len: bigint): number {
      fds.file(fd, Rights.FD_ALLOCATE);
      const end = u64ToNumber(off) + u64ToNumber(len);
      if (end > Number.MAX_SAFE_INTEGER) throw new WasiError(WasiErrno.FBIG);
      if (sys.fstat(fd).size < end) sys.ftruncate(fd, end);
      return 0;
    },
    fd_close(fd: number): number {
      fds.close(fd);
      return 0;
    },
    fd_datasync(fd: number): number {
      fds.need(fd, Rights.FD_DATASYNC);
      sys.fdatasync(fd);
      return 0;
    },
    fd_fdstat_get(fd: number, ptr: number): number {
      const e = fds.get(fd);
      const flags = fdflagsOf(sys.fcntl(fd, F_GETFL)) | e.syncFlags;
      mem.zero(ptr, 24);
      mem.setU8(ptr, e.filetype);
      mem.setU16(ptr + 2, flags);
      mem.setU64(ptr + 8, e.rightsBase);
      mem.setU64(ptr + 16, e.rightsInheriting);
      return 0;
    },
    fd_fdstat_set_flags(fd: number, flags: number): number {
      const e = fds.need(fd, Rights.FD_FDSTAT_SET_FLAGS);
      const fl = openFlagsOf(flags);
      sys.fcntl(fd, F_SETFL, fl);
      e.syncFlags = flags & SYNC_FLAGS;
      return 0;
    },
    fd_fdstat_set_rights(fd: number, base: bigint, inheriting: bigint): number {
      const e = fds.get(fd);
      const b = BigInt.asUintN(64, base);
      const i = BigInt.asUintN(64, inheriting);
      if ((b & ~e.rightsBase) !== 0n || (i & ~e.rightsInheriting) !== 0n) {
        throw new WasiError(WasiErrno.NOTCAPABLE, "rights can only shrink");
      }
      e.rightsBase = b;
      e.rightsInheriting = i;
      return 0;
    },
    fd_filestat_get(fd: number, ptr: number): number {
      fds.need(fd, Rights.FD_FILESTAT_GET);
      writeFilestat(mem, ptr, sys.fstat(fd));
      return 0;
    },
    fd_filestat_set_size(fd: number, size: bigint): number {
      fds.file(fd, Rights.FD_FILESTAT_SET_SIZE);
      sys.ftruncate(fd, u64ToNumber(size));
      return 0;
    },
    fd_filestat_set_times(fd: number, atim: bigint, mtim: bigint, fst: number): number {
      fds.need(fd, Rights.FD_FILESTAT_SET_TIMES);
      const [a, m] = timesFromFlags(atim, mtim, fst);
      sys.futimens(fd, a, m);
      return 0;
    },
    fd_pread(fd: number, iovs: number, n: number, off: bigint, outPtr: number): number {
      fds.file(fd, Rights.FD_READ | Rights.FD_SEEK);
      mem.check(outPtr, 4);
      let pos = u64ToNumber(off, WasiErrno.INVAL);
      let total = 0;
      for (const b of mem.iovecs(iovs, n)) {
        if (b.length === 0) continue;
        const k = sys.pread(fd, b, pos);
        total += k;
        pos += k;
        if (k < b.length) break;
      }
      mem.setU32(outPtr, total);
      return 0;
    },
    fd_prestat_get(fd: number, ptr: number): number {
      const e = fds.get(fd);
      if (e.preopen === null) throw new WasiError(WasiErrno.BADF, "not a preopen");
      mem.zero(ptr, 8);
      mem.setU32(ptr + 4, utf8Bytes(e.preopen).length);
      return 0;
    },
    fd_prestat_dir_name(fd: number, ptr: number, len: number): number {
      const e = fds.get(fd);
      if (e.preopen === null) throw new WasiError(WasiErrno.BADF, "not a preopen");
      const name = utf8Bytes(e.preopen);
      if (len >>> 0 < name.length) throw new WasiError(WasiErrno.NAMETOOLONG);
      mem.bytes(ptr, name.length).set(name);
      return 0;
    },
    fd_pwrite(fd: number, iovs: number, n: number, off: bigint, outPtr: number): number {
      const e = fds.file(fd, Rights.FD_WRITE | Rights.FD_SEEK);
      mem.check(outPtr, 4);
      let pos = u64ToNumber(off, WasiErrno.INVAL);
      let total = 0;
      for (const b of mem.iovecs(iovs, n)) {
        if (b.length === 0) continue;
        const k = sys.pwrite(fd, b, pos);
        total += k;
        pos += k;
        if (k < b.length) break;
      }
      if (e.syncFlags) sys.fdatasync(fd);
      mem.setU32(outPtr, total);
      return 0;
    },
    fd_read(fd: number, iovs: number, n: number, outPtr: number): number {
      fds.file(fd, Rights.FD_READ);
      mem.check(outPtr, 4);
      const bufs = mem.iovecs(iovs, n);
      const k = bufs.length === 1 ? sys.read(fd, bufs[0]!) : sys.readv(fd, bufs);
      mem.setU32(outPtr, k);
      return 0;
    },
    fd_readdir(fd: number, buf: number, len: number, cookie: bigint, outPtr: number): number {
      fds.dir(fd, Rights.FD_READDIR);
      mem.check(outPtr, 4);
      mem.setU32(outPtr, readdirInto(c, fd, mem.bytes(buf, len), BigInt.asUintN(64, cookie)));
      return 0;
    },
    fd_renumber(from: number, to: number): number {
      fds.renumber(from, to);
      return 0;
    },
    fd_seek(fd: number, off: bigint, whence: number, outPtr: number): number {
      const tellOnly = off === 0n && whence === 1;
      fds.file(fd, tellOnly ? Rights.FD_TELL : Rights.FD_SEEK);
      if (whence >>> 0 > 2) throw new WasiError(WasiErrno.INVAL, "bad whence");
      mem.check(outPtr, 8);
      const o = BigInt.asIntN(64, off);
      if (o > BigInt(Number.MAX_SAFE_INTEGER) || o < -BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new WasiError(WasiErrno.INVAL);
      }
      mem.setU64(outPtr, sys.lseek(fd, Number(o), whence));
      return 0;
    },
    fd_sync(fd: number): number {
      fds.need(fd, Rights.FD_SYNC);
      sys.fsync(fd);
      return 0;
    },
    fd_tell(fd: number, outPtr: number): number {
      fds.file(fd, Rights.FD_TELL);
      mem.check(outPtr, 8);
      mem.setU64(outPtr, sys.lseek(fd, 0, 1));
      return 0;
    },
    fd_write(fd: number, iovs: number, n: number, outPtr: number): number {
      const e = fds.file(fd, Rights.FD_WRITE);
      mem.check(outPtr, 4);
      const bufs = mem.iovecs(iovs, n);
      const k = bufs.length === 1 ? sys.write(fd, bufs[0]!) : sys.writev(fd, bufs);
      if (e.syncFlags) sys.fdatasync(fd);
      mem.setU32(outPtr, k);
      return 0;
    },
  };
}
