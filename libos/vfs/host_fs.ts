/**
 * `HostFs`: a manifest mount (chroot or tmpfs) reached through the PAL's `file://<id>/<rel>`
 * and `dir://<id>/<rel>` streams. The host walks without following symlinks and answers
 * SYMLINK errors, which propagate unchanged to resolve.ts.
 */
import { OpenFlag } from "../../pal/abi.ts";
import { PalCode, PalError } from "../../pal/errors.ts";
import type { PalClient } from "../../pal/guest/client.ts";
import { Errno, ErrnoError } from "../errno.ts";
import type { Handle } from "../handle.ts";
import { O, S, type Stat } from "../sys/types.ts";
import { HostDirHandle, HostFileHandle, statFromPal, timeAttrs } from "./host_handle.ts";
import type { MountFs, OpenRequest } from "./mount.ts";
import { FIFO_MARK, openFifo } from "../sys/fifo.ts";
import { readAheadOf } from "./readahead.ts";

/** PAL stream flags for open(2) flags. O_APPEND is not passed: the handle appends per write
 * (`stream_write` at -1) while the description has O_APPEND, so fcntl can clear it. */
export function palOpenFlags(flags: number): number {
  const acc = flags & O.ACCMODE;
  const writable = acc === O.WRONLY || acc === O.RDWR;
  let f = acc === O.WRONLY
    ? OpenFlag.WRITE
    : acc === O.RDWR
    ? OpenFlag.READ | OpenFlag.WRITE
    : OpenFlag.READ;
  if (flags & O.CREAT) f |= OpenFlag.CREATE;
  if (flags & O.EXCL) f |= OpenFlag.EXCL;
  if ((flags & O.TRUNC) && writable) f |= OpenFlag.TRUNC;
  if (flags & O.NONBLOCK) f |= OpenFlag.NONBLOCK;
  return f;
}

/** A host mount. Host PAL errors are left as `PalError`; the VFS converts them. */
export class HostFs implements MountFs {
  /**
   * @param pal the process's PAL client
   * @param id the mount id the host bound (from the init message)
   * @param type "chroot" or "tmpfs"
   */
  constructor(
    readonly pal: PalClient,
    readonly id: number,
    readonly type: string,
    readonly readonly: boolean,
  ) {}

