/**
 * Socket handles: a TCP connection (`tcp:<host>:<port>`) or listener (`tcp.srv:<host>:<port>`)
 * bound by the host against the manifest's net rules, held as a PAL stream handle. Blocking
 * calls block the thread in the PAL call (WASI); the async ones wait for readiness first with
 * `stream_wait_events`, so a pending read holds only an inline call slot, never the bulk area.
 */
import { PollBits } from "../pal/abi.ts";
import type { PalClient } from "../pal/guest/client.ts";
import { Errno, ErrnoError, palToErrno } from "./errno.ts";
import { Handle, type HandleKind, makeStat, type Readiness } from "./handle.ts";
import { S, type SockAddr, type Stat } from "./sys/types.ts";
export type { SockAddr } from "./sys/types.ts";

const IO_CHUNK = 64 * 1024;

/** Parse the `host:port` tail of a net URI (`[v6]:port` allowed). */
export function parseHostPort(s: string): SockAddr | null {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(s);
  return m ? { hostname: m[1]!, port: Number(m[2]) } : null;
}

/** One end of a TCP stream, or a listener. */
export class SocketHandle extends Handle {
  readonly kind: HandleKind = "socket";
  readonly seekable = false;
  #nonblocking = false;
  #closed = false;

  /**
   * @param pal the PAL client
   * @param palHandle the host stream handle (revocation closes fds by it)
   * @param listening whether this is a listener (accept only)
   * @param local the local address, if known (a listener's, or an accepted connection's)
   * @param remote the peer's address, if known (the target of a connect)
   */
  constructor(
    readonly pal: PalClient,
    readonly palHandle: number,
    readonly listening: boolean,
    readonly local: SockAddr | null,
    readonly remote: SockAddr | null,
  ) {
    const a = listening ? local : remote;
    super(`socket:[${listening ? "tcp.srv" : "tcp"}:${a ? `${a.hostname}:${a.port}` : "?"}]`);
  }

  #call<T>(fn: () => T): T {
    if (this.#closed) throw new ErrnoError(Errno.EBADF, "socket closed", this.path);
    try {
      return fn();
    } catch (e) {
      throw palToErrno(e, this.path);
    }
  }

  #stream(): void {
    if (this.listening) throw new ErrnoError(Errno.ENOTCONN, "a listening socket", this.path);
  }

  /** Ready bits now (no waiting). */
  #bits(want: number): number {
    const r = this.#call(() =>
      this.pal.call("stream_wait_events", [[this.palHandle, want]], 0)
    ) as [number, number][];
    return r[0]?.[1] ?? 0;
  }

  override read(buf: Uint8Array, _pos: number | null): number {
    this.#stream();
    if (buf.length === 0) return 0;
    if (this.#nonblocking && !(this.#bits(PollBits.IN) & (PollBits.IN | PollBits.HUP))) {
      throw new ErrnoError(Errno.EAGAIN, undefined, this.path);
    }
    const len = Math.min(buf.length, IO_CHUNK, this.pal.geometry.bulkBytes >> 1);
    return this.#call(() =>
      this.pal.callInto("stream_read", buf.subarray(0, len), this.palHandle, -1, len)
    );
  }

  override async readAsync(buf: Uint8Array, _pos: number | null): Promise<number> {
    this.#stream();
    if (buf.length === 0) return 0;
    await this.#async(() =>
      this.pal.callAsync("stream_wait_events", [[this.palHandle, PollBits.IN]], -1)
    );
    const len = Math.min(buf.length, IO_CHUNK);
    const bytes = await this.#async(() =>
      this.pal.callAsync("stream_read", this.palHandle, -1, len)
    );
    buf.set(bytes);
    return bytes.length;
  }

  override write(buf: Uint8Array, _pos: number | null): number {
    this.#stream();
    let done = 0;
    const chunk = Math.min(IO_CHUNK, this.pal.geometry.bulkBytes >> 1);
    while (done < buf.length) {
      const part = buf.subarray(done, done + chunk);
      done += this.#call(() => this.pal.call("stream_write", this.palHandle, 0, part));
    }
    return done;
  }

  override async writeAsync(buf: Uint8Array, _pos: number | null): Promise<number> {
    this.#stream();
    let done = 0;
    while (done < buf.length) {
      const part = buf.subarray(done, done + IO_CHUNK);
      done += await this.#async(() => this.pal.callAsync("stream_write", this.palHandle, 0, part));
    }
    return done;
  }

  async #async<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new ErrnoError(Errno.EBADF, "socket closed", this.path);
    try {
      return await fn();
    } catch (e) {
      if (this.#closed) throw new ErrnoError(Errno.EBADF, "socket closed", this.path);
      throw palToErrno(e, this.path);
    }
  }

  /** accept(2), blocking the thread. @returns the host handle of the new connection */
  accept(): number {
    this.#listener();
    if (this.#nonblocking) {
      // A host listener cannot report a pending connection without accepting it.
      throw new ErrnoError(Errno.EAGAIN, "non-blocking accept is not supported", this.path);
    }
    return this.#call(() => this.pal.call("stream_accept", this.palHandle));
  }

  /** accept(2) without blocking the event loop. */
  acceptAsync(): Promise<number> {
    this.#listener();
    return this.#async(() => this.pal.callAsync("stream_accept", this.palHandle));
  }

  #listener(): void {
    if (!this.listening) throw new ErrnoError(Errno.EINVAL, "not a listening socket", this.path);
  }

  /** shutdown(2): `how` is SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2. */
  shutdown(how: number): void {
    if (how !== 0 && how !== 1 && how !== 2) throw new ErrnoError(Errno.EINVAL, `bad how ${how}`);
    if (this.listening) throw new ErrnoError(Errno.ENOTCONN, undefined, this.path);
    this.#call(() => this.pal.call("stream_shutdown", this.palHandle, how + 1));
  }

  /** shutdown(2) without blocking the event loop. */
  async shutdownAsync(how: number): Promise<void> {
    if (how !== 0 && how !== 1 && how !== 2) throw new ErrnoError(Errno.EINVAL, `bad how ${how}`);
    if (this.listening) throw new ErrnoError(Errno.ENOTCONN, undefined, this.path);
    await this.#async(() => this.pal.callAsync("stream_shutdown", this.palHandle, how + 1));
  }

  override stat(): Stat {
    return makeStat({ mode: S.IFSOCK | 0o777, dev: 6, ino: this.palHandle });
  }

  override readiness(): Readiness {
    if (this.listening) return { readable: true, writable: false, hup: false, err: false };
    const b = this.#bits(PollBits.IN | PollBits.OUT);
    return {
      readable: (b & (PollBits.IN | PollBits.HUP)) !== 0,
      writable: (b & PollBits.OUT) !== 0,
      hup: (b & PollBits.HUP) !== 0,
      err: (b & PollBits.ERR) !== 0,
    };
  }

  override setNonblocking(on: boolean): void {
    this.#nonblocking = on;
  }

  protected close(): void {
    this.#closed = true;
    try {
      this.pal.call("stream_close", this.palHandle);
    } catch (e) {
      // Revoked or already dropped by the host: close(2) still succeeds.
      if (palToErrno(e).errno !== Errno.EBADF) throw palToErrno(e, this.path);
    }
  }
}
