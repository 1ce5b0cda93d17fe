/**
 * Trusted files (manifest `fs.trusted_files`): a host file served to the guest only if its
 * bytes hash to the sha256 the manifest lists. All verification reads the already-open file
 * descriptor, so swapping the path after the check changes nothing.
 *
 * - Files up to `wholeMaxBytes` (1 MiB): read whole at open, hashed, served from that copy.
 * - Larger files: the first open makes one streaming pass (incremental sha256 of the whole
 *   file, plus a sha256 per `chunkBytes` chunk); if the whole matches, the chunk hashes are
 *   remembered with the file's dev/ino/size/mtime/ctime. Later opens of the unchanged file skip
 *   the pass; every read re-verifies only the chunks it touches. A changed fingerprint means a
 *   new pass; a chunk changed in place behind an unchanged fingerprint fails at read time.
 * A mismatch is `PalError(DENIED)` naming the file.
 *
 * Hashing uses `node:crypto`, loaded lazily (lazy_node.ts): a host whose manifest lists trusted
 * files loads it before it serves; a trusted file opened before then fails with a clear error.
 * @module
 */
import { nodeCrypto } from "./lazy_node.ts";
import { PalCode, PalError } from "../errors.ts";
import { checkBuffer, checkOffset } from "./fs_path.ts";
import type { FileStat, FsFile } from "./fs_types.ts";
import { hostError, statFromHost } from "./chrootfs_file.ts";

/** Options of {@link TrustedFile}. */
export interface TrustedFileOptions {
  /** Size of a verified chunk in bytes (default 64 KiB). */
  chunkBytes?: number;
  /** Largest file hashed whole and served from memory (default 1 MiB). */
  wholeMaxBytes?: number;
}

interface Verified {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  chunkHashes: string[];
}

function sha256(b: Uint8Array): string {
  return nodeCrypto().createHash("sha256").update(b).digest("hex");
}

/** Read exactly `buf.length` bytes at `pos` (fewer only at end of file). */
function readAt(file: Deno.FsFile, buf: Uint8Array, pos: number): number {
  file.seekSync(pos, Deno.SeekMode.Start);
  let got = 0;
  while (got < buf.length) {
    const n = file.readSync(buf.subarray(got));
    if (n === null || n === 0) break;
    got += n;
  }
  return got;
}

/**
 * One file listed in the manifest with its sha256.
 * @example
 * ```ts
 * import { createHash } from "node:crypto";
 * import { loadNodeCrypto } from "./lazy_node.ts";
 * import { TrustedFile } from "./trusted_files.ts";
 * await loadNodeCrypto();
 * const path = Deno.makeTempFileSync();
 * Deno.writeTextFileSync(path, "trusted");
 * const hash = createHash("sha256").update("trusted").digest("hex");
 * const f = new TrustedFile("lib.so", hash).openPath(path);
 * console.assert(f.stat().size === 7);
 * f.close();
 * Deno.removeSync(path);
 * ```
 */
export class TrustedFile {
  readonly #expected: string;
  readonly #chunkBytes: number;
  readonly #wholeMaxBytes: number;
  #verified: Verified | undefined;
  #passes = 0;

  /**
   * @param name how messages name the file (the manifest's path)
   * @param sha256Hex the expected sha256, 64 hex digits
   * @throws {PalError} INVAL for a malformed hash or option
   */
  constructor(readonly name: string, sha256Hex: string, opts: TrustedFileOptions = {}) {
    if (!/^[0-9a-fA-F]{64}$/.test(sha256Hex)) {
      throw new PalError(PalCode.INVAL, `trusted file ${name}: sha256 must be 64 hex digits`);
    }
    this.#expected = sha256Hex.toLowerCase();
    this.#chunkBytes = checkOffset(opts.chunkBytes ?? 64 * 1024, "chunkBytes");
    this.#wholeMaxBytes = checkOffset(opts.wholeMaxBytes ?? 1024 * 1024, "wholeMaxBytes");
    if (this.#chunkBytes === 0) throw new PalError(PalCode.INVAL, "chunkBytes must be positive");
  }

  /** How many whole-file passes over a large file were made (for tests and the audit log). */
  get passes(): number {
    return this.#passes;
  }

  /**
   * Verify and serve the host file at `hostPath` (trusted manifest configuration).
   * @throws {PalError} DENIED if the hash does not match; NOT_FOUND etc. from the host
   */
  openPath(hostPath: string): FsFile {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(hostPath, { read: true });
    } catch (e) {
      throw hostError(e, "open", this.name);
    }
    return this.open(file);
  }

  /**
   * Verify an already-open host file and wrap it read-only. Takes ownership of `file` (closed on
   * failure too).
   * @returns an `FsFile` whose reads return only verified bytes
   * @throws {PalError} DENIED if the hash does not match; IS_DIR/INVAL if not a regular file
   */
  open(file: Deno.FsFile): FsFile {
    try {
      const st = file.statSync();
      if (!st.isFile) throw new PalError(PalCode.INVAL, `trusted file ${this.name} is not a file`);
      if (st.size <= this.#wholeMaxBytes) {
        const data = new Uint8Array(st.size);
        const got = readAt(file, data, 0);
        this.#check(sha256(data.subarray(0, got)));
        return new TrustedReader(file, statFromHost(st), this.name, data.subarray(0, got), null, 0);
      }
      const v = this.#remembered(st) ?? this.#pass(file, st);
      return new TrustedReader(file, statFromHost(st), this.name, null, v, this.#chunkBytes);
    } catch (e) {
      file.close();
      throw hostError(e, "open", this.name);
    }
  }

  #check(actual: string): void {
    if (actual !== this.#expected) {
      throw new PalError(
        PalCode.DENIED,
        `trusted file ${this.name}: sha256 does not match the manifest (got ${actual})`,
      );
    }
  }

