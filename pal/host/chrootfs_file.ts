/**
 * Host-side helpers of `ChrootFs`: the open-file handle over a `Deno.FsFile`, the conversion of
 * `Deno.FileInfo` to `FileStat`, and the mapping of Deno errors to `PalError`. Messages name the
 * guest's path only: host paths never reach the guest.
 * @module
 */
import { PalCode, PalError } from "../errors.ts";
import { palCodeOfErrno } from "./errors_map.ts";
import { checkBuffer, checkOffset } from "./fs_path.ts";
import { isFifoInfo } from "./chrootfs_fifo.ts";
import { msOfNs, nsFields, type TimeMemo } from "./fs_time.ts";
import type { FileStat, FileType, FsFile } from "./fs_types.ts";

/**
 * Map an error thrown by a Deno file-system call to a `PalError` naming the guest path.
 * `PalError`s pass through; errors that are not from the host file system are re-thrown.
 * Host I/O errors with no PAL code (EIO, ...) become FAULT.
 */
export function hostError(e: unknown, op: string, guestPath: string): PalError {
  if (e instanceof PalError) return e;
  if (!(e instanceof Error)) throw e;
  const where = `${op} "${guestPath}"`;
  const errno = (e as { code?: unknown }).code;
  if (typeof errno === "string") {
    return new PalError(palCodeOfErrno(errno) ?? PalCode.FAULT, `${where}: host error ${errno}`);
  }
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
    return new PalError(PalCode.DENIED, `${where}: the sandbox host lacks permission`);
  }
  if (e instanceof Deno.errors.NotFound) return new PalError(PalCode.NOT_FOUND, where);
  if (e instanceof Deno.errors.AlreadyExists) return new PalError(PalCode.EXISTS, where);
  if (e instanceof Deno.errors.NotADirectory) return new PalError(PalCode.NOT_DIR, where);
  if (e instanceof Deno.errors.IsADirectory) return new PalError(PalCode.IS_DIR, where);
  if (e instanceof Deno.errors.BadResource) return new PalError(PalCode.BAD_HANDLE, where);
  throw e;
}

/** The `FileType` of a host object (an emulated FIFO's lstat: "fifo"). */
export function hostType(st: Deno.FileInfo): FileType {
  if (isFifoInfo(st)) return "fifo";
  if (st.isSymlink) return "symlink";
  if (st.isDirectory) return "dir";
  if (st.isFile) return "file";
  return "other";
}

/**
 * `FileStat` of a host object (Linux fills every field). The host reports whole ms; `memo`
 * supplies the exact ns of times set through the backend (fs_time.ts). The sticky bit of a
 * regular file is not shown: on a host file it means nothing to Linux, and a guest must never
 * see a file carry the bit tmpfs uses to mark FIFOs.
 */
export function statFromHost(st: Deno.FileInfo, memo?: TimeMemo): FileStat {
  const ms = {
    atimeMs: st.atime?.getTime() ?? 0,
    mtimeMs: st.mtime?.getTime() ?? 0,
    ctimeMs: st.ctime?.getTime() ?? 0,
  };
  const exact = memo?.exact(st.dev, st.ino ?? 0, ms.atimeMs, ms.mtimeMs) ?? {};
  return {
    type: hostType(st),
    size: st.size,
    ino: st.ino ?? 0,
    nlink: st.nlink ?? 1,
    mode: (st.mode ?? 0) & (st.isFile ? 0o6777 : 0o7777),
    dev: st.dev,
    atimeMs: exact.atime === undefined ? ms.atimeMs : msOfNs(exact.atime),
    mtimeMs: exact.mtime === undefined ? ms.mtimeMs : msOfNs(exact.mtime),
    ctimeMs: ms.ctimeMs,
    ...nsFields(ms, exact),
  };
}

/**
 * An open host file or directory. Positioned I/O is seek + read/write loops; the host file's
 * own position is remembered, so sequential I/O skips the seek (this object owns the host file:
 * nothing else moves its position).
 */
