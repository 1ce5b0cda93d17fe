/**
 * Pipes that can cross picoprocesses: the ring is registered with the host (pipe_create), so the
 * host can hand its ends to children and close the ends of a process that dies. Closing an end
 * is a `pipe_close` call: the host owns the endpoint counts (sandbox/host/proc_pipes.ts).
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import type { PalClient } from "../../pal/guest/client.ts";
import { PipeRing } from "../../pal/pipe_ring.ts";
import { Errno, ErrnoError, palToErrno } from "../errno.ts";
import { OpenFile } from "../fd_table.ts";
import { Handle, type HandleKind, type Readiness } from "../handle.ts";
import type { Kernel } from "../kernel.ts";
import { PipeHandle } from "../pipe_handle.ts";
import { O, type Stat } from "../sys/types.ts";

/** One end of a host-registered pipe. */
export class SharedPipeHandle extends PipeHandle {
  /**
   * @param pal the PAL client (closing is a host call)
   * @param id the host's ring id
   * @param side which end this is
   * @param ring the ring over the shared buffer
   */
  constructor(
    readonly pal: PalClient,
    readonly id: number,
    readonly side: "read" | "write",
    ring: PipeRing,
  ) {
    super(side === "read" ? ring.adoptReader() : ring.adoptWriter(), 100000 + id);
  }

  protected override close(): void {
    // A read or write of this end still waiting (an async one) ends now and takes no more.
    this.end.detach();
    try {
      this.pal.call("pipe_close", this.id, this.side === "read" ? 0 : 1);
    } catch (e) {
      // The host already dropped the end (the process is being torn down): nothing to undo.
      if (!(e instanceof PalError && e.code === PalCode.BAD_HANDLE)) throw e;
    }
  }
}

/**
 * Both ends of a host-registered ring as one handle: a FIFO opened O_RDWR (libos/sys/fifo.ts).
 * Reads take bytes from the ring through the read end, writes put bytes into it through the
 * write end, so the holder is a reader and a writer of the FIFO: its reads never see EOF and its
 * writes never fail with EPIPE while it is open. fstat reports the FIFO, O_NONBLOCK applies to
 * both directions, closing closes both ends (two `pipe_close` calls). Crosses spawn and fork as
 * one fd holding both ends (libos/proc/process.ts, a `pipe` spec with end `both`).
 */
export class DuplexPipeHandle extends Handle {
  readonly kind: HandleKind = "pipe";
  readonly seekable = false;
  /** The read end (adopted: the host already counted it). */
  readonly reader: SharedPipeHandle;
  /** The write end (adopted: the host already counted it). */
  readonly writer: SharedPipeHandle;

  /**
   * @param pal the PAL client (closing is a host call)
   * @param id the host's ring id; the host gave this process one read and one write end of it
   * @param ring the ring over the shared buffer
   */
  constructor(readonly pal: PalClient, readonly id: number, ring: PipeRing) {
    const reader = new SharedPipeHandle(pal, id, "read", ring);
    super(reader.path);
    this.reader = reader;
    this.writer = new SharedPipeHandle(pal, id, "write", ring);
  }

  override read(buf: Uint8Array): number {
    return this.reader.read(buf);
  }

  override readAsync(buf: Uint8Array): Promise<number> {
    return this.reader.readAsync(buf);
  }

  override write(buf: Uint8Array): number {
    return this.writer.write(buf);
  }

  override writeAsync(buf: Uint8Array): Promise<number> {
    return this.writer.writeAsync(buf);
  }

  /** The ring's state: readable with data, writable with room (never hup nor err while open). */
  override readiness(): Readiness {
    return this.reader.readiness();
  }

  override setNonblocking(on: boolean): void {
    this.reader.setNonblocking(on);
    this.writer.setNonblocking(on);
  }

  stat(): Stat {
    return this.reader.stat();
  }

  protected close(): void {
    try {
      this.writer.release();
    } finally {
      this.reader.release();
    }
  }
}

/** pipe2(2) over a host-registered ring. @returns [readFd, writeFd] */
export function sharedPipe(k: Kernel, flags: number): [number, number] {
  if ((flags & ~(O.CLOEXEC | O.NONBLOCK)) !== 0) {
    throw new ErrnoError(Errno.EINVAL, `bad pipe flags ${flags}`);
  }
  if (k.fds.size + 2 > k.fds.maxFds) throw new ErrnoError(Errno.EMFILE);
  let id: number;
  let sab: SharedArrayBuffer;
  try {
    id = k.pal.call("pipe_create", k.init.limits.pipeBufferBytes);
    sab = k.pal.takeMessage() as SharedArrayBuffer;
  } catch (e) {
    throw palToErrno(e);
  }
  const ring = PipeRing.attach(sab);
  const r = new SharedPipeHandle(k.pal, id, "read", ring);
  const w = new SharedPipeHandle(k.pal, id, "write", ring);
  const nb = (flags & O.NONBLOCK) !== 0;
  r.setNonblocking(nb);
  w.setNonblocking(nb);
  const cloexec = (flags & O.CLOEXEC) !== 0;
  const rfd = k.fds.install(new OpenFile(r, O.RDONLY | (flags & O.NONBLOCK)), cloexec);
  const wfd = k.fds.install(new OpenFile(w, O.WRONLY | (flags & O.NONBLOCK)), cloexec);
  return [rfd, wfd];
}