  #remembered(st: Deno.FileInfo): Verified | undefined {
    const v = this.#verified;
    const same = v !== undefined && v.dev === st.dev && v.ino === st.ino &&
      v.size === st.size && v.mtimeMs === (st.mtime?.getTime() ?? 0) &&
      v.ctimeMs === (st.ctime?.getTime() ?? 0);
    return same ? v : undefined;
  }

  /** One streaming pass: whole-file hash and per-chunk hashes. */
  #pass(file: Deno.FsFile, st: Deno.FileInfo): Verified {
    this.#passes++;
    this.#verified = undefined;
    const whole = nodeCrypto().createHash("sha256");
    const chunkHashes: string[] = [];
    const buf = new Uint8Array(this.#chunkBytes);
    let pos = 0;
    for (;;) {
      const got = readAt(file, buf, pos);
      if (got === 0) break;
      const part = buf.subarray(0, got);
      whole.update(part);
      chunkHashes.push(sha256(part));
      pos += got;
      if (got < buf.length) break;
    }
    this.#check(whole.digest("hex"));
    const v: Verified = {
      dev: st.dev,
      ino: st.ino ?? 0,
      size: pos,
      mtimeMs: st.mtime?.getTime() ?? 0,
      ctimeMs: st.ctime?.getTime() ?? 0,
      chunkHashes,
    };
    this.#verified = v;
    return v;
  }
}

/** A read-only verified view of a trusted file: from memory (small) or chunk-checked (large). */
class TrustedReader implements FsFile {
  #file: Deno.FsFile | undefined;
  #cache: { index: number; bytes: Uint8Array } | undefined;

  constructor(
    file: Deno.FsFile,
    readonly st: FileStat,
    readonly name: string,
    readonly data: Uint8Array | null,
    readonly verified: Verified | null,
    readonly chunkBytes: number,
  ) {
    this.#file = file;
  }

  #open(op: string): Deno.FsFile {
    if (!this.#file) throw new PalError(PalCode.BAD_HANDLE, `${op}: file is closed`);
    return this.#file;
  }

  #chunk(file: Deno.FsFile, v: Verified, index: number): Uint8Array {
    if (this.#cache?.index === index) return this.#cache.bytes;
    const start = index * this.chunkBytes;
    const buf = new Uint8Array(Math.min(this.chunkBytes, v.size - start));
    const got = readAt(file, buf, start);
    if (got !== buf.length || sha256(buf) !== v.chunkHashes[index]) {
      throw new PalError(
        PalCode.DENIED,
        `trusted file ${this.name}: sha256 does not match (changed since it was verified)`,
      );
    }
    this.#cache = { index, bytes: buf };
    return buf;
  }

  /** See {@link FsFile.pread}: only verified bytes are returned. */
  pread(buf: Uint8Array, pos: number): number {
    const file = this.#open("pread");
    checkBuffer(buf);
    checkOffset(pos, "offset");
    if (this.data) {
      const part = this.data.subarray(Math.min(pos, this.data.length), pos + buf.length);
      buf.set(part);
      return part.length;
    }
    const v = this.verified!;
    const end = Math.min(v.size, pos + buf.length);
    let at = pos;
    try {
      while (at < end) {
        const index = Math.floor(at / this.chunkBytes);
        const chunk = this.#chunk(file, v, index);
        const off = at - index * this.chunkBytes;
        const n = Math.min(chunk.length - off, end - at);
        buf.set(chunk.subarray(off, off + n), at - pos);
        at += n;
      }
    } catch (e) {
      throw hostError(e, "pread", this.name);
    }
    return Math.max(0, end - pos);
  }

  /** Trusted files are read-only: BAD_HANDLE. */
  pwrite(_buf: Uint8Array, _pos: number): number {
    throw new PalError(PalCode.BAD_HANDLE, `pwrite: trusted file ${this.name} is read-only`);
  }

  /** Trusted files are read-only: BAD_HANDLE. */
  append(_buf: Uint8Array): number {
    throw new PalError(PalCode.BAD_HANDLE, `append: trusted file ${this.name} is read-only`);
  }

  /** The status at open time, with the verified size. */
  stat(): FileStat {
    this.#open("stat");
    return { ...this.st, size: this.data?.length ?? this.verified!.size };
  }

  /** Trusted files are read-only: BAD_HANDLE. */
  truncate(_len: number): void {
    throw new PalError(PalCode.BAD_HANDLE, `truncate: trusted file ${this.name} is read-only`);
  }

  /** Nothing to flush. */
  sync(): void {
    this.#open("sync");
  }

  /** See {@link FsFile.close}. */
  close(): void {
    const f = this.#file;
    this.#file = undefined;
    this.#cache = undefined;
    f?.close();
  }
}
