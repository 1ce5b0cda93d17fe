/**
 * The guest-side file-system interface every mount type implements (host mounts over the PAL,
 * /dev, /proc, the synthetic directories between mount points), and the mount record.
 *
 * Paths are mount-relative component lists (`[]` = the mount root, no `.`/`..`/empty parts).
 * Like the host backends, a MountFs never follows a symlink: a walk that meets one throws
 * `PalError(SYMLINK, …, {target, consumed, rest})` with `consumed`/`rest` mount-relative, and
 * resolve.ts resolves it in the guest's view. Calls that follow a final link (`stat`, `open`
 * without O_NOFOLLOW, `truncate`, `utimes`, `chmod`) throw the same error for a final link.
 */
import type { Handle } from "../handle.ts";
import type { Stat } from "../sys/types.ts";

/** Options of `MountFs.open`. */
export interface OpenRequest {
  /** open(2) flags (O.*); the VFS has already checked them for consistency. */
  readonly flags: number;
  /** Permission bits after the umask. */
  readonly mode: number;
  /** The guest path being opened (for messages and `Handle.path`). */
  readonly path: string;
}

/** One mounted file system. All methods throw `ErrnoError` or `PalError`. */
export interface MountFs {
  /** The `type` shown in /proc/mounts. */
  readonly type: string;
  /** Every mutation answers EROFS. */
  readonly readonly: boolean;
  /** Status of `rel`, not following a final symlink. */
  lstat(rel: readonly string[]): Stat;
  /** Status of `rel`, following a final symlink (SYMLINK error for a final link). */
  stat(rel: readonly string[]): Stat;
  /** Open (and maybe create) `rel`. */
  open(rel: readonly string[], req: OpenRequest): Handle;
  mkdir(rel: readonly string[], mode: number): void;
  rmdir(rel: readonly string[]): void;
  unlink(rel: readonly string[]): void;
  /** Rename within this mount. */
  rename(from: readonly string[], to: readonly string[]): void;
  link(existing: readonly string[], newRel: readonly string[]): void;
  symlink(target: string, rel: readonly string[]): void;
  readlink(rel: readonly string[]): string;
  truncate(rel: readonly string[], len: number): void;
  utimes(rel: readonly string[], atimeMs: number | null, mtimeMs: number | null): void;
  /** chmod(2): set the permission bits of `rel` (following a final symlink). */
  chmod(rel: readonly string[], mode: number): void;
}

/** A mount: a file system at an absolute guest path. */
export interface Mount {
  /** Normalized absolute guest path ("/" or "/data"). */
  readonly path: string;
  /** `path` split into components. */
  readonly parts: readonly string[];
  readonly fs: MountFs;
  /** Options column of /proc/mounts. */
  readonly options: string;
}
