/**
 * `ChrootFs`: an {@link FsBackend} over a host directory. Every guest path is validated, then
 * walked one component at a time with `Deno.lstatSync` under `hostRoot`: a symlink is never
 * followed on the host (it comes back to the guest as a SYMLINK error), so Deno's lexical
 * permission check cannot be escaped through a link that exists in the mounted directory.
 *
 * TOCTOU: the walk and the call that follows are separate host system calls. The host serves
 * one request at a time per sandbox, so a guest cannot race its own walk through this backend;
 * guests must not hold Deno write permission on `hostRoot` themselves (they could rename a
 * pre-existing link into place between the walk and the call). Changes made concurrently by
 * other host processes are out of the threat model. Two cheap guards remain anyway: `open`
 * compares the opened file's dev/ino with the walked one, and creates with O_EXCL (which never
 * follows a final symlink), truncating only after the check.
 *
 * Symlinks: a real host symlink needs unscoped --allow-read and --allow-write in the host process
 * (Deno's rule). Without them (the narrowed sandbox host), or with `symlinks: "emulate"`,
 * `symlink` stores an emulated link: a regular host file holding a magic line and the target,
 * marked with the sticky bit (chrootfs_link.ts). Every call treats such a file exactly as a
 * symlink (lstat, readlink, the walk's SYMLINK error, readdir, unlink, rename, link, O_EXCL);
 * a guest cannot forge one, because the sticky bit is stripped from every mode a guest passes
 * (creates and `chmod`). Real host symlinks keep working; neither kind is ever followed here.
 *
 * FIFOs: `mkfifo` stores an emulated FIFO, a small regular host file with its own magic line
 * and mode (sticky + 0o400, chrootfs_fifo.ts); lstat and readdir show type "fifo", `open`
 * refuses it (NOT_SUPPORTED: the libOS rendezvouses through the host's `fifo:` streams, keyed
 * by the host file's dev+ino), `truncate` refuses it (INVAL), unlink/rename/link treat it as a
 * file. A guest cannot forge one, for the reason it cannot forge a link.
 *
 * Limits: `statfs` needs --allow-sys=statfs, else reports 0/0 ("unknown"); `mkdir`/`open`/`chmod`
 * keep only the permission bits 0o777 of a guest's mode (no setuid, setgid or sticky bit on a host
 * file) and creates pass through the host umask; real host fifos, sockets and devices are listed
 * and lstat-able but `open` refuses them (NOT_SUPPORTED) and their content is never read, so a
 * guest cannot block the host on a real fifo.
 * Files listed in `trustedFiles` open read-only and verified (trusted_files.ts).
 * @module
 */
import { nodeFsIfLoaded } from "./lazy_node.ts";
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
} from "./fs_path.ts";
import type { DirEntry, FileStat, FsBackend, FsFile, FsSpace, OpenFlags } from "./fs_types.ts";
import { ChrootFile, hostError, hostType, statFromHost } from "./chrootfs_file.ts";
import { createLink, linkInfo, readLink } from "./chrootfs_link.ts";
import { createFifo, fifoInfo, isFifoInfo, readFifo } from "./chrootfs_fifo.ts";
import { checkTimeNs, floorMsOfNs, nsOfMs, TimeMemo } from "./fs_time.ts";
import type { TrustedFile } from "./trusted_files.ts";

/** Options of {@link ChrootFs}. */
export interface ChrootFsOptions {
  /** Absolute path of an existing host directory (trusted configuration, resolved once). */
  hostRoot: string;
  /** Refuse every mutation with READ_ONLY. */
  readonly?: boolean;
  /** Files (by mount-relative path) served only if their sha256 matches; never writable. */
  trustedFiles?: ReadonlyMap<string, TrustedFile>;
  /** `"auto"` (default): real host symlinks when the host may create them, else emulated ones;
   * `"emulate"`: always emulated (chrootfs_link.ts). */
  symlinks?: "auto" | "emulate";
}

/** A host lstat; `linkTarget` is set for an emulated link (then `isSymlink` is true), `fifoPerm`
 * for an emulated FIFO (then `isFile` is false). */
