/**
 * The host-side file-system backend interface of the PAL. Backends run in the trusted sandbox
 * host and serve requests from untrusted guests; every path argument is guest-controlled.
 *
 * Rules every backend keeps:
 * - Paths are mount-relative (`""` is the mount root, `"a/b/c"`), validated with
 *   `checkRelPath` (fs_path.ts) before anything else is done with them.
 * - A backend never follows a symlink. An intermediate symlink component throws
 *   `PalError(SYMLINK, msg, {target, consumed, rest})` ({@link SymlinkDetail}) so the libOS can
 *   resolve the link inside the guest's view and retry. Calls that name a link (lstat, readlink,
 *   unlink, rename, link, symlink, mkdir, rmdir) act on the link itself; calls that POSIX makes
 *   follow a final link (open, truncate, utimes, readdir) throw the same SYMLINK error.
 * - Every mutating call on a `readonly` backend throws `PalError(READ_ONLY)`.
 * - All calls are synchronous: the host serves them from a shared-memory ring.
 * @module
 */

/** The kind of a file-system object. `"fifo"`: an emulated FIFO of a chroot mount
 * (chrootfs_fifo.ts); `"other"`: a real host fifo, socket or device (host mounts only). */
export type FileType = "file" | "dir" | "symlink" | "fifo" | "other";

/** What `lstat` and `FsFile.stat` return. Sizes are bytes, times are ms since the epoch. */
export interface FileStat {
  /** Kind of object. */
  type: FileType;
  /** Size in bytes (for a symlink: the UTF-8 length of its target). */
  size: number;
  /** Inode number: stable for the object's life and distinct among live objects of a backend. */
  ino: number;
  /** Number of hard links (directories: 2 + number of subdirectories). */
  nlink: number;
  /** Permission bits only (`0o7777` mask); the type is in `type`. */
  mode: number;
  /** Device number: one per backend instance (chroot: the host's). */
  dev: number;
  /** Last access time (ms). */
  atimeMs: number;
  /** Last content modification time (ms). */
  mtimeMs: number;
  /** Last status change time (ms). */
  ctimeMs: number;
  /** Last access time in ns since the epoch, as a decimal string (exact where known). */
  atimeNs?: string;
  /** Last content modification time in ns, as a decimal string. */
  mtimeNs?: string;
  /** Last status change time in ns, as a decimal string. */
  ctimeNs?: string;
}

/** One directory entry as `readdir` returns it (no `.` or `..`). */
export interface DirEntry {
  /** Entry name: one path component. */
  name: string;
  /** Kind of object (symlinks are reported as `"symlink"`, never followed). */
  type: FileType;
  /** Inode number, as `lstat` would report it. */
  ino: number;
}

/** Flags for {@link FsBackend.open}. Absent means `false`. */
export interface OpenFlags {
  /** Open for reading. */
  read?: boolean;
  /** Open for writing (`pwrite`, `append`, `truncate`). */
  write?: boolean;
  /** Create the file if it does not exist (O_CREAT); needs `write`. */
  create?: boolean;
  /** With `create`: fail with EXISTS if the name exists, even as a symlink (O_EXCL). */
  excl?: boolean;
  /** Truncate to 0 bytes on open (O_TRUNC); needs `write`. */
  truncate?: boolean;
  /** Fail with NOT_DIR unless the object is a directory (O_DIRECTORY). */
  directory?: boolean;
}

/** Space accounting of a backend (`statfs`). `totalBytes` 0 means "unknown". */
export interface FsSpace {
  /** Capacity in bytes. */
  totalBytes: number;
  /** Bytes in use. */
  usedBytes: number;
}

/** `detail` of a `PalError(SYMLINK)`: where the walk stopped and what the link says. */
export interface SymlinkDetail {
  /** The link's target string, verbatim. */
  target: string;
  /** The path up to and including the link, e.g. `"a/b"` for `"a/b/c"`. */
  consumed: string;
  /** The rest of the path after the link (`""` when the link was the final component). */
  rest: string;
}

/** An open file (or directory) of a backend. Methods throw `PalError`. */
export interface FsFile {
  /**
   * Read up to `buf.length` bytes at byte offset `pos`.
   * @returns bytes read; fewer than asked only at end of file; 0 at or past the end.
   * @throws {PalError} BAD_HANDLE if not opened for reading or closed; IS_DIR for a directory.
   */
  pread(buf: Uint8Array, pos: number): number;
  /**
   * Write all of `buf` at byte offset `pos`, extending the file (with zeros) if needed.
   * @returns bytes written (`buf.length`).
   * @throws {PalError} BAD_HANDLE if not opened for writing; NO_SPACE (nothing written).
   */
  pwrite(buf: Uint8Array, pos: number): number;
  /**
   * Atomically write all of `buf` at the current end of the file.
   * @returns bytes written (`buf.length`).
   */
  append(buf: Uint8Array): number;
  /** Status of the open object (still valid after the name is unlinked). */
  stat(): FileStat;
  /** Set the size to `len` bytes (needs write access). */
  truncate(len: number): void;
  /** Flush to stable storage (no-op in memory). */
  sync(): void;
  /** Release the handle; later calls throw BAD_HANDLE. Closing twice is a no-op. */
  close(): void;
}

/** A file-system backend serving one mount. See the module doc for the rules. */
export interface FsBackend {
  /** Whether every mutating call throws READ_ONLY. */
  readonly readonly: boolean;
  /** Status of `p` without following a final symlink. */
  lstat(p: string): FileStat;
  /** Open (and maybe create, with permission bits `mode`) the file or directory `p`. */
  open(p: string, flags: OpenFlags, mode: number): FsFile;
  /** Create directory `p` (EXISTS if the name exists, even as a symlink). */
  mkdir(p: string, mode: number): void;
  /** Remove the empty directory `p` (NOT_DIR, NOT_EMPTY, BUSY for the root). */
  rmdir(p: string): void;
  /** Remove the non-directory name `p` (IS_DIR for a directory). */
  unlink(p: string): void;
  /** POSIX rename: replaces a file, or an empty directory with a directory. */
  rename(from: string, to: string): void;
  /** Make `newPath` another name of the non-directory `existing`. */
  link(existing: string, newPath: string): void;
  /** Create a symlink `p` whose target string is `target`, stored verbatim. */
  symlink(target: string, p: string): void;
  /** The target string of symlink `p` (INVAL if `p` is not a symlink). */
  readlink(p: string): string;
  /** Entries of directory `p`, sorted by name (so cookies stay stable). */
  readdir(p: string): DirEntry[];
  /** Set access and/or modification time; `null` leaves that time unchanged. */
  utimes(p: string, atimeMs: number | null, mtimeMs: number | null): void;
  /**
   * `utimes` in ns (fs_time.ts). With `nofollow` a final symlink's own times are set (lutimes;
   * NOT_SUPPORTED where the host cannot) instead of throwing SYMLINK.
   */
  utimesNs(p: string, atimeNs: bigint | null, mtimeNs: bigint | null, nofollow?: boolean): void;
  /** Set the size of file `p` to `len` bytes. */
  truncate(p: string, len: number): void;
  /**
   * chmod(2): set the permission bits of `p` (0..0o7777), following a final link (SYMLINK).
   * A backend keeps only the bits it allows a guest to set (ChrootFs: 0o777).
   */
  chmod(p: string, mode: number): void;
  /** Space accounting. */
  statfs(): FsSpace;
}
