/**
 * `Deno.FsFile` over a libOS fd: read/write/seek/stat/truncate/sync/utime/close, web streams
 * (`readable`, `writable`) and `Symbol.dispose`. Every method converts libOS errors to
 * `Deno.errors`.
 */
import { asyncOp, type DenoCtx } from "./ctx.ts";
import { denoError, withDeno, wrongModeError } from "./errors.ts";
import { fileInfo } from "./file_info.ts";
import { LOCK, O } from "../../sys/types.ts";
import { F } from "../../sys/fd.ts";

const STREAM_CHUNK = 64 * 1024;
/** Deno gives the errors of an open file's operations without operation name or path. */
const FILE_OP = "";
/** Lets the personality make files; `new Deno.FsFile()` by a program throws, as Deno's. */
const MAKE = Symbol("SandboxFsFile");

/** Deno's check of a read or write buffer (a Uint8Array; null fails as Deno's does, on .length). */
function checkBuffer(p: Uint8Array): void {
  if (p instanceof Uint8Array) return;
  void (p as { length: unknown }).length;
  throw new TypeError("expected typed ArrayBufferView");
}

function timeMs(t: number | Date): number {
  return t instanceof Date ? t.getTime() : t * 1000;
}

/** An open file of the sandbox's VFS, shaped like `Deno.FsFile`. */
export class SandboxFsFile {
  #fd: number;
  #closed = false;
  /** Started writes and lock waits not settled yet: a `close()` closes the fd after them, as
   * Deno's ops hold their resource (a program may close right after `file.write(p)`). */
  #inflight = 0;
  /** What cancels each pending read: a `close()` rejects it with Interrupted, as Deno's. */
  readonly #reads = new Set<() => void>();
  #waitsCache: boolean | null = null;
  #readable: ReadableStream<Uint8Array> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;

  /**
   * Made by the personality only ({@link SandboxFsFile.of}): a program's `new Deno.FsFile()`
   * throws Deno's TypeError.
   */
  constructor(readonly ctx: DenoCtx, fd: number, make?: symbol) {
    if (make !== MAKE) {
      throw new TypeError(
        "'Deno.FsFile' cannot be constructed, use 'Deno.open()' or 'Deno.openSync()' instead",
      );
    }
    this.#fd = fd;
  }

  /** The file of `fd`, which it now owns. @param ctx the personality context */
  static of(ctx: DenoCtx, fd: number): SandboxFsFile {
    return new SandboxFsFile(ctx, fd, MAKE);
  }

  /** The libOS fd (not a Deno rid). */
  get fd(): number {
    this.#check();
    return this.#fd;
  }

  #check(): void {
    if (this.#closed) throw new Deno.errors.BadResource("Bad resource ID");
  }

