/**
 * File systems the libOS generates inside the picoprocess (/dev, /proc, the synthetic
 * directories between mount points): a tree of `VNode`s walked like a host backend — symlinks
 * are reported as SYMLINK errors, never followed here — and handles over generated content.
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import { Errno, ErrnoError } from "../errno.ts";
import { Handle, type HandleKind, makeStat } from "../handle.ts";
import { type Dirent, O, S, type Stat } from "../sys/types.ts";
import type { MountFs, OpenRequest } from "./mount.ts";

/** A node of a generated tree. */
export type VNode =
  | { readonly type: "dir"; readonly ino: number; children(): Map<string, VNode> }
  | { readonly type: "file"; readonly ino: number; content(): Uint8Array }
  | { readonly type: "link"; readonly ino: number; target(): string }
  /** A "magic" link (/proc/self/fd/N): readlink shows a name, open yields the object itself. */
  | {
    readonly type: "magic";
    readonly ino: number;
    target(): string;
    open(req: OpenRequest): Handle;
    stat(): Stat;
  }
  | { readonly type: "dev"; readonly ino: number; open(req: OpenRequest): Handle; stat(): Stat };

/** A generated tree as a mount. Mutations answer `mutationErrno`. */
export class VirtualFs implements MountFs {
  readonly readonly = true;
  /**
   * @param type the /proc/mounts type ("proc", "devtmpfs", "synthetic")
   * @param dev the device number reported in stat
   * @param root the tree (rebuilt lazily by its nodes)
   * @param mutationErrno what creating or removing anything answers
   */
  constructor(
    readonly type: string,
    readonly dev: number,
    readonly root: () => VNode,
    readonly mutationErrno: typeof Errno.EROFS | typeof Errno.EACCES = Errno.EACCES,
  ) {}

  /** Walk to `rel`; a link met before the end throws SYMLINK. */
  node(rel: readonly string[]): VNode {
    let n = this.root();
    for (let i = 0; i < rel.length; i++) {
      if (n.type === "link") {
        throw new PalError(PalCode.SYMLINK, "symlink", {
          target: n.target(),
          consumed: rel.slice(0, i).join("/"),
          rest: rel.slice(i).join("/"),
        });
      }
      if (n.type !== "dir") throw new ErrnoError(Errno.ENOTDIR, undefined);
      const c = n.children().get(rel[i]!);
      if (!c) throw new ErrnoError(Errno.ENOENT, undefined);
      n = c;
    }
    return n;
  }