export class ChrootFile implements FsFile {
  #file: Deno.FsFile | undefined;
  /** The host file's current position, or -1 when unknown (after an error). */
  #pos = 0;

  /** Takes ownership of `file`. `name` is the guest path, for messages. */
  constructor(
    file: Deno.FsFile,
    readonly canRead: boolean,
    readonly canWrite: boolean,
    readonly isDir: boolean,
    readonly name: string,
    readonly memo?: TimeMemo,
  ) {
    this.#file = file;
  }

  #open(op: string, access?: "read" | "write"): Deno.FsFile {
    const f = this.#file;
    if (!f) throw new PalError(PalCode.BAD_HANDLE, `${op}: file is closed`);
    if (access === undefined) return f;
    if (this.isDir) throw new PalError(PalCode.IS_DIR, `${op}: "${this.name}" is a directory`);
    if (access === "read" ? !this.canRead : !this.canWrite) {
      throw new PalError(PalCode.BAD_HANDLE, `${op}: not open for ${access}ing`);
    }
    return f;
  }

  /** See {@link FsFile.pread}. */
  pread(buf: Uint8Array, pos: number): number {
    const f = this.#open("pread", "read");
    checkBuffer(buf);
    checkOffset(pos, "offset");
    try {
      this.#seek(f, pos);
      let got = 0;
      while (got < buf.length) {
        const n = f.readSync(got === 0 ? buf : buf.subarray(got));
        if (n === null || n === 0) break;
        got += n;
        this.#pos += n;
      }
      return got;
    } catch (e) {
      this.#pos = -1;
      throw hostError(e, "pread", this.name);
    }
  }

  #seek(f: Deno.FsFile, pos: number): void {
    if (this.#pos === pos) return;
    this.#pos = -1;
    this.#pos = f.seekSync(pos, Deno.SeekMode.Start);
  }

  #writeAll(f: Deno.FsFile, buf: Uint8Array): number {
    let put = 0;
    while (put < buf.length) {
      const n = f.writeSync(put === 0 ? buf : buf.subarray(put));
      put += n;
      this.#pos += n;
    }
    return put;
  }

  /** See {@link FsFile.pwrite}. */
  pwrite(buf: Uint8Array, pos: number): number {
    const f = this.#open("pwrite", "write");
    checkBuffer(buf);
    checkOffset(pos, "offset");
    try {
      this.#seek(f, pos);
      return this.#writeAll(f, buf);
    } catch (e) {
      this.#pos = -1;
      throw hostError(e, "pwrite", this.name);
    }
  }

  /**
   * See {@link FsFile.append}. Atomic against other calls of this host (it serves one call at a
   * time), not against other host processes writing the same file.
   */
  append(buf: Uint8Array): number {
    const f = this.#open("append", "write");
    checkBuffer(buf);
    try {
      this.#pos = -1;
      this.#pos = f.seekSync(0, Deno.SeekMode.End);
      return this.#writeAll(f, buf);
    } catch (e) {
      this.#pos = -1;
      throw hostError(e, "append", this.name);
    }
  }

  /** See {@link FsFile.stat}. */
  stat(): FileStat {
    const f = this.#open("stat");
    try {
      return statFromHost(f.statSync(), this.memo);
    } catch (e) {
      throw hostError(e, "stat", this.name);
    }
  }

  /** See {@link FsFile.truncate}. */
  truncate(len: number): void {
    const f = this.#open("truncate", "write");
    checkOffset(len, "length");
    try {
      f.truncateSync(len);
    } catch (e) {
      throw hostError(e, "truncate", this.name);
    }
  }

  /** See {@link FsFile.sync}. */
  sync(): void {
    const f = this.#open("sync");
    try {
      f.syncSync();
    } catch (e) {
      throw hostError(e, "sync", this.name);
    }
  }

  /** See {@link FsFile.close}. */
  close(): void {
    const f = this.#file;
    this.#file = undefined;
    f?.close();
  }
}
