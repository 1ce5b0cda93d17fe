/**
 * Inodes of the in-memory file system and its open-file handle. A file's bytes are charged to
 * the mount's {@link Space} by logical size; an unlinked file keeps its bytes (and its charge)
 * until the last handle closes.
 * @module
 */
import { PalCode, PalError } from "../errors.ts";
import { checkBuffer, checkOffset, MAX_FILE_BYTES } from "./fs_path.ts";
import { msOfNs, nsFields } from "./fs_time.ts";
import type { FileStat, FsFile } from "./fs_types.ts";
import type { ChunkedBytes } from "./tmpfs_data.ts";

/** Bytes charged per inode, so empty files and directories are not free. */
export const INODE_BYTES = 256;

/** Space accounting of one mount. `reserve` throws NO_SPACE and changes nothing on failure. */
export interface Space {
  /** Charge `bytes` (may be negative) or throw NO_SPACE. */
  reserve(bytes: number): void;
}

interface NodeBase {
  readonly ino: number;
  mode: number;
  nlink: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  /** Exact times set by `utimesNs`; valid while `msOfNs` of them equals the ms field. */
  atimeNs?: bigint;
  mtimeNs?: bigint;
}

/** A regular file. `openCount` counts live handles. */
export interface FileNode extends NodeBase {
  readonly type: "file";
  readonly data: ChunkedBytes;
  openCount: number;
}

/** A directory. `parent` is itself for the root; directories have exactly one name. */
export interface DirNode extends NodeBase {
  readonly type: "dir";
  readonly entries: Map<string, Node>;
  parent: DirNode;
}

/** A symlink: a verbatim target string. */
export interface LinkNode extends NodeBase {
  readonly type: "symlink";
  readonly target: string;
}

/** Any inode. */
export type Node = FileNode | DirNode | LinkNode;

/** The charged size of a node's contents (file bytes, link target length). */
export function contentBytes(n: Node): number {
  if (n.type === "file") return n.data.size;
  if (n.type === "symlink") return new TextEncoder().encode(n.target).length;
  return 0;
}

/** `FileStat` of a node on device `dev`. */
export function statOf(n: Node, dev: number): FileStat {
  return {
    type: n.type,
    size: contentBytes(n),
    ino: n.ino,
    nlink: n.nlink,
    mode: n.mode,
    dev,
    atimeMs: n.atimeMs,
    mtimeMs: n.mtimeMs,
    ctimeMs: n.ctimeMs,
    ...nsFields(n, {
      atime: n.atimeNs !== undefined && msOfNs(n.atimeNs) === n.atimeMs ? n.atimeNs : undefined,
      mtime: n.mtimeNs !== undefined && msOfNs(n.mtimeNs) === n.mtimeMs ? n.mtimeNs : undefined,
    }),
  };
}

/** Grow or shrink a file to `len` bytes, charging the difference first. */
export function resizeFile(n: FileNode, len: number, space: Space): void {
  if (len > MAX_FILE_BYTES) throw new PalError(PalCode.TOO_LONG, "file size too large");
  space.reserve(len - n.data.size);
  n.data.truncate(len);
  n.mtimeMs = n.ctimeMs = Date.now();
}

/** Write `buf` at `pos`, charging the growth first: on NO_SPACE nothing is written. */
export function writeFile(n: FileNode, buf: Uint8Array, pos: number, space: Space): number {
  const end = pos + buf.length;
  if (end > MAX_FILE_BYTES) {
    throw new PalError(PalCode.TOO_LONG, "write past the largest file size");
  }
  space.reserve(Math.max(0, end - n.data.size));
  n.data.write(buf, pos);
  n.mtimeMs = n.ctimeMs = Date.now();
  return buf.length;
}

/** An open tmpfs file or directory. Owns one count of `node.openCount` for files. */
export class TmpFile implements FsFile {
  #closed = false;

  /**
   * @param node the opened inode (`openCount` already incremented for files)
   * @param onLastClose called after the close that leaves an unlinked file with no handles
   */
  constructor(
    readonly node: FileNode | DirNode,
    readonly canRead: boolean,
    readonly canWrite: boolean,
    readonly dev: number,
    readonly space: Space,
    readonly onLastClose: (n: FileNode) => void,
  ) {}

  #file(op: string, needWrite: boolean): FileNode {
    if (this.#closed) throw new PalError(PalCode.BAD_HANDLE, `${op}: file is closed`);
    if (this.node.type === "dir") throw new PalError(PalCode.IS_DIR, `${op}: is a directory`);
    if (needWrite ? !this.canWrite : !this.canRead) {
      throw new PalError(
        PalCode.BAD_HANDLE,
        `${op}: not open for ${needWrite ? "writing" : "reading"}`,
      );
    }
    return this.node;
  }

  /** See {@link FsFile.pread}. */
  pread(buf: Uint8Array, pos: number): number {
    const n = this.#file("pread", false);
    return n.data.read(checkBuffer(buf), checkOffset(pos, "offset"));
  }

  /** See {@link FsFile.pwrite}. */
  pwrite(buf: Uint8Array, pos: number): number {
    const n = this.#file("pwrite", true);
    return writeFile(n, checkBuffer(buf), checkOffset(pos, "offset"), this.space);
  }

  /** See {@link FsFile.append}. Atomic: the host serves one call at a time. */
  append(buf: Uint8Array): number {
    const n = this.#file("append", true);
    return writeFile(n, checkBuffer(buf), n.data.size, this.space);
  }

  /** See {@link FsFile.stat}. */
  stat(): FileStat {
    if (this.#closed) throw new PalError(PalCode.BAD_HANDLE, "stat: file is closed");
    return statOf(this.node, this.dev);
  }

  /** See {@link FsFile.truncate}. */
  truncate(len: number): void {
    resizeFile(this.#file("truncate", true), checkOffset(len, "length"), this.space);
  }

  /** In memory: nothing to flush. */
  sync(): void {
    if (this.#closed) throw new PalError(PalCode.BAD_HANDLE, "sync: file is closed");
  }

  /** See {@link FsFile.close}. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.node.type !== "file") return;
    this.node.openCount--;
    if (this.node.openCount === 0 && this.node.nlink === 0) this.onLastClose(this.node);
  }
}