  #statOf(n: VNode): Stat {
    switch (n.type) {
      case "dir":
        return makeStat({ dev: this.dev, ino: n.ino, mode: S.IFDIR | 0o555, nlink: 2 });
      case "file":
        return makeStat({ dev: this.dev, ino: n.ino, mode: S.IFREG | 0o444, size: 0 });
      case "link":
      case "magic":
        return makeStat({
          dev: this.dev,
          ino: n.ino,
          mode: S.IFLNK | 0o777,
          size: n.target().length,
        });
      case "dev":
        return n.stat();
    }
  }

  lstat(rel: readonly string[]): Stat {
    return this.#statOf(this.node(rel));
  }

  stat(rel: readonly string[]): Stat {
    const n = this.node(rel);
    if (n.type === "magic") return n.stat();
    if (n.type === "link") throw finalLink(n.target(), rel);
    return this.#statOf(n);
  }

  open(rel: readonly string[], req: OpenRequest): Handle {
    let n: VNode;
    try {
      n = this.node(rel);
    } catch (e) {
      if (e instanceof ErrnoError && e.errno === Errno.ENOENT && (req.flags & O.CREAT)) {
        throw new ErrnoError(this.mutationErrno, undefined, req.path);
      }
      throw e;
    }
    if ((req.flags & O.CREAT) && (req.flags & O.EXCL)) throw new ErrnoError(Errno.EEXIST);
    const writing = (req.flags & O.ACCMODE) !== O.RDONLY;
    switch (n.type) {
      case "link":
        throw finalLink(n.target(), rel);
      case "magic":
      case "dev":
        return n.open(req);
      case "dir":
        if (writing) throw new ErrnoError(Errno.EISDIR);
        return new VDirHandle(req.path, n, this.#statOf(n));
      case "file":
        if (req.flags & O.DIRECTORY) throw new ErrnoError(Errno.ENOTDIR);
        if (writing) throw new ErrnoError(Errno.EACCES);
        return new MemFileHandle(req.path, n.content(), this.#statOf(n));
    }
  }

  readlink(rel: readonly string[]): string {
    const n = this.node(rel);
    if (n.type !== "link" && n.type !== "magic") {
      throw new ErrnoError(Errno.EINVAL, "not a symlink");
    }
    return n.target();
  }

  #deny(rel: readonly string[]): never {
    this.node(rel.slice(0, -1));
    throw new ErrnoError(this.mutationErrno);
  }
  mkdir(rel: readonly string[]): void {
    this.#deny(rel);
  }
  rmdir(rel: readonly string[]): void {
    this.node(rel);
    this.#deny(rel);
  }
  unlink(rel: readonly string[]): void {
    this.node(rel);
    this.#deny(rel);
  }
  rename(from: readonly string[]): void {
    this.node(from);
    this.#deny(from);
  }
  link(existing: readonly string[]): void {
    this.node(existing);
    this.#deny(existing);
  }
  symlink(_t: string, rel: readonly string[]): void {
    this.#deny(rel);
  }
  truncate(rel: readonly string[]): void {
    this.stat(rel);
    this.#deny(rel);
  }
  utimes(rel: readonly string[]): void {
    this.stat(rel);
    this.#deny(rel);
  }
  /** chmod: EROFS on a read-only tree, else EPERM (the generated files are not the caller's). */
  chmod(rel: readonly string[]): void {
    this.stat(rel);
    throw new ErrnoError(this.mutationErrno === Errno.EROFS ? Errno.EROFS : Errno.EPERM);
  }
}

function finalLink(target: string, rel: readonly string[]): PalError {
  return new PalError(PalCode.SYMLINK, "final symlink", {
    target,
    consumed: rel.join("/"),
    rest: "",
  });
}

/** A read-only file whose content was generated at open. */
export class MemFileHandle extends Handle {
  readonly kind: HandleKind = "file";
  readonly seekable = true;
  constructor(path: string, readonly content: Uint8Array, readonly st: Stat) {
    super(path);
  }
  override read(buf: Uint8Array, pos: number | null): number {
    const at = Math.min(pos ?? 0, this.content.length);
    const n = Math.min(buf.length, this.content.length - at);
    buf.set(this.content.subarray(at, at + n));
    return n;
  }
  override write(): number {
    throw new ErrnoError(Errno.EBADF, "not open for writing", this.path);
  }
  stat(): Stat {
    return { ...this.st, size: this.content.length };
  }
  protected close(): void {}
}

/** A generated directory; the listing is taken at the first readdir from cookie 0. */
export class VDirHandle extends Handle {
  readonly kind: HandleKind = "dir";
  readonly seekable = true;
  #snapshot: Dirent[] | null = null;
  constructor(path: string, readonly node: VNode & { type: "dir" }, readonly st: Stat) {
    super(path);
  }
  override read(): number {
    throw new ErrnoError(Errno.EISDIR, undefined, this.path);
  }
  override readdir(cookie: number): { entries: Dirent[]; eof: boolean } {
    if (cookie === 0 || !this.#snapshot) {
      this.#snapshot = [...this.node.children()].map(([name, n], i) => ({
        name,
        type: n.type === "dir"
          ? S.IFDIR
          : n.type === "file"
          ? S.IFREG
          : n.type === "dev"
          ? S.IFCHR
          : S.IFLNK,
        ino: n.ino,
        next: i + 1,
      }));
    }
    return { entries: this.#snapshot.slice(cookie), eof: true };
  }
  stat(): Stat {
    return this.st;
  }
  protected close(): void {}
}
