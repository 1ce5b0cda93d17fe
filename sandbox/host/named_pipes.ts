/**
 * Named pipes: the `pipe.srv:<name>` and `pipe:<name>` stream URIs.
 *
 * `stream_open("pipe.srv:<name>")` registers a server on a sandbox-local name (a split sandbox
 * has its own names). `stream_open("pipe:<name>")` connects: the host makes two pipe rings
 * (pal/pipe_ring.ts) registered in the sandbox's HostPipes, so a dead process's ends close —
 * one from client to server, one back. The client gets its ends at once, transferred on its
 * sync port as `{ rx, tx, rxId, txId }` (rx: the ring it reads, tx: the ring it writes); the
 * server's ends are queued and handed over by `stream_accept(h)` the same way. The bytes then
 * flow ring to ring, without the host. Closing a `pipe` handle closes both of its ends; closing
 * the server closes the ends of connections never accepted (their clients see EOF / EPIPE).
 *
 * `stream_open("fifo:file://<mount>/<rel>", READ or WRITE, …)` opens one end of a FIFO (mkfifo: a
 * tmpfs node, or a chroot mount's emulated FIFO) with
 * Linux's open rendezvous; the caller gets the ring id and `{ sab, side }` on its sync port and
 * closes the end with `pipe_close`, like an anonymous shared pipe. A handled signal ends a
 * blocked open with INTERRUPTED (EINTR), as on Linux, and the end it had been given goes back.
 * READ | WRITE (O_RDWR) never waits: the caller gets both ends (`side: "both"`, one read and
 * one write end to close), which releases the opens waiting on either side.
 *
 * Errors: EXISTS (name served), CONN_REFUSED (nobody serves it), INVAL (bad name),
 * TRY_AGAIN (too many connections pending).
 */
import type { PipeSide } from "./proc_pipes.ts";
import { OpenFlag } from "../../pal/abi.ts";
import { PalCode, PalError } from "../../pal/errors.ts";
import type { HostHandlers } from "../../pal/host/dispatch.ts";
import { fsTarget, streamHandlers } from "../../pal/host/streams.ts";
import { isFifoMode } from "../../pal/host/tmpfs.ts";
import type { HostProc } from "./proc.ts";
import type { SandboxHost } from "./sandbox_host.ts";

const MAX_NAME_BYTES = 255;
const MAX_PENDING = 64;
/** Bytes of each ring of a connection. */
export const NAMED_PIPE_CAPACITY = 64 * 1024;

/** What a connecting or accepting caller receives on its sync port. */
export interface PipeEnds {
  readonly rx: SharedArrayBuffer;
  readonly tx: SharedArrayBuffer;
  readonly rxId: number;
  readonly txId: number;
}

interface Pending {
  /** The server's ends (already held by the server's pid). */
  readonly ends: PipeEnds;
}

interface Server {
  readonly owner: HostProc;
  readonly pending: Pending[];
  readonly waiters: Set<() => void>;
  open: boolean;
}

/** One FIFO's current ring and how many times each side was opened (rendezvous). */
interface Fifo {
  readonly id: number;
  readonly sab: SharedArrayBuffer;
  readonly opens: { read: number; write: number };
  readonly waiters: Set<() => void>;
}

/** Live ends of one side, from the ring header ([2] readers, [3] writers). */
function fifoCount(f: Fifo, side: "read" | "write"): number {
  return Atomics.load(new Int32Array(f.sab, 8, 2), side === "read" ? 0 : 1);
}

/** Whether nobody holds the FIFO's ring (the host forgot it; the next open makes a new one). */
function fifoIdle(f: Fifo): boolean {
  return fifoCount(f, "read") === 0 && fifoCount(f, "write") === 0;
}

function checkName(name: string): string {
  const len = new TextEncoder().encode(name).length;
  if (len === 0 || len > MAX_NAME_BYTES || name.includes("\0")) {
    throw new PalError(PalCode.INVAL, "a pipe name is 1–255 bytes without NUL");
  }
  return name;
}

