/**
 * `Deno.connect` / `Deno.listen` over libOS socket fds (TCP streams the host binds against the
 * manifest's `net.connect` / `net.listen`). Connections and listeners are rid-less objects
 * shaped like `Deno.TcpConn` and `Deno.TcpListener`; a target the manifest does not list is
 * refused with `Deno.errors.NotCapable` naming it. A pending read or accept counts for the
 * process's liveness unless the object was `unref()`'d.
 */
import { Errno, ErrnoError } from "../../errno.ts";
import type { SockAddr } from "../../sys/types.ts";
import type { DenoCtx } from "./ctx.ts";
import { denoError } from "./errors.ts";

const CHUNK = 64 * 1024;

/** A TCP address as Deno reports it. */
export interface TcpAddr {
  transport: "tcp";
  hostname: string;
  port: number;
}

function addr(a: SockAddr | null): TcpAddr {
  // The host does not tell the guest the far end of an accepted connection or the local end
  // of a connect: those read as the unspecified address.
  return { hostname: a?.hostname ?? "0.0.0.0", port: a?.port ?? 0, transport: "tcp" };
}

/** A refusal by the manifest becomes NotCapable with the host's message (it names the target). */
function netError(e: unknown, op: string, target?: string): unknown {
  if (e instanceof ErrnoError && (e.errno === Errno.EACCES || e.errno === Errno.ENOTCAPABLE)) {
    const msg = target && !e.message.includes(target) ? `${op} ${target}: ${e.message}` : e.message;
    return new Deno.errors.NotCapable(msg);
  }
  // Otherwise Deno's error for the OS's answer, which names no address ("Connection refused
  // (os error 111)").
  return denoError(e, "");
}

/** Run `fn` on a later tick, counted for liveness while `ref`, with errors converted. */
function op<T>(
  ctx: DenoCtx,
  ref: boolean,
  name: string,
  target: string | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const p = new Promise<T>((resolve, reject) => {
    queueMicrotask(() => {
      try {
        fn().then(resolve, (e) => reject(netError(e, name, target)));
      } catch (e) {
        reject(netError(e, name, target));
      }
    });
  });
  return ref ? ctx.live.track(p) : p;
}

/** A connected TCP stream, shaped like `Deno.TcpConn` (no rid). */
export class SandboxConn {
  #closed = false;
  #ref = true;
  #readDone = false;
  #writeDone = false;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;
  #writable: WritableStream<Uint8Array> | null = null;

  /**
   * @param ctx the personality context
   * @param fd the socket fd the connection now owns
   * @param localAddr this end's address
   * @param remoteAddr the peer's address
   */
  constructor(
    readonly ctx: DenoCtx,
    readonly fd: number,
    readonly localAddr: TcpAddr,
    readonly remoteAddr: TcpAddr,
  ) {}

  #check(): void {
    if (this.#closed) throw new Deno.errors.BadResource("Bad resource ID");
  }

  /** Read into `p`; null once the peer closed its side. */
  read(p: Uint8Array): Promise<number | null> {
    return op(this.ctx, this.#ref, "read", undefined, async () => {
      this.#check();
      if (p.length === 0) return 0;
      const n = await this.ctx.sys.readAsync(this.fd, p);
      return n === 0 ? null : n;
    });
  }

  /** Write `p` (all of it); returns bytes written. */
  write(p: Uint8Array): Promise<number> {
    return op(this.ctx, this.#ref, "write", undefined, () => {
      this.#check();
      return this.ctx.sys.writeAsync(this.fd, p);
    });
  }

  /** Shut down the sending side (the peer reads EOF). */
  closeWrite(): Promise<void> {
    return op(this.ctx, this.#ref, "closeWrite", undefined, () => {
      this.#check();
      return this.ctx.sys.shutdownAsync(this.fd, 1);
    });
  }

  /** Close the connection; pending reads fail with BadResource. */
  close(): void {
    this.#check();
    this.#closed = true;
    try {
      this.ctx.sys.close(this.fd);
    } catch (e) {
      throw denoError(e, "close");
    }
  }

  /** Let pending reads count (the default) for keeping the process alive. */
  ref(): void {
    this.#ref = true;
  }

  /** Pending reads started from now on no longer keep the process alive. */
  unref(): void {
    this.#ref = false;
  }

  #endSide(which: "read" | "write"): void {
    if (which === "read") this.#readDone = true;
    else this.#writeDone = true;
    if (this.#readDone && this.#writeDone && !this.#closed) this.close();
  }

  /** The incoming bytes as a stream; the connection closes once both streams are done. */
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#readable ??= new ReadableStream({
      type: "bytes",
      pull: async (c: ReadableByteStreamController) => {
        const buf = new Uint8Array(CHUNK);
        const n = this.#closed ? null : await this.read(buf);
        if (n === null) {
          c.close();
          c.byobRequest?.respond(0);
          this.#endSide("read");
        } else {
          c.enqueue(buf.subarray(0, n));
        }
      },
      cancel: () => this.#endSide("read"),
    });
    return this.#readable;
  }

  /** The outgoing bytes as a stream; closing it shuts down the sending side. */
  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= new WritableStream<Uint8Array>({
      write: async (chunk) => {
        let off = 0;
        while (off < chunk.length) off += await this.write(chunk.subarray(off));
      },
      close: async () => {
        if (!this.#closed) await this.closeWrite().catch(() => {});
        this.#endSide("write");
      },
      abort: () => this.#endSide("write"),
    });
    return this.#writable;
  }

  /** `using conn = …` closes it. */
  [Symbol.dispose](): void {
    if (!this.#closed) this.close();
  }
}

