/**
 * The RPC category and the handle/memory transfer calls of the Processes category.
 * Calls: rpc_listen, rpc_connect, rpc_accept, process_send_handle, process_recv_handle,
 * process_memory_send, process_memory_recv.
 *
 * RPC: a process listens on a sandbox-local name; `rpc_connect` makes a MessageChannel, gives
 * one port to the caller (on its sync port) and queues the other for the listener, which takes
 * it with `rpc_accept`. After that the two picoprocesses talk port to port: the host is out of
 * the data path. Names, queues and inboxes belong to one SandboxHost, so nothing crosses
 * sandboxes; a split process only reaches processes of its own (new) sandbox.
 *
 * Timeouts (ms): < 0 waits forever, 0 answers TRY_AGAIN at once, > 0 answers TIMED_OUT.
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import type { HostHandlers } from "../../pal/host/dispatch.ts";
import { closeHandle, type HostHandle } from "../../pal/host/handles.ts";
import type { HostProc } from "./proc.ts";
import type { SandboxHost } from "./sandbox_host.ts";
import { sameSandbox } from "./split.ts";

const MAX_NAME_BYTES = 255;
const MAX_PENDING = 64;
const MAX_INBOX_BYTES = 16 << 20;
const MAX_INBOX_HANDLES = 64;

/** A queue whose takers wait (with a timeout) until something arrives. */
class WaitQueue<T> {
  readonly items: T[] = [];
  readonly #waiters = new Set<() => void>();

  push(v: T): void {
    this.items.push(v);
    for (const w of this.#waiters) w();
  }

  /** Take the first item, waiting up to `timeoutMs`. */
  async take(timeoutMs: number, alive: () => boolean): Promise<T> {
    const deadline = timeoutMs < 0 ? Infinity : performance.now() + timeoutMs;
    for (;;) {
      if (this.items.length > 0) return this.items.shift()!;
      if (!alive()) throw new PalError(PalCode.BROKEN_PIPE, "closed while waiting");
      const left = deadline - performance.now();
      if (timeoutMs === 0) throw new PalError(PalCode.TRY_AGAIN, "nothing to take");
      if (left <= 0) throw new PalError(PalCode.TIMED_OUT, "timed out");
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 2 ** 31 - 1));
        this.#waiters.add(wake);
      });
    }
  }

  /** Wake every taker (so it re-checks `alive`). */
  wakeAll(): void {
    for (const w of this.#waiters) w();
  }
}

interface Listener {
  readonly owner: HostProc;
  readonly pending: WaitQueue<MessagePort>;
  open: boolean;
}

interface Inbox {
  readonly handles: WaitQueue<HostHandle>;
  readonly bytes: WaitQueue<Uint8Array>;
  queuedBytes: number;
}

function checkName(name: string): string {
  const len = new TextEncoder().encode(name).length;
  if (len === 0 || len > MAX_NAME_BYTES || name.includes("\0")) {
    throw new PalError(PalCode.INVAL, "an RPC name is 1–255 bytes without NUL");
  }
  return name;
}

function checkTimeout(t: number): number {
  if (!Number.isSafeInteger(t) || t < -1 || t > 24 * 3600 * 1000) {
    throw new PalError(PalCode.INVAL, "timeout out of range");
  }
  return t;
}

