/**
 * The WASI view of the libOS fd table. WASI fd numbers are the libOS fd numbers; this table only
 * adds what WASI has and POSIX lacks: rights (base and inheriting), the file type cached at open,
 * and the guest path of a preopened directory.
 */
import { S, type Stat, type Sys } from "../../sys/types.ts";
import {
  Filetype,
  RIGHTS_ALL,
  RIGHTS_DIR,
  RIGHTS_FILE,
  RIGHTS_SOCKET,
  RIGHTS_STREAM,
  WasiErrno,
} from "./constants.ts";
import { WasiError } from "./errno.ts";

/** What WASI knows about one open fd. */
export interface WasiFd {
  filetype: number;
  rightsBase: bigint;
  rightsInheriting: bigint;
  /** Guest path this fd was preopened as (fd_prestat_*), or null. */
  preopen: string | null;
  /** fdflags dsync/rsync/sync: kept here (the libOS has no such flags); fd_write then syncs. */
  syncFlags: number;
}

/** WASI filetype of a stat mode. */
export function filetypeOf(mode: number): number {
  switch (mode & S.IFMT) {
    case S.IFREG:
      return Filetype.REGULAR_FILE;
    case S.IFDIR:
      return Filetype.DIRECTORY;
    case S.IFLNK:
      return Filetype.SYMBOLIC_LINK;
    case S.IFCHR:
      return Filetype.CHARACTER_DEVICE;
    case S.IFBLK:
      return Filetype.BLOCK_DEVICE;
    case S.IFSOCK:
      return Filetype.SOCKET_STREAM;
    default:
      return Filetype.UNKNOWN; // FIFOs have no WASI type of their own
  }
}

/** The rights an fd of this type can hold at most. */
export function maxRights(filetype: number): { base: bigint; inheriting: bigint } {
  switch (filetype) {
    case Filetype.DIRECTORY:
      return { base: RIGHTS_DIR, inheriting: RIGHTS_ALL };
    case Filetype.REGULAR_FILE:
    case Filetype.BLOCK_DEVICE:
      return { base: RIGHTS_FILE, inheriting: 0n };
    case Filetype.SOCKET_STREAM:
    case Filetype.SOCKET_DGRAM:
      return { base: RIGHTS_SOCKET, inheriting: 0n };
    default:
      return { base: RIGHTS_STREAM, inheriting: 0n };
  }
}

/** Per-instance WASI fd metadata over a `Sys`. */
export class WasiFdTable {
  readonly #fds = new Map<number, WasiFd>();
  constructor(readonly sys: Sys) {}

  /** Record an fd the WASI layer opened; rights are clipped to what its type allows. */
  add(fd: number, st: Stat, base: bigint, inheriting: bigint, preopen: string | null): WasiFd {
    const filetype = filetypeOf(st.mode);
    const max = maxRights(filetype);
    const e: WasiFd = {
      filetype,
      rightsBase: base & max.base,
      rightsInheriting: inheriting & max.inheriting,
      preopen,
      syncFlags: 0,
    };
    this.#fds.set(fd, e);
    return e;
  }

  /**
   * The entry of `fd`. An fd the libOS has but WASI never saw (stdio, or one made by
   * sandpiper_proc) is adopted with the full rights of its type. Bad fd → badf.
   */
  get(fd: number): WasiFd {
    const e = this.#fds.get(fd);
    if (e) return e;
    if (!Number.isInteger(fd) || fd < 0) throw new WasiError(WasiErrno.BADF);
    const st = this.sys.fstat(fd); // throws EBADF for a closed fd
    const max = maxRights(filetypeOf(st.mode));
    return this.add(fd, st, max.base, max.inheriting, null);
  }

  /** `get`, then require every right in `need` (notcapable otherwise). */
  need(fd: number, need: bigint): WasiFd {
    const e = this.get(fd);
    if ((e.rightsBase & need) !== need) throw new WasiError(WasiErrno.NOTCAPABLE);
    return e;
  }

  /** `get` for a call on file data: a directory answers badf (as wasmtime does). */
  file(fd: number, need: bigint): WasiFd {
    const e = this.get(fd);
    if (e.filetype === Filetype.DIRECTORY) throw new WasiError(WasiErrno.BADF);
    if ((e.rightsBase & need) !== need) throw new WasiError(WasiErrno.NOTCAPABLE);
    return e;
  }

  /** `get` for a path call: the fd must be a directory (notdir) holding `need`. */
  dir(fd: number, need: bigint): WasiFd {
    const e = this.get(fd);
    if (e.filetype !== Filetype.DIRECTORY) throw new WasiError(WasiErrno.NOTDIR);
    if ((e.rightsBase & need) !== need) throw new WasiError(WasiErrno.NOTCAPABLE);
    return e;
  }

  /** Close `fd` in the libOS and forget it. */
  close(fd: number): void {
    this.get(fd);
    this.sys.close(fd);
    this.#fds.delete(fd);
  }

  /** fd_renumber: `from` replaces `to`; both must be open. */
  renumber(from: number, to: number): void {
    const src = this.get(from);
    this.get(to);
    if (from === to) return;
    this.sys.dup2(from, to);
    this.sys.close(from);
    this.#fds.delete(from);
    this.#fds.set(to, src);
  }
}