  /** Read into `p`; null at end of file. */
  readSync(p: Uint8Array): number | null {
    checkBuffer(p);
    this.#check();
    if (p.length === 0) return 0;
    let n: number;
    try {
      n = this.ctx.sys.read(this.#fd, p);
    } catch (e) {
      throw this.#ioError(e, "read");
    }
    return n === 0 ? null : n;
  }

  /** The Deno error for a failed read or write: an EBADF of an fd still open but not open for
   * that is Deno's error for a file opened without that access (errors.ts `wrongModeError`). */
  #ioError(errno: unknown, op: "read" | "write"): unknown {
    const e = denoError(errno, FILE_OP);
    if (!(e instanceof Deno.errors.BadResource) || this.#closed) return e;
    let mode: number;
    try {
      mode = this.ctx.sys.fcntl(this.#fd, F.GETFL) & O.ACCMODE;
    } catch (_e) {
      return e;
    }
    const ok = mode === O.RDWR || mode === (op === "write" ? O.WRONLY : O.RDONLY);
    return ok ? e : wrongModeError();
  }

  /** Read into `p` without blocking the event loop; null at end of file. A file's read is done
   * at the call (it never waits); a pipe's or FIFO's waits, and a `close()` meanwhile rejects it
   * with `Deno.errors.Interrupted`, as Deno's does. */
  read(p: Uint8Array): Promise<number | null> {
    return asyncOp(this.ctx, FILE_OP, undefined, () => {
      checkBuffer(p);
      if (this.#waits() === false) return this.readSync(p);
      this.#check();
      if (p.length === 0) return 0;
      const read = this.ctx.sys.readAsync(this.#fd, p);
      return new Promise<number | null>((resolve, reject) => {
        const cancel = () => reject(new Deno.errors.Interrupted("operation canceled"));
        this.#reads.add(cancel);
        read.then((n) => {
          this.#reads.delete(cancel);
          resolve(n === 0 ? null : n);
        }, (e) => {
          this.#reads.delete(cancel);
          reject(this.#ioError(e, "read"));
        });
      });
    });
  }

  /** Whether a read of the fd may wait (not seekable: a pipe, FIFO, socket or terminal); null
   * when the fd is closed. Asked once. */
  #waits(): boolean | null {
    if (this.#waitsCache === null && !this.#closed) {
      try {
        this.ctx.sys.lseek(this.#fd, 0, 1);
        this.#waitsCache = false;
      } catch (_e) {
        this.#waitsCache = true;
      }
    }
    return this.#waitsCache;
  }

  /** Write `p`; returns bytes written. */
  writeSync(p: Uint8Array): number {
    checkBuffer(p);
    this.#check();
    try {
      return this.ctx.sys.write(this.#fd, p);
    } catch (e) {
      throw this.#ioError(e, "write");
    }
  }

  /** Write `p` without blocking the event loop; a `close()` meanwhile waits for it. */
  write(p: Uint8Array): Promise<number> {
    return asyncOp(this.ctx, FILE_OP, undefined, () => {
      checkBuffer(p);
      this.#check();
      return this.#holding(this.ctx.sys.writeAsync(this.#fd, p)).catch((e) => {
        throw this.#ioError(e, "write");
      });
    });
  }

  /** `op`, with the fd kept open until it settles. */
  #holding<T>(op: Promise<T>): Promise<T> {
    this.#inflight++;
    const settled = () => {
      if (--this.#inflight > 0 || !this.#closed) return;
      try {
        this.#closeFd();
      } catch (_e) {
        // The program's close() returned long ago: nobody to tell (as a Deno resource's drop).
      }
    };
    op.then(settled, settled);
    return op;
  }

  /** Move the position; returns the new one. */
  seekSync(offset: number | bigint, whence: Deno.SeekMode): number {
    this.#check();
    if (whence !== 0 && whence !== 1 && whence !== 2) {
      throw new TypeError(`Invalid seek mode: ${whence}`);
    }
    // Deno's op takes a 64-bit integer: a number's fraction is dropped, a bigint wraps.
    let off: number;
    if (typeof offset === "bigint") off = Number(BigInt.asIntN(64, offset));
    else if (typeof offset === "number") off = Math.trunc(offset);
    else throw new TypeError("expected f64");
    return withDeno(FILE_OP, undefined, () => this.ctx.sys.lseek(this.#fd, off, whence));
  }

  /** Async `seekSync`. */
  seek(offset: number | bigint, whence: Deno.SeekMode): Promise<number> {
    return asyncOp(this.ctx, FILE_OP, undefined, () => this.seekSync(offset, whence));
  }

  /** Status of the open file. */
  statSync(): Deno.FileInfo {
    this.#check();
    return fileInfo(withDeno(FILE_OP, undefined, () => this.ctx.sys.fstat(this.#fd)));
  }

  /** Async `statSync`. */
  stat(): Promise<Deno.FileInfo> {
    return asyncOp(this.ctx, FILE_OP, undefined, () => this.statSync());
  }

  /** Set the size (default 0). */
  truncateSync(len = 0): void {
    this.#check();
    withDeno(FILE_OP, undefined, () => this.ctx.sys.ftruncate(this.#fd, Math.max(0, len)));
  }

  /** Async `truncateSync`. */
  truncate(len = 0): Promise<void> {
    return asyncOp(this.ctx, FILE_OP, undefined, () => this.truncateSync(len));
  }

  /** Flush data and metadata. */
  syncSync(): void {
    this.#check();
    withDeno(FILE_OP, undefined, () => this.ctx.sys.fsync(this.#fd));
  }
  /** Async `syncSync`. */
  sync(): Promise<void> {
    return asyncOp(this.ctx, FILE_OP, undefined, () => this.syncSync());
  }
  /** Flush data. */
  syncDataSync(): void {
    this.syncSync();
  }
  /** Async `syncDataSync`. */
  syncData(): Promise<void> {
    return this.sync();
  }

  /** Set access and modification times (seconds or Dates). */
  utimeSync(atime: number | Date, mtime: number | Date): void {
    this.#check();
    withDeno(
      "futime",
      undefined,
      () => this.ctx.sys.futimens(this.#fd, timeMs(atime), timeMs(mtime)),
    );
  }
  /** Async `utimeSync`. */
  utime(atime: number | Date, mtime: number | Date): Promise<void> {
    return asyncOp(this.ctx, FILE_OP, undefined, () => this.utimeSync(atime, mtime));
  }

  /** Files of the sandbox are never terminals. */
  isTerminal(): boolean {
    this.#check();
    return false;
  }

  /** Raw mode needs a terminal. */
  setRaw(_mode: boolean): void {
    this.#check();
    throw new Deno.errors.BadResource("ENOTTY: Not a typewriter");
  }

  /** Take an advisory lock on the file (flock: shared, or exclusive), waiting for it. Locks
   * hold among the sandbox's processes (sandbox/host/file_locks.ts). */
  lockSync(exclusive = false): void {
    this.#check();
    const op = exclusive ? LOCK.EX : LOCK.SH;
    withDeno(FILE_OP, undefined, () => this.ctx.sys.flock(this.#fd, op));
  }
  /** `lockSync` that waits without blocking the event loop. */
  lock(exclusive = false): Promise<void> {
    return asyncOp(this.ctx, FILE_OP, undefined, () => {
      this.#check();
      return this.#holding(this.ctx.sys.flockAsync(this.#fd, exclusive ? LOCK.EX : LOCK.SH));
    });
  }
  /** Release the lock. */
  unlockSync(): void {
    this.#check();
    withDeno(FILE_OP, undefined, () => this.ctx.sys.flock(this.#fd, LOCK.UN));
  }
  /** Async `unlockSync`. */
  unlock(): Promise<void> {
    return asyncOp(this.ctx, FILE_OP, undefined, () => this.unlockSync());
  }

  /** Close the file (BadResource if already closed): pending reads are cancelled; the fd
   * closes now, or after the writes and lock waits already started. */
  close(): void {
    this.#check();
    this.#closed = true;
    for (const cancel of this.#reads) cancel();
    this.#reads.clear();
    if (this.#inflight === 0) this.#closeFd();
  }

  #closeFd(): void {
    withDeno(FILE_OP, undefined, () => this.ctx.sys.close(this.#fd));
  }

  [Symbol.dispose](): void {
    if (!this.#closed) this.close();
  }

  /** The file as a byte stream; the file closes when the stream ends or is cancelled. */
  get readable(): ReadableStream<Uint8Array> {
    if (this.#readable) return this.#readable;
    // No hold on the process's liveness: as in Deno, a stream nobody reads (a fetched file's
    // body left unread) keeps nothing running; each read it makes is counted while it waits.
    const done = () => {
      if (!this.#closed) this.close();
    };
    this.#readable = new ReadableStream<Uint8Array>({
      type: "bytes",
      pull: async (c) => {
        try {
          if (this.#closed) {
            throw new Deno.errors.BadResource(
              "The stream's underlying resource was closed or consumed",
            );
          }
          const buf = new Uint8Array(STREAM_CHUNK);
          const n = await this.read(buf);
          if (n === null) {
            done();
            c.close();
          } else c.enqueue(buf.subarray(0, n));
        } catch (e) {
          done();
          c.error(e);
        }
      },
      cancel: done,
    });
    return this.#readable;
  }

  /** The file as a byte sink; closing the stream closes the file. */
  get writable(): WritableStream<Uint8Array> {
    if (this.#writable) return this.#writable;
    this.#writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        let off = 0;
        while (off < chunk.length) off += await this.write(chunk.subarray(off));
      },
      close: () => {
        if (!this.#closed) this.close();
      },
      abort: () => {
        if (!this.#closed) this.close();
      },
    });
    return this.#writable;
  }
}