  #uri(scheme: "file" | "dir", rel: readonly string[]): string {
    return `${scheme}://${this.id}/${rel.join("/")}`;
  }

  #ro(): void {
    if (this.readonly) throw new ErrnoError(Errno.EROFS, "read-only mount");
  }

  lstat(rel: readonly string[]): Stat {
    const st = statFromPal(this.pal.call("stream_attr_query", this.#uri("file", rel)));
    // tmpfs marks a FIFO by the sticky bit on a file node (only mkfifo sets it).
    if (this.type === "tmpfs" && (st.mode & S.IFMT) === S.IFREG && (st.mode & FIFO_MARK)) {
      st.mode = S.IFIFO | (st.mode & 0o777);
      st.size = 0;
    }
    return st;
  }

  stat(rel: readonly string[]): Stat {
    const st = this.lstat(rel);
    if ((st.mode & S.IFMT) !== S.IFLNK) return st;
    throw this.#finalLink(rel);
  }

  #finalLink(rel: readonly string[]): PalError {
    const target = this.readlink(rel);
    return new PalError(PalCode.SYMLINK, "final symlink", {
      target,
      consumed: rel.join("/"),
      rest: "",
    });
  }

  open(rel: readonly string[], req: OpenRequest): Handle {
    if ((req.flags & O.DIRECTORY) && !(req.flags & O.CREAT)) {
      if ((req.flags & O.ACCMODE) !== O.RDONLY) {
        throw new ErrnoError(Errno.EISDIR, undefined, req.path);
      }
      const uri = this.#uri("dir", rel);
      const h = this.pal.call("stream_open", uri, 0, 0);
      return new HostDirHandle(this.pal, h, req.path);
    }
    const uri = this.#uri("file", rel);
    const access = req.flags & O.ACCMODE;
    let h: number;
    try {
      h = this.#openFile(uri, palOpenFlags(req.flags), req.mode & 0o7777, access !== O.WRONLY);
    } catch (e) {
      // A FIFO (tmpfs, or a chroot mount's emulated one) is refused as a file: rendezvous
      // through the host's `fifo:` stream. A real host FIFO stays refused (its type is not S_IFIFO).
      if (!(e instanceof PalError && e.code === PalCode.NOT_SUPPORTED)) {
        throw e;
      }
      const st = this.lstat(rel);
      if ((st.mode & S.IFMT) !== S.IFIFO) throw e;
      return openFifo(this.pal, uri, req.flags, req.path);
    }
    const chroot = this.type === "chroot";
    return new HostFileHandle(this.pal, h, req.path, uri, chroot, chroot && access === O.RDONLY);
  }

  /** `stream_open` of a file; with the version lookup its first read would make when it is
   * opened for reading and the thread's read cache looked that file up before (one host call
   * instead of two). */
  #openFile(uri: string, flags: number, mode: number, reads: boolean): number {
    const ra = reads ? readAheadOf(this.pal) : null;
    if (!ra?.wants(uri)) return this.pal.call("stream_open", uri, flags, mode);
    const all = ra.noteAll();
    const r = this.pal.call("stream_open_cached", uri, flags, mode) as { h?: unknown };
    const h = r?.h;
    if (!Number.isSafeInteger(h) || (h as number) < 0) {
      throw new PalError(PalCode.BAD_MESSAGE, "stream_open_cached: no handle");
    }
    ra.seed(h as number, uri, r, all);
    return h as number;
  }

  mkdir(rel: readonly string[], mode: number): void {
    this.#ro();
    const h = this.pal.call(
      "stream_open",
      this.#uri("dir", rel),
      OpenFlag.CREATE | OpenFlag.EXCL,
      mode & 0o7777,
    );
    this.pal.call("stream_close", h);
  }

  rmdir(rel: readonly string[]): void {
    this.#ro();
    this.pal.call("stream_delete", this.#uri("dir", rel), 1);
  }

  unlink(rel: readonly string[]): void {
    this.#ro();
    this.pal.call("stream_delete", this.#uri("file", rel), 0);
  }

  rename(from: readonly string[], to: readonly string[]): void {
    this.#ro();
    this.pal.call("stream_rename", this.#uri("file", from), this.#uri("file", to));
  }

  link(existing: readonly string[], newRel: readonly string[]): void {
    this.#ro();
    this.pal.call("stream_link", this.#uri("file", existing), this.#uri("file", newRel));
  }

  symlink(target: string, rel: readonly string[]): void {
    this.#ro();
    this.pal.call("stream_symlink", target, this.#uri("file", rel));
  }

  readlink(rel: readonly string[]): string {
    return this.pal.call("stream_readlink", this.#uri("file", rel));
  }

  truncate(rel: readonly string[], len: number): void {
    this.#ro();
    this.pal.call("stream_attr_set_uri", this.#uri("file", rel), { size: len });
  }

  chmod(rel: readonly string[], mode: number): void {
    this.#ro();
    this.pal.call("stream_attr_set_uri", this.#uri("file", rel), { mode });
  }

  utimes(rel: readonly string[], atimeMs: number | null, mtimeMs: number | null): void {
    this.#ro();
    const attrs: Record<string, number> = {};
    if (atimeMs !== null) attrs.atimeMs = atimeMs;
    if (mtimeMs !== null) attrs.mtimeMs = mtimeMs;
    this.pal.call("stream_attr_set_uri", this.#uri("file", rel), attrs);
  }

  /** `utimes` in ns (null = unchanged); `nofollow` sets a final symlink's own times. */
  utimesNs(
    rel: readonly string[],
    atimeNs: bigint | null,
    mtimeNs: bigint | null,
    nofollow: boolean,
  ): void {
    this.#ro();
    const attrs: Record<string, string | boolean> = timeAttrs(atimeNs, mtimeNs);
    if (nofollow) attrs.nofollow = true;
    this.pal.call("stream_attr_set_uri", this.#uri("file", rel), attrs);
  }
}