/** Build the stream_open / stream_accept overrides bound to one sandbox host. */
export function namedPipeHandlers(host: SandboxHost): HostHandlers<HostProc> {
  const servers = new Map<string, Server>();
  const base = streamHandlers as HostHandlers<HostProc>;
  const baseOpen = base.stream_open!;
  const baseAccept = base.stream_accept!;

  /** Close `pid`'s read end of `rxId` and write end of `txId` (already closed: ignored). */
  const release = (pid: number, ends: PipeEnds) => {
    for (const [id, end] of [[ends.rxId, "read"], [ends.txId, "write"]] as const) {
      try {
        host.pipes.close(pid, id, end);
      } catch (_e) {
        // The process died first (HostPipes.dropProcess closed it) or closed it by id.
      }
    }
  };
  const dropServer = (key: string, s: Server) => {
    if (servers.get(key) === s) servers.delete(key);
    s.open = false;
    for (const c of s.pending.splice(0)) release(s.owner.pid, c.ends);
    for (const w of s.waiters) w();
  };
  host.onProcessEnd.push((p) => {
    for (const [key, s] of servers) if (s.owner === p) dropServer(key, s);
  });

  /** One ring, held by nobody yet. */
  const ring = (): [number, SharedArrayBuffer] => host.pipes.createBare(NAMED_PIPE_CAPACITY);

  const listen = (p: HostProc, name: string): number => {
    const key = `${p.services.sandboxId}\0${checkName(name)}`;
    if (servers.has(key)) throw new PalError(PalCode.EXISTS, `pipe name ${name} is taken`);
    const s: Server = { owner: p, pending: [], waiters: new Set(), open: true };
    servers.set(key, s);
    return p.handles.add({
      kind: "pipe.srv",
      name,
      uri: `pipe.srv:${name}`,
      unregister: () => dropServer(key, s),
    });
  };

  const connect = (p: HostProc, name: string, transfer: (v: unknown) => void): number => {
    const s = servers.get(`${p.services.sandboxId}\0${checkName(name)}`);
    if (!s || !s.open) throw new PalError(PalCode.CONN_REFUSED, `nobody serves pipe ${name}`);
    if (s.pending.length >= MAX_PENDING) {
      throw new PalError(PalCode.TRY_AGAIN, `too many pending connections to ${name}`);
    }
    const [upId, up] = ring(); // client → server
    const [downId, down] = ring(); // server → client
    const mine: PipeEnds = { rx: down, tx: up, rxId: downId, txId: upId };
    const theirs: PipeEnds = { rx: up, tx: down, rxId: upId, txId: downId };
    host.pipes.give(p.pid, downId, "read");
    host.pipes.give(p.pid, upId, "write");
    host.pipes.give(s.owner.pid, upId, "read");
    host.pipes.give(s.owner.pid, downId, "write");
    let h: number;
    try {
      h = p.handles.add({
        kind: "pipe",
        name,
        uri: `pipe:${name}`,
        release: () => release(p.pid, mine),
      });
    } catch (e) {
      release(p.pid, mine);
      release(s.owner.pid, theirs);
      throw e;
    }
    transfer(mine);
    s.pending.push({ ends: theirs });
    for (const w of s.waiters) w();
    return h;
  };

  const accept = async (p: HostProc, h: number, transfer: (v: unknown) => void) => {
    const srv = p.handles.get(h);
    if (srv.kind !== "pipe.srv") throw new Error("unreachable");
    const s = servers.get(`${p.services.sandboxId}\0${srv.name}`);
    if (!s || s.owner !== p) throw new PalError(PalCode.BAD_HANDLE, "the pipe server is closed");
    while (s.pending.length === 0) {
      if (!s.open || p.state === "exited") {
        throw new PalError(PalCode.BROKEN_PIPE, "closed while waiting");
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          s.waiters.delete(wake);
          resolve();
        };
        s.waiters.add(wake);
      });
    }
    const c = s.pending.shift()!;
    const id = p.handles.add({
      kind: "pipe",
      name: srv.name,
      uri: srv.uri.replace("pipe.srv:", "pipe:"),
      release: () => release(p.pid, c.ends),
    });
    transfer(c.ends);
    return id;
  };

  /** FIFO key → its current ring; a ring nobody holds any more is replaced on the next open. */
  const fifos = new Map<string, Fifo>();
  host.onProcessEnd.push(() => {
    for (const f of fifos.values()) for (const w of [...f.waiters]) w();
  });
  const wakeFifo = (f: Fifo) => {
    for (const w of [...f.waiters]) w();
  };

  /**
   * Open one end of the FIFO at `uri` (`file://<mount>/<rel>`, which must be a FIFO node the
   * caller's mounts reach) with Linux's rendezvous: a reader waits for a writer to open, a
   * writer for a reader; NONBLOCK readers never wait, NONBLOCK writers without a reader get
   * NO_PROCESS (ENXIO). READ | WRITE is both a reader and a writer (Linux's O_RDWR): it never
   * waits and releases the opens waiting on either side. Rings are keyed `fifo:<mount>:<ino>`
   * on tmpfs, `fifo:host:<dev>:<ino>` for a chroot mount's emulated FIFO
   * (pal/host/chrootfs_fifo.ts).
   * @returns the ring id; `{ sab, side }` is transferred
   */
  const openFifo = async (
    p: HostProc,
    uri: string,
    flags: number,
    transfer: (v: unknown) => void,
  ): Promise<number> => {
    if (!Number.isSafeInteger(flags)) throw new PalError(PalCode.INVAL, "bad FIFO open flags");
    const { m, rel } = fsTarget(p, uri);
    const st = m.backend.lstat(rel);
    let key: string;
    if (m.kind === "tmpfs" && st.type === "file" && isFifoMode(st.mode)) {
      key = `fifo:${uri.slice(7, uri.indexOf("/", 7))}:${st.ino}`;
    } else if (m.kind === "chroot" && st.type === "fifo") {
      // The host file's identity: hard links, renames and other mounts of the directory meet.
      key = `fifo:host:${st.dev}:${st.ino}`;
    } else {
      throw new PalError(PalCode.INVAL, "not a FIFO");
    }
    const rw = flags & (OpenFlag.READ | OpenFlag.WRITE);
    if (rw === 0) throw new PalError(PalCode.INVAL, "a FIFO opens for reading, writing or both");
    const side: PipeSide = rw === OpenFlag.READ ? "read" : rw === OpenFlag.WRITE ? "write" : "both";
    const nonblocking = (flags & OpenFlag.NONBLOCK) !== 0;
    const fullKey = `${p.services.sandboxId}\0${key}`;
    let f = fifos.get(fullKey);
    if (!f || fifoIdle(f)) {
      const [id, sab] = host.pipes.createBare(NAMED_PIPE_CAPACITY);
      f = { id, sab, opens: { read: 0, write: 0 }, waiters: new Set() };
      fifos.set(fullKey, f);
    }
    if (side === "both") {
      // Linux: an O_RDWR open is a reader and a writer at once; it never waits.
      host.pipes.give(p.pid, f.id, "both");
      f.opens.read++;
      f.opens.write++;
      wakeFifo(f);
      transfer({ sab: f.sab, side });
      return f.id;
    }
    const other = side === "read" ? "write" : "read";
    if (side === "write" && nonblocking && fifoCount(f, "read") === 0) {
      throw new PalError(PalCode.NO_PROCESS, "no reader has the FIFO open");
    }
    host.pipes.give(p.pid, f.id, side);
    f.opens[side]++;
    wakeFifo(f);
    const seen = f.opens[other];
    while (!nonblocking && fifoCount(f, other) === 0 && f.opens[other] === seen) {
      if (p.state === "exited") {
        release1(p.pid, f.id, side);
        throw new PalError(PalCode.INTERRUPTED, "the process ended while opening a FIFO");
      }
      const ff = f;
      // A handled signal cancels the wait (EINTR, as on Linux): the end given above goes back.
      let interrupted = false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          ff.waiters.delete(wake);
          p.tree.blocked.delete(cancel);
          resolve();
        };
        const cancel = () => {
          interrupted = true;
          wake();
        };
        ff.waiters.add(wake);
        p.tree.blocked.add(cancel);
      });
      if (interrupted) {
        release1(p.pid, f.id, side);
        throw new PalError(PalCode.INTERRUPTED, "FIFO open interrupted by a signal");
      }
    }
    transfer({ sab: f.sab, side });
    return f.id;
  };
  const release1 = (pid: number, id: number, end: "read" | "write") => {
    try {
      host.pipes.close(pid, id, end);
    } catch (_e) {
      // Already dropped with the process.
    }
  };

  return {
    stream_open(ctx, uri, flags, mode) {
      if (uri.startsWith("fifo:file://")) {
        return openFifo(ctx.owner, uri.slice(5), flags, (v) => ctx.transfer(v));
      }
      if (uri.startsWith("pipe.srv:")) return listen(ctx.owner, uri.slice(9));
      if (uri.startsWith("pipe:")) {
        return connect(ctx.owner, uri.slice(5), (v) => ctx.transfer(v));
      }
      return baseOpen(ctx, uri, flags, mode);
    },
    stream_accept(ctx, h) {
      if (ctx.owner.handles.get(h).kind !== "pipe.srv") return baseAccept(ctx, h);
      return accept(ctx.owner, h, (v) => ctx.transfer(v));
    },
  };
}
