/**
 * Pipe handles: one end of a guest-to-guest pipe ring (pal/pipe_ring.ts). Reads and writes go
 * straight to shared memory; the async forms sleep with Atomics.waitAsync so an event loop
 * keeps running while a pipe is empty or full.
 */
import { PalCode, PalError } from "../pal/errors.ts";
import { type IoOptions, PipeReader, type PipeWriter } from "../pal/pipe_ends.ts";
import type { InterruptLike } from "../pal/futex.ts";
import { Errno, ErrnoError, palToErrno } from "./errno.ts";
import { Handle, type HandleKind, makeStat, type Readiness } from "./handle.ts";
import { S, type Stat } from "./sys/types.ts";

let nextPipeIno = 1;

/** One end of a pipe. */
export class PipeHandle extends Handle {
  readonly kind: HandleKind = "pipe";
  readonly seekable = false;
  #nonblocking = false;
  #opts: IoOptions | null = null;
  /** The process's signal interrupt token: a handled signal makes a blocked read or write
   * fail with EINTR (set by the Kernel at boot; libos/signal). */
  static interrupt: InterruptLike | undefined;
  readonly #ino: number;

  /** @param end the reader or writer endpoint this handle owns (closed with the handle) */
  constructor(readonly end: PipeReader | PipeWriter, ino?: number) {
    const n = ino ?? nextPipeIno++;
    super(`pipe:[${n}]`);
    this.#ino = n;
  }

  override read(buf: Uint8Array): number {
    const end = this.end;
    if (!(end instanceof PipeReader)) throw new ErrnoError(Errno.EBADF, "write end of a pipe");
    try {
      return end.read(buf, this.#syncOpts());
    } catch (e) {
      throw this.#errno(e);
    }
  }

  override async readAsync(buf: Uint8Array): Promise<number> {
    if (!(this.end instanceof PipeReader)) throw new ErrnoError(Errno.EBADF, "write end of a pipe");
    try {
      return await this.end.readAsync(buf, { nonblocking: this.#nonblocking });
    } catch (e) {
      throw palToErrno(e, this.path);
    }
  }

  override write(buf: Uint8Array): number {
    const end = this.end;
    if (end instanceof PipeReader) throw new ErrnoError(Errno.EBADF, "read end of a pipe");
    try {
      return end.write(buf, this.#syncOpts());
    } catch (e) {
      throw this.#errno(e);
    }
  }

  override async writeAsync(buf: Uint8Array): Promise<number> {
    if (this.end instanceof PipeReader) throw new ErrnoError(Errno.EBADF, "read end of a pipe");
    try {
      return await this.end.writeAsync(buf, { nonblocking: this.#nonblocking });
    } catch (e) {
      throw palToErrno(e, this.path);
    }
  }

  /** Options of a blocking read or write: interruptible by a handled signal. Made once per
   * nonblocking mode and token (no object per call on the hot path). */
  #syncOpts(): IoOptions {
    const t = PipeHandle.interrupt;
    let o = this.#opts;
    if (o === null || o.interrupt !== t) {
      o = this.#opts = t
        ? { nonblocking: this.#nonblocking, interrupt: t }
        : { nonblocking: this.#nonblocking };
    }
    return o;
  }

  #errno(e: unknown): ErrnoError {
    if (e instanceof PalError && e.code === PalCode.BROKEN_PIPE) {
      return new ErrnoError(Errno.EPIPE, "no readers left", this.path);
    }
    return palToErrno(e, this.path);
  }

  override readiness(): Readiness {
    return this.end.poll();
  }

  override setNonblocking(on: boolean): void {
    this.#nonblocking = on;
    this.#opts = null;
  }

  stat(): Stat {
    return makeStat({ dev: 9, ino: this.#ino, mode: S.IFIFO | 0o600 });
  }

  protected close(): void {
    this.end.close();
  }
}
