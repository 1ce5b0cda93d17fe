/**
 * `TmpFs`: an in-memory, size-capped {@link FsBackend}. Every path is validated and walked
 * component by component; symlinks are stored verbatim and never followed (see fs_types.ts).
 * Space: file bytes by logical size, symlink targets, names, and {@link INODE_BYTES} per inode
 * are charged against `sizeBytes` before any change, so NO_SPACE never leaves a half-done write.
 * Permission bits are stored, not enforced: the libOS checks them in the guest's view.
 * @module
 */
import { PalCode, PalError } from "../errors.ts";
import {
  checkLinkTarget,
  checkMode,
  checkOffset,
  checkRelPath,
  checkTime,
  readFlags,
  readOnlyError,
  symlinkError,
  utf8Length,
} from "./fs_path.ts";
import type { DirEntry, FileStat, FsBackend, FsFile, FsSpace, OpenFlags } from "./fs_types.ts";
import { checkTimeNs, msOfNs, nsOfMs } from "./fs_time.ts";
import { ChunkedBytes } from "./tmpfs_data.ts";
import {
  contentBytes,
  type DirNode,
  type FileNode,
  INODE_BYTES,
  type Node,
  resizeFile,
  type Space,
  statOf,
  TmpFile,
} from "./tmpfs_node.ts";

/** Options of {@link TmpFs}. */
/** The mode bit (sticky) that marks a file node as a FIFO; guest creates never set it. */
export const FIFO_MODE_BIT = 0o1000;

/** Whether a file node's permission bits mark it as a FIFO. */
export function isFifoMode(mode: number): boolean {
  return (mode & FIFO_MODE_BIT) !== 0;
}

export interface TmpFsOptions {
  /** Capacity in bytes (contents, names and per-inode overhead). */
  sizeBytes: number;
  /** Refuse every mutation with READ_ONLY. */
  readonly?: boolean;
}

let nextDev = 0x7000;

/** A parent directory and the final name of a validated path. */
interface Slot {
  parts: string[];
  dir: DirNode;
  name: string;
}

/**
 * An in-memory file system.
 * @example
 * ```ts
 * import { TmpFs } from "./tmpfs.ts";
 * const fs = new TmpFs({ sizeBytes: 1 << 20 });
 * const f = fs.open("hello", { write: true, create: true }, 0o644);
 * f.pwrite(new TextEncoder().encode("hi"), 0);
 * f.close();
 * console.assert(fs.lstat("hello").size === 2);
 * ```
 */