/** Build the handlers bound to one sandbox host. */
export function rpcHandlers(host: SandboxHost): HostHandlers<HostProc> {
  const listeners = new Map<string, Listener>();
  const inboxes = new Map<number, Inbox>();
  const inboxOf = (pid: number): Inbox => {
    let b = inboxes.get(pid);
    if (!b) {
      b = { handles: new WaitQueue(), bytes: new WaitQueue(), queuedBytes: 0 };
      inboxes.set(pid, b);
    }
    return b;
  };
  /** The live process `pid` in the caller's sandbox, or NO_PROCESS. */
  const target = (caller: HostProc, pid: number): HostProc => {
    const t = host.procs.get(pid);
    if (!t || t.state === "exited" || !sameSandbox(caller, t)) {
      throw new PalError(PalCode.NO_PROCESS, `no process ${pid}`);
    }
    return t;
  };
  host.onProcessEnd.push((p) => {
    const b = inboxes.get(p.pid);
    if (b) {
      for (const h of b.handles.items.splice(0)) closeHandle(h);
      b.bytes.items.length = 0;
      b.handles.wakeAll();
      b.bytes.wakeAll();
      inboxes.delete(p.pid);
    }
    for (const [name, l] of listeners) {
      if (l.owner === p) {
        l.open = false;
        for (const port of l.pending.items.splice(0)) port.close();
        l.pending.wakeAll();
        listeners.delete(name);
      }
    }
  });
  const alive = (p: HostProc) => () => p.state !== "exited";

  return {
    rpc_listen(ctx, name) {
      const p = ctx.owner;
      const key = `${p.services.sandboxId}\0${checkName(name)}`;
      if (host.revocations.rpcRevoked(name)) {
        throw new PalError(PalCode.REVOKED, `RPC name ${name} was revoked`);
      }
      if (listeners.has(key)) throw new PalError(PalCode.EXISTS, `RPC name ${name} is taken`);
      const l: Listener = { owner: p, pending: new WaitQueue(), open: true };
      listeners.set(key, l);
      const unregister = () => {
        if (listeners.get(key) === l) listeners.delete(key);
        l.open = false;
        for (const port of l.pending.items.splice(0)) port.close();
        l.pending.wakeAll();
      };
      return p.handles.add({ kind: "rpc.srv", name, uri: `rpc:${name}`, unregister });
    },

    rpc_connect(ctx, name) {
      const p = ctx.owner;
      const l = listeners.get(`${p.services.sandboxId}\0${checkName(name)}`);
      if (host.revocations.rpcRevoked(name)) {
        throw new PalError(PalCode.REVOKED, `RPC name ${name} was revoked`);
      }
      if (!l || !l.open) throw new PalError(PalCode.CONN_REFUSED, `nobody listens on ${name}`);
      if (l.pending.items.length >= MAX_PENDING) {
        throw new PalError(PalCode.TRY_AGAIN, `too many pending connections to ${name}`);
      }
      const h = p.handles.add({ kind: "rpc", name, uri: `rpc:${name}` });
      const ch = new MessageChannel();
      ctx.transfer(ch.port1, [ch.port1]);
      l.pending.push(ch.port2);
      return h;
    },

    async rpc_accept(ctx, h, timeoutMs) {
      const p = ctx.owner;
      const srv = p.handles.get(h);
      if (srv.kind !== "rpc.srv") throw new PalError(PalCode.BAD_HANDLE, "not an RPC listener");
      const l = listeners.get(`${p.services.sandboxId}\0${srv.name}`);
      if (!l) throw new PalError(PalCode.BAD_HANDLE, "the listener is closed");
      const port = await l.pending.take(checkTimeout(timeoutMs), () => l.open && alive(p)());
      const id = p.handles.add({ kind: "rpc", name: srv.name, uri: srv.uri });
      ctx.transfer(port, [port]);
      return id;
    },

    process_send_handle(ctx, pid, h) {
      const t = target(ctx.owner, pid);
      const box = inboxOf(t.pid);
      if (box.handles.items.length >= MAX_INBOX_HANDLES) {
        throw new PalError(PalCode.TRY_AGAIN, `process ${pid} has too many handles waiting`);
      }
      // A binding has one owner: sending moves it (the sender's number becomes free).
      box.handles.push(ctx.owner.handles.take(h));
    },

    async process_recv_handle(ctx, timeoutMs) {
      const p = ctx.owner;
      const hd = await inboxOf(p.pid).handles.take(checkTimeout(timeoutMs), alive(p));
      try {
        return p.handles.add(hd);
      } catch (e) {
        closeHandle(hd);
        throw e;
      }
    },

    process_memory_send(ctx, pid, bytes) {
      const t = target(ctx.owner, pid);
      const box = inboxOf(t.pid);
      if (box.queuedBytes + bytes.length > MAX_INBOX_BYTES) {
        throw new PalError(
          PalCode.TRY_AGAIN,
          `process ${pid} has ${box.queuedBytes} bytes waiting`,
        );
      }
      box.queuedBytes += bytes.length;
      box.bytes.push(bytes);
    },

    async process_memory_recv(ctx, timeoutMs, out) {
      const p = ctx.owner;
      const box = inboxOf(p.pid);
      const chunk = await box.bytes.take(checkTimeout(timeoutMs), alive(p));
      const n = Math.min(chunk.length, out.length);
      out.set(chunk.subarray(0, n));
      box.queuedBytes -= n;
      if (n < chunk.length) box.bytes.items.unshift(chunk.subarray(n));
      return n;
    },
  };
}