/** A TCP listener, shaped like `Deno.TcpListener` (no rid). */
export class SandboxListener {
  #closed = false;
  #ref = true;

  /**
   * @param ctx the personality context
   * @param fd the listening socket fd the listener now owns
   * @param addr the address it listens on
   */
  constructor(readonly ctx: DenoCtx, readonly fd: number, readonly addr: TcpAddr) {}

  /** Wait for the next connection. Rejects with BadResource once the listener is closed. */
  accept(): Promise<SandboxConn> {
    return op(this.ctx, this.#ref, "accept", undefined, async () => {
      if (this.#closed) throw new Deno.errors.BadResource("Listener has been closed");
      try {
        const fd = await this.ctx.sys.acceptAsync(this.fd, 0);
        const a = this.ctx.sys.sockaddrs(fd);
        return new SandboxConn(this.ctx, fd, this.addr, addr(a.remote));
      } catch (e) {
        if (this.#closed) throw new Deno.errors.BadResource("Listener has been closed");
        throw e;
      }
    });
  }

  /** Stop listening; a pending accept rejects with BadResource. */
  close(): void {
    if (this.#closed) throw new Deno.errors.BadResource("Bad resource ID");
    this.#closed = true;
    try {
      this.ctx.sys.close(this.fd);
    } catch (e) {
      throw denoError(e, "close");
    }
  }

  /** Let pending accepts keep the process alive (the default). */
  ref(): void {
    this.#ref = true;
  }

  /** Pending accepts started from now on no longer keep the process alive. */
  unref(): void {
    this.#ref = false;
  }

  /** `for await (const conn of listener)`: ends when the listener is closed; leaving the loop
   * early (`break`) closes the listener, as Deno's iterator does. */
  [Symbol.asyncIterator](): AsyncGenerator<SandboxConn> {
    const conns = this.#conns();
    const stop = conns.return.bind(conns);
    return Object.assign(conns, {
      return: (v?: unknown) => {
        if (!this.#closed) this.close();
        return stop(v as undefined);
      },
    });
  }

  async *#conns(): AsyncGenerator<SandboxConn> {
    while (!this.#closed) {
      try {
        yield await this.accept();
      } catch (e) {
        if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) return;
        throw e;
      }
    }
  }

  /** `using listener = …` closes it. */
  [Symbol.dispose](): void {
    if (!this.#closed) this.close();
  }
}

interface ConnectOptions {
  hostname?: string;
  port: number;
  transport?: string;
}

/** Deno's check of a port: a string of digits is taken as its number. */
function checkPort(port: unknown): number {
  const n = typeof port === "string" && /^[0-9]+$/.test(port) ? Number(port) : port;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw new TypeError(`Invalid port: ${typeof port === "string" ? `'${port}'` : String(port)}`);
  }
  if (n < 0 || n > 65535) throw new RangeError(`Invalid port (out of range): ${n}`);
  return n;
}

function checkTcp(transport: unknown, name: string): void {
  if (transport !== undefined && transport !== "tcp") {
    throw new Deno.errors.NotCapable(
      `Deno.${name} over ${transport} is not available in the sandbox`,
    );
  }
}

/** `Deno.connect` and `Deno.listen` of the personality. */
export function netApi(ctx: DenoCtx): Record<string, unknown> {
  return {
    connect(opts: ConnectOptions): Promise<SandboxConn> {
      return op(ctx, true, "connect", undefined, async () => {
        checkTcp(opts?.transport, "connect");
        const hostname = opts.hostname ?? "127.0.0.1";
        const port = checkPort(opts.port);
        const target = `${hostname}:${port}`;
        try {
          const fd = await ctx.sys.connectAsync(hostname, port);
          const a = ctx.sys.sockaddrs(fd);
          return new SandboxConn(ctx, fd, addr(a.local), addr(a.remote));
        } catch (e) {
          throw netError(e, "connect to", target);
        }
      });
    },
    listen(opts: ConnectOptions): SandboxListener {
      checkTcp(opts?.transport, "listen");
      const hostname = opts.hostname ?? "0.0.0.0";
      const port = checkPort(opts.port);
      try {
        const fd = ctx.sys.listen(hostname, port);
        return new SandboxListener(ctx, fd, addr(ctx.sys.sockaddrs(fd).local));
      } catch (e) {
        throw netError(e, "listen on", `${hostname}:${port}`);
      }
    },
  };
}