export class TmpFs implements FsBackend {
  /** Whether mutations are refused. */
  readonly readonly: boolean;
  readonly #capBytes: number;
  readonly #dev = nextDev++;
  #usedBytes = 0;
  #nextIno = 1;
  readonly #root: DirNode;
  readonly #space: Space = {
    reserve: (bytes) => {
      if (bytes > 0 && this.#usedBytes + bytes > this.#capBytes) {
        throw new PalError(PalCode.NO_SPACE, "tmpfs: no space left on the mount");
      }
      this.#usedBytes += bytes;
    },
  };

  /** @throws {PalError} INVAL if `sizeBytes` is not a non-negative integer */
  constructor(opts: TmpFsOptions) {
    this.#capBytes = checkOffset(opts.sizeBytes, "sizeBytes");
    this.readonly = opts.readonly === true;
    const root = this.#newDir(0o755, undefined);
    this.#root = root;
  }

  #newIno(): number {
    return this.#nextIno++;
  }

  #newDir(mode: number, parent: DirNode | undefined): DirNode {
    const now = Date.now();
    const d: DirNode = {
      type: "dir" as const,
      ino: this.#newIno(),
      mode,
      nlink: 2,
      atimeMs: now,
      mtimeMs: now,
      ctimeMs: now,
      entries: new Map<string, Node>(),
      parent: parent as DirNode, // the root (no parent) is fixed up on the next line
    };
    d.parent = parent ?? d;
    return d;
  }

  #mutating(op: string): void {
    if (this.readonly) throw readOnlyError(op);
  }

  /** Walk `parts[0..upto)`, each of which must be a directory. */
  #walkDirs(parts: string[], upto: number): DirNode {
    let dir = this.#root;
    for (let i = 0; i < upto; i++) {
      const n = dir.entries.get(parts[i]!);
      if (!n) {
        throw PalError.quick(PalCode.NOT_FOUND, `"${parts.slice(0, i + 1).join("/")}" not found`);
      }
      if (n.type === "symlink") throw symlinkError(n.target, parts, i);
      if (n.type !== "dir") {
        throw new PalError(
          PalCode.NOT_DIR,
          `"${parts.slice(0, i + 1).join("/")}" is not a directory`,
        );
      }
      dir = n;
    }
    return dir;
  }

  /** Validate `p` (not the root) and walk to its parent directory. */
  #slot(p: string, op: string): Slot {
    const parts = checkRelPath(p);
    if (parts.length === 0) {
      throw new PalError(PalCode.BUSY, `${op}: not allowed on the mount root`);
    }
    return { parts, dir: this.#walkDirs(parts, parts.length - 1), name: parts[parts.length - 1]! };
  }

  /** The node at `p` (final symlinks not followed), or NOT_FOUND. */
  #lookup(p: string): { node: Node; parts: string[] } {
    const parts = checkRelPath(p);
    if (parts.length === 0) return { node: this.#root, parts };
    const dir = this.#walkDirs(parts, parts.length - 1);
    const node = dir.entries.get(parts[parts.length - 1]!);
    if (!node) throw PalError.quick(PalCode.NOT_FOUND, `"${p}" not found`);
    return { node, parts };
  }

  /** Like #lookup, but a final symlink throws SYMLINK (for calls POSIX makes follow). */
  #lookupFollow(p: string): FileNode | DirNode {
    const { node, parts } = this.#lookup(p);
    if (node.type === "symlink") throw symlinkError(node.target, parts, parts.length - 1);
    return node;
  }

  #touchDir(dir: DirNode): void {
    dir.mtimeMs = dir.ctimeMs = Date.now();
  }

  /** Add `node` as `name` in `dir`, charging `extraBytes` more (for a new inode). */
  #addEntry(dir: DirNode, name: string, node: Node, extraBytes: number): void {
    this.#space.reserve(utf8Length(name) + extraBytes);
    dir.entries.set(name, node);
    if (node.type === "dir") dir.nlink++;
    this.#touchDir(dir);
  }

  /** Remove entry `name` (holding `node`) from `dir` and drop one link of `node`. */
  #removeEntry(dir: DirNode, name: string, node: Node): void {
    dir.entries.delete(name);
    this.#space.reserve(-utf8Length(name));
    this.#touchDir(dir);
    node.ctimeMs = Date.now();
    if (node.type === "dir") {
      dir.nlink--;
      node.nlink = 0;
    } else node.nlink--;
    if (node.nlink === 0 && !(node.type === "file" && node.openCount > 0)) this.#free(node);
  }

  #free(node: Node): void {
    this.#space.reserve(-(contentBytes(node) + INODE_BYTES));
    if (node.type === "file") node.data.truncate(0);
  }

  /** See {@link FsBackend.lstat}. */
  lstat(p: string): FileStat {
    return statOf(this.#lookup(p).node, this.#dev);
  }

  /** See {@link FsBackend.open}. */
  open(p: string, flags: OpenFlags, mode: number): FsFile {
    const f = readFlags(flags);
    if (f.write || f.create || f.truncate) this.#mutating("open for writing");
    if (f.truncate && !f.write) throw new PalError(PalCode.INVAL, "open: truncate needs write");
    const parts = checkRelPath(p);
    let node: Node | undefined = this.#root;
    if (parts.length > 0) {
      const dir = this.#walkDirs(parts, parts.length - 1);
      const name = parts[parts.length - 1]!;
      node = dir.entries.get(name);
      if (!node) {
        if (!f.create) throw PalError.quick(PalCode.NOT_FOUND, `"${p}" not found`);
        if (f.directory) throw new PalError(PalCode.INVAL, "open: create with directory");
        // The FIFO marker bit is only set by mkfifo: a guest create cannot forge a FIFO.
        node = this.#newFile(checkMode(mode) & ~FIFO_MODE_BIT);
        this.#addEntry(dir, name, node, INODE_BYTES);
      } else if (f.create && f.excl) throw new PalError(PalCode.EXISTS, `"${p}" exists`);
    } else if (f.create && f.excl) throw new PalError(PalCode.EXISTS, "the mount root exists");
    if (node.type === "symlink") throw symlinkError(node.target, parts, parts.length - 1);
    if (node.type === "dir") {
      if (f.create) throw new PalError(PalCode.IS_DIR, `open: "${p}" is a directory`);
      if (f.write) throw new PalError(PalCode.IS_DIR, `"${p}" is a directory`);
    } else {
      if (f.directory) throw new PalError(PalCode.NOT_DIR, `"${p}" is not a directory`);
      if (isFifoMode(node.mode)) {
        // No data lives here: the libOS rendezvouses through the host's `fifo:` streams.
        throw new PalError(PalCode.NOT_SUPPORTED, `"${p}" is a FIFO`);
      }
      if (f.truncate && node.data.size > 0) resizeFile(node, 0, this.#space);
      node.openCount++;
    }
    return new TmpFile(node, f.read, f.write, this.#dev, this.#space, (n) => this.#free(n));
  }

  #newFile(mode: number): FileNode {
    const now = Date.now();
    return {
      type: "file",
      ino: this.#newIno(),
      mode,
      nlink: 1,
      atimeMs: now,
      mtimeMs: now,
      ctimeMs: now,
      data: new ChunkedBytes(),
      openCount: 0,
    };
  }

  /** See {@link FsBackend.mkdir}. */
  mkdir(p: string, mode: number): void {
    this.#mutating("mkdir");
    const s = this.#slot(p, "mkdir");
    if (s.dir.entries.has(s.name)) throw new PalError(PalCode.EXISTS, `"${p}" exists`);
    this.#addEntry(s.dir, s.name, this.#newDir(checkMode(mode), s.dir), INODE_BYTES);
  }

  /** See {@link FsBackend.rmdir}. */
  rmdir(p: string): void {
    this.#mutating("rmdir");
    const s = this.#slot(p, "rmdir");
    const node = s.dir.entries.get(s.name);
    if (!node) throw new PalError(PalCode.NOT_FOUND, `"${p}" not found`);
    if (node.type !== "dir") throw new PalError(PalCode.NOT_DIR, `"${p}" is not a directory`);
    if (node.entries.size > 0) throw new PalError(PalCode.NOT_EMPTY, `"${p}" is not empty`);
    this.#removeEntry(s.dir, s.name, node);
  }

  /** See {@link FsBackend.unlink}. */
  unlink(p: string): void {
    this.#mutating("unlink");
    const s = this.#slot(p, "unlink");
    const node = s.dir.entries.get(s.name);
    if (!node) throw new PalError(PalCode.NOT_FOUND, `"${p}" not found`);
    if (node.type === "dir") throw new PalError(PalCode.IS_DIR, `"${p}" is a directory`);
    this.#removeEntry(s.dir, s.name, node);
  }

  /** See {@link FsBackend.rename}. */
  rename(from: string, to: string): void {
    this.#mutating("rename");
    const a = this.#slot(from, "rename");
    const b = this.#slot(to, "rename");
    const src = a.dir.entries.get(a.name);
    if (!src) throw new PalError(PalCode.NOT_FOUND, `"${from}" not found`);
    const dst = b.dir.entries.get(b.name);
    if (dst === src) return; // two names of one inode: POSIX says do nothing
    if (src.type === "dir") {
      for (let d = b.dir;; d = d.parent) {
        if (d === src) throw new PalError(PalCode.INVAL, `cannot move "${from}" into itself`);
        if (d === d.parent) break;
      }
    }
    if (dst) {
      if (src.type === "dir" && dst.type !== "dir") {
        throw new PalError(PalCode.NOT_DIR, `"${to}" is not a directory`);
      }
      if (src.type !== "dir" && dst.type === "dir") {
        throw new PalError(PalCode.IS_DIR, `"${to}" is a directory`);
      }
      if (dst.type === "dir" && dst.entries.size > 0) {
        throw new PalError(PalCode.NOT_EMPTY, `"${to}" is not empty`);
      }
    }
    // Space: with no target the new name is charged first (NO_SPACE changes nothing); a
    // replaced target releases at least the bytes of its name, so the charge then succeeds.
    if (dst) this.#removeEntry(b.dir, b.name, dst);
    this.#addEntry(b.dir, b.name, src, 0);
    a.dir.entries.delete(a.name);
    this.#space.reserve(-utf8Length(a.name));
    if (src.type === "dir") {
      a.dir.nlink--;
      src.parent = b.dir;
    }
    this.#touchDir(a.dir);
    src.ctimeMs = Date.now();
  }

  /** See {@link FsBackend.link}. */
  link(existing: string, newPath: string): void {
    this.#mutating("link");
    const a = this.#slot(existing, "link");
    const b = this.#slot(newPath, "link");
    const node = a.dir.entries.get(a.name);
    if (!node) throw new PalError(PalCode.NOT_FOUND, `"${existing}" not found`);
    if (node.type === "dir") {
      throw new PalError(PalCode.NOT_PERMITTED, `"${existing}" is a directory`);
    }
    if (b.dir.entries.has(b.name)) throw new PalError(PalCode.EXISTS, `"${newPath}" exists`);
    this.#addEntry(b.dir, b.name, node, 0);
    node.nlink++;
    node.ctimeMs = Date.now();
  }

  /**
   * mkfifo(3): an empty file node whose mode carries {@link FIFO_MODE_BIT} (the libOS shows it
   * as S_IFIFO; `open` refuses it with NOT_SUPPORTED). Only this call sets the bit.
   */
  mkfifo(p: string, mode: number): void {
    this.#mutating("mkfifo");
    const s = this.#slot(p, "mkfifo");
    if (s.dir.entries.has(s.name)) throw new PalError(PalCode.EXISTS, `"${p}" exists`);
    const node = this.#newFile((checkMode(mode) & 0o777) | FIFO_MODE_BIT);
    this.#addEntry(s.dir, s.name, node, INODE_BYTES);
  }

  /** See {@link FsBackend.symlink}. */
  symlink(target: string, p: string): void {
    this.#mutating("symlink");
    const t = checkLinkTarget(target);
    const s = this.#slot(p, "symlink");
    if (s.dir.entries.has(s.name)) throw new PalError(PalCode.EXISTS, `"${p}" exists`);
    const now = Date.now();
    const node: Node = {
      type: "symlink",
      ino: this.#newIno(),
      mode: 0o777,
      nlink: 1,
      atimeMs: now,
      mtimeMs: now,
      ctimeMs: now,
      target: t,
    };
    this.#addEntry(s.dir, s.name, node, INODE_BYTES + utf8Length(t));
  }

  /** See {@link FsBackend.readlink}. */
  readlink(p: string): string {
    const { node } = this.#lookup(p);
    if (node.type !== "symlink") throw new PalError(PalCode.INVAL, `"${p}" is not a symlink`);
    return node.target;
  }

  /** See {@link FsBackend.readdir}. */
  readdir(p: string): DirEntry[] {
    const node = this.#lookupFollow(p);
    if (node.type !== "dir") throw new PalError(PalCode.NOT_DIR, `"${p}" is not a directory`);
    const out: DirEntry[] = [];
    for (const [name, n] of node.entries) out.push({ name, type: n.type, ino: n.ino });
    return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  }

  /** See {@link FsBackend.utimes}. */
  utimes(p: string, atimeMs: number | null, mtimeMs: number | null): void {
    const a = checkTime(atimeMs);
    const m = checkTime(mtimeMs);
    this.utimesNs(p, a === null ? null : nsOfMs(a), m === null ? null : nsOfMs(m));
  }

  /** See {@link FsBackend.utimesNs}. */
  utimesNs(p: string, atimeNs: bigint | null, mtimeNs: bigint | null, nofollow = false): void {
    this.#mutating("utimes");
    const a = checkTimeNs(atimeNs);
    const m = checkTimeNs(mtimeNs);
    const node = nofollow ? this.#lookup(p).node : this.#lookupFollow(p);
    if (a !== null) [node.atimeMs, node.atimeNs] = [msOfNs(a), a];
    if (m !== null) [node.mtimeMs, node.mtimeNs] = [msOfNs(m), m];
    node.ctimeMs = Date.now();
  }

  /** See {@link FsBackend.chmod}. All twelve bits are kept, but a file node's sticky bit: it
   * marks a FIFO ({@link FIFO_MODE_BIT}), which only `mkfifo` sets and `chmod` keeps. */
  chmod(p: string, mode: number): void {
    this.#mutating("chmod");
    const m = checkMode(mode);
    const node = this.#lookupFollow(p);
    node.mode = node.type === "dir" ? m : (m & ~FIFO_MODE_BIT) | (node.mode & FIFO_MODE_BIT);
    node.ctimeMs = Date.now();
  }

  /** See {@link FsBackend.truncate}. */
  truncate(p: string, len: number): void {
    this.#mutating("truncate");
    const n = checkOffset(len, "length");
    const node = this.#lookupFollow(p);
    if (node.type === "dir") throw new PalError(PalCode.IS_DIR, `"${p}" is a directory`);
    resizeFile(node, n, this.#space);
  }

  /** See {@link FsBackend.statfs}. */
  statfs(): FsSpace {
    return { totalBytes: this.#capBytes, usedBytes: this.#usedBytes };
  }
}