type HostInfo = Deno.FileInfo & { linkTarget?: string; fifoPerm?: number };

/** The bits of a guest's mode that reach a host file: the permission bits only. The sticky bit
 * marks emulated links and FIFOs, and a guest never makes a setuid or setgid host file. */
function hostBits(mode: number): number {
  return checkMode(mode) & 0o777;
}

/**
 * A host directory as a mount.
 * @example
 * ```ts
 * import { ChrootFs } from "./chrootfs.ts";
 * const dir = Deno.makeTempDirSync();
 * const fs = new ChrootFs({ hostRoot: dir, readonly: false });
 * fs.mkdir("sub", 0o755);
 * console.assert(fs.readdir("")[0]?.name === "sub");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export class ChrootFs implements FsBackend {
  /** Whether mutations are refused. */
  readonly readonly: boolean;
  readonly #root: string;
  readonly #trusted: ReadonlyMap<string, TrustedFile>;
  readonly #emulate: boolean;
  readonly #times = new TimeMemo();

  /** @throws {PalError} INVAL if `hostRoot` is not absolute; NOT_DIR/NOT_FOUND if not a dir */
  constructor(opts: ChrootFsOptions) {
    if (!opts.hostRoot.startsWith("/")) {
      throw new PalError(PalCode.INVAL, `chroot hostRoot ${opts.hostRoot} is not absolute`);
    }
    try {
      this.#root = Deno.realPathSync(opts.hostRoot); // configuration, not guest input
      if (!Deno.lstatSync(this.#root).isDirectory) {
        throw new PalError(PalCode.NOT_DIR, `chroot hostRoot ${opts.hostRoot} is not a directory`);
      }
    } catch (e) {
      throw hostError(e, "mount", opts.hostRoot);
    }
    this.readonly = opts.readonly === true;
    this.#trusted = opts.trustedFiles ?? new Map();
    this.#emulate = opts.symlinks === "emulate";
  }

  #host(parts: readonly string[], n = parts.length): string {
    return n === 0 ? this.#root : `${this.#root}/${parts.slice(0, n).join("/")}`;
  }

  #mutating(op: string): void {
    if (this.readonly) throw readOnlyError(op);
  }

  /** lstat of the first `n` components (an emulated link as a symlink, an emulated FIFO as
   * a FIFO), or null if absent. */
  #lstat(parts: readonly string[], n: number): HostInfo | null {
    const host = this.#host(parts, n);
    try {
      const st = Deno.lstatSync(host);
      const target = readLink(host, st);
      if (target !== null) return { ...linkInfo(st, target), linkTarget: target };
      const perm = readFifo(host, st);
      return perm === null ? st : fifoInfo(st, perm);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw hostError(e, "lstat", parts.slice(0, n).join("/"));
    }
  }

  /** Target of the link `st` at the first `n` components. */
  #readlink(parts: readonly string[], n: number, st: HostInfo): string {
    if (st.linkTarget !== undefined) return st.linkTarget;
    try {
      return Deno.readLinkSync(this.#host(parts, n));
    } catch (e) {
      throw hostError(e, "readlink", parts.slice(0, n).join("/"));
    }
  }

  /** Check that components `[0, upto)` are real directories (no symlink followed). */
  #walk(parts: readonly string[], upto: number): void {
    for (let i = 1; i <= upto; i++) {
      const st = this.#lstat(parts, i);
      const name = parts.slice(0, i).join("/");
      if (!st) throw PalError.quick(PalCode.NOT_FOUND, `"${name}" not found`);
      if (st.isSymlink) throw symlinkError(this.#readlink(parts, i, st), parts, i - 1);
      if (!st.isDirectory) throw new PalError(PalCode.NOT_DIR, `"${name}" is not a directory`);
    }
  }

  /** Validate and walk to the parent of `p`; the mount root itself is BUSY. */
  #slot(p: string, op: string): string[] {
    const parts = checkRelPath(p);
    if (parts.length === 0) {
      throw new PalError(PalCode.BUSY, `${op}: not allowed on the mount root`);
    }
    this.#walk(parts, parts.length - 1);
    return parts;
  }

  /** Walk all of `p`; the final object must exist and, if `follow`, not be a symlink. */
  #final(p: string, follow: boolean): { parts: string[]; st: HostInfo } {
    const parts = checkRelPath(p);
    this.#walk(parts, Math.max(0, parts.length - 1));
    const st = this.#lstat(parts, parts.length);
    if (!st) throw PalError.quick(PalCode.NOT_FOUND, `"${p}" not found`);
    if (follow && st.isSymlink) {
      throw symlinkError(this.#readlink(parts, parts.length, st), parts, parts.length - 1);
    }
    return { parts, st };
  }

  #do<T>(op: string, p: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw hostError(e, op, p);
    }
  }

  /** See {@link FsBackend.lstat}. */
  lstat(p: string): FileStat {
    return statFromHost(this.#final(p, false).st, this.#times);
  }

  /** See {@link FsBackend.open}. */
  open(p: string, flags: OpenFlags, mode: number): FsFile {
    const f = readFlags(flags);
    if (f.truncate && !f.write) throw new PalError(PalCode.INVAL, "open: truncate needs write");
    const parts = checkRelPath(p);
    const trusted = this.#trusted.get(p);
    if (trusted && (f.write || f.create || f.truncate)) {
      throw new PalError(PalCode.DENIED, `open: trusted file "${p}" cannot be opened for writing`);
    }
    this.#walk(parts, Math.max(0, parts.length - 1));
    const st = this.#lstat(parts, parts.length);
    // A FIFO opens for writing on a read-only mount too (Linux): it holds no data here.
    const fifo = st !== null && isFifoInfo(st) && !(f.create && f.excl);
    if ((f.write || f.create || f.truncate) && !fifo) this.#mutating("open for writing");
    if (!st) {
      if (!f.create) throw PalError.quick(PalCode.NOT_FOUND, `"${p}" not found`);
      if (f.directory) throw new PalError(PalCode.INVAL, "open: create with directory");
      const m = hostBits(mode);
      const opts = { read: true, write: true, createNew: true, mode: m };
      const file = this.#do("open", p, () => Deno.openSync(this.#host(parts), opts));
      return new ChrootFile(file, f.read, f.write, false, p, this.#times);
    }
    if (f.create && f.excl) throw new PalError(PalCode.EXISTS, `"${p}" exists`);
    if (st.isSymlink) {
      throw symlinkError(this.#readlink(parts, parts.length, st), parts, parts.length - 1);
    }
    const type = hostType(st);
    if (type === "fifo") {
      if (f.directory) throw new PalError(PalCode.NOT_DIR, `"${p}" is not a directory`);
      // No data lives here: the libOS rendezvouses through the host's `fifo:` streams.
      throw new PalError(PalCode.NOT_SUPPORTED, `"${p}" is a FIFO`);
    }
    if (type === "other") throw new PalError(PalCode.NOT_SUPPORTED, `open: "${p}" is not a file`);
    if (type === "dir" && (f.write || f.create)) {
      throw new PalError(PalCode.IS_DIR, `"${p}" is a directory`);
    }
    if (type === "file" && f.directory) {
      throw new PalError(PalCode.NOT_DIR, `"${p}" is not a directory`);
    }
    const opts = { read: f.read || !f.write, write: f.write };
    const file = this.#do("open", p, () => Deno.openSync(this.#host(parts), opts));
    try {
      const now = file.statSync();
      if (now.ino !== st.ino || now.dev !== st.dev) {
        throw new PalError(PalCode.TRY_AGAIN, `open: "${p}" changed during the open`);
      }
      if (f.truncate) file.truncateSync(0);
    } catch (e) {
      file.close();
      throw hostError(e, "open", p);
    }
    if (trusted && type === "file") return trusted.open(file);
    return new ChrootFile(file, f.read, f.write, type === "dir", p, this.#times);
  }

  /** See {@link FsBackend.mkdir}. */
  mkdir(p: string, mode: number): void {
    this.#mutating("mkdir");
    const m = hostBits(mode);
    const parts = this.#slot(p, "mkdir");
    this.#do("mkdir", p, () => Deno.mkdirSync(this.#host(parts), { mode: m }));
  }

  /** See {@link FsBackend.rmdir}. */
  rmdir(p: string): void {
    this.#mutating("rmdir");
    const parts = this.#slot(p, "rmdir");
    const st = this.#lstat(parts, parts.length);
    if (!st) throw new PalError(PalCode.NOT_FOUND, `"${p}" not found`);
    if (!st.isDirectory) throw new PalError(PalCode.NOT_DIR, `"${p}" is not a directory`);
    this.#do("rmdir", p, () => Deno.removeSync(this.#host(parts)));
  }

  /** See {@link FsBackend.unlink}. */
  unlink(p: string): void {
    this.#mutating("unlink");
    const parts = this.#slot(p, "unlink");
    const st = this.#lstat(parts, parts.length);
    if (!st) throw new PalError(PalCode.NOT_FOUND, `"${p}" not found`);
    if (st.isDirectory) throw new PalError(PalCode.IS_DIR, `"${p}" is a directory`);
    this.#do("unlink", p, () => Deno.removeSync(this.#host(parts)));
  }

  /** See {@link FsBackend.rename}. */
  rename(from: string, to: string): void {
    this.#mutating("rename");
    const a = this.#slot(from, "rename");
    const b = this.#slot(to, "rename");
    this.#do("rename", from, () => Deno.renameSync(this.#host(a), this.#host(b)));
  }

  /** See {@link FsBackend.link}. */
  link(existing: string, newPath: string): void {
    this.#mutating("link");
    const a = this.#slot(existing, "link");
    const b = this.#slot(newPath, "link");
    const st = this.#lstat(a, a.length);
    if (st?.isDirectory) throw new PalError(PalCode.NOT_PERMITTED, `"${existing}" is a directory`);
    this.#do("link", existing, () => Deno.linkSync(this.#host(a), this.#host(b)));
  }

  /** See {@link FsBackend.symlink}. An emulated link if the host may not make a real one. */
  symlink(target: string, p: string): void {
    this.#mutating("symlink");
    const t = checkLinkTarget(target);
    const parts = this.#slot(p, "symlink");
    const host = this.#host(parts);
    if (!this.#emulate) {
      try {
        return Deno.symlinkSync(t, host);
      } catch (e) {
        // Deno checks permissions before the system call: nothing was created.
        if (!(e instanceof Deno.errors.NotCapable)) throw hostError(e, "symlink", p);
      }
    }
    this.#do("symlink", p, () => createLink(host, t));
  }

  /**
   * mkfifo(3): an emulated FIFO (chrootfs_fifo.ts) with permission bits `mode & 0o777`; EXISTS
   * if `p` exists. Only this call makes the marker a guest cannot forge.
   */
  mkfifo(p: string, mode: number): void {
    this.#mutating("mkfifo");
    const m = hostBits(mode);
    const parts = this.#slot(p, "mkfifo");
    this.#do("mkfifo", p, () => createFifo(this.#host(parts), m));
  }

  /** See {@link FsBackend.readlink}. */
  readlink(p: string): string {
    const { parts, st } = this.#final(p, false);
    if (!st.isSymlink) throw new PalError(PalCode.INVAL, `"${p}" is not a symlink`);
    return this.#readlink(parts, parts.length, st);
  }

  /** See {@link FsBackend.readdir}. Entries that vanish (or whose names the host cannot
   * represent in UTF-8) between listing and lstat are left out. */
  readdir(p: string): DirEntry[] {
    const { parts, st } = this.#final(p, true);
    if (!st.isDirectory) throw new PalError(PalCode.NOT_DIR, `"${p}" is not a directory`);
    const out: DirEntry[] = [];
    const names = this.#do("readdir", p, () => [...Deno.readDirSync(this.#host(parts))]);
    for (const { name } of names) {
      const est = this.#lstat([...parts, name], parts.length + 1);
      if (est) out.push({ name, type: hostType(est), ino: est.ino ?? 0 });
    }
    return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  }

  /** See {@link FsBackend.utimes}. */
  utimes(p: string, atimeMs: number | null, mtimeMs: number | null): void {
    this.#mutating("utimes");
    const a = checkTime(atimeMs);
    const m = checkTime(mtimeMs);
    this.utimesNs(p, a === null ? null : nsOfMs(a), m === null ? null : nsOfMs(m));
  }

  /**
   * See {@link FsBackend.utimesNs}. The host keeps whole ms (Deno's limit); the exact ns are
   * remembered for this backend's life while the host shows them (fs_time.ts). An emulated
   * link's own times can be set; a real host link's cannot (Deno has no lutimes).
   */
  utimesNs(p: string, atimeNs: bigint | null, mtimeNs: bigint | null, nofollow = false): void {
    this.#mutating("utimes");
    const a = checkTimeNs(atimeNs);
    const m = checkTimeNs(mtimeNs);
    const { parts, st } = this.#final(p, !nofollow);
    if (st.isSymlink && st.linkTarget === undefined) {
      throw new PalError(PalCode.NOT_SUPPORTED, `utimes: cannot set the times of link "${p}"`);
    }
    const now = statFromHost(st, this.#times);
    const at = a ?? BigInt(now.atimeNs ?? 0);
    const mt = m ?? BigInt(now.mtimeNs ?? 0);
    const [ad, md] = [new Date(floorMsOfNs(at)), new Date(floorMsOfNs(mt))];
    this.#do("utimes", p, () => Deno.utimeSync(this.#host(parts), ad, md));
    this.#times.remember(st.dev, st.ino ?? 0, at, mt);
  }

  /**
   * See {@link FsBackend.chmod}. Only the bits 0o777 reach the host file: a guest never sets the
   * sticky bit (it marks emulated links and FIFOs) or setuid/setgid on a host file. An emulated
   * FIFO keeps its mode in its content and a trusted file is not changed (NOT_SUPPORTED,
   * DENIED); the host's real FIFOs, sockets and devices are NOT_SUPPORTED, as for `open`.
   */
  chmod(p: string, mode: number): void {
    this.#mutating("chmod");
    const m = hostBits(mode);
    if (this.#trusted.has(p)) {
      throw new PalError(PalCode.DENIED, `chmod: trusted file "${p}" cannot be changed`);
    }
    const { parts, st } = this.#final(p, true);
    const type = hostType(st);
    if (type !== "file" && type !== "dir") {
      throw new PalError(PalCode.NOT_SUPPORTED, `chmod: "${p}" is a ${type}`);
    }
    this.#do("chmod", p, () => Deno.chmodSync(this.#host(parts), m));
  }

  /** See {@link FsBackend.truncate}. */
  truncate(p: string, len: number): void {
    this.#mutating("truncate");
    const n = checkOffset(len, "length");
    const { parts, st } = this.#final(p, true);
    if (st.isDirectory) throw new PalError(PalCode.IS_DIR, `"${p}" is a directory`);
    if (!st.isFile) throw new PalError(PalCode.INVAL, `"${p}" is not a regular file`);
    this.#do("truncate", p, () => Deno.truncateSync(this.#host(parts), n));
  }

  /** See {@link FsBackend.statfs}. Needs --allow-sys=statfs; without it reports 0/0. Needs
   * `node:fs` loaded (`stream_statfs` loads it: lazy_node.ts `needingNodeFs`).
   * @throws {PalError} TRY_AGAIN if `node:fs` is not loaded */
  statfs(): FsSpace {
    const fs = nodeFsIfLoaded();
    if (!fs) throw new PalError(PalCode.TRY_AGAIN, "statfs: node:fs is not loaded yet");
    try {
      const s = fs.statfsSync(this.#root);
      return { totalBytes: s.blocks * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize };
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable) return { totalBytes: 0, usedBytes: 0 };
      throw hostError(e, "statfs", "");
    }
  }
}
