/**
 * Host side of tcp: and tcp.srv: streams (udp: and udp.srv: are in udp.ts). The bind (connect,
 * listen) is checked against the manifest's net rules and audited; reads go through a read-ahead
 * buffer so readiness can be reported to `stream_wait_events`.
 */
import { PollBits } from "../abi.ts";
import { PalCode, PalError } from "../errors.ts";
import type { HostHandle, ReadAhead } from "./handles.ts";
import type { HostProcess } from "./owner.ts";
import { openUdp, udpRead, udpReadiness, udpWrite } from "./udp.ts";
import type { ParsedUri } from "./uri.ts";

type NetUri = Extract<ParsedUri, { host: string }>;
const CHUNK = 64 * 1024;

/** Bind a network stream after checking the manifest. */
export async function openNet(p: HostProcess, u: NetUri): Promise<HostHandle> {
  const listen = u.scheme.endsWith(".srv");
  const target = `${u.host}:${u.port}`;
  const verdict = p.services.netAllowed(listen ? "listen" : "connect", u.host, u.port);
  if (verdict !== true) {
    const revoked = verdict === "revoked";
    p.services.audit(p.pid, {
      what: listen ? "listen" : "connect",
      target,
      result: "denied",
      reason: revoked ? "revoked" : "not granted",
    });
    throw new PalError(
      revoked ? PalCode.REVOKED : PalCode.DENIED,
      `${listen ? "listen on" : "connect to"} ${target} is ${revoked ? "revoked" : "not granted"}`,
    );
  }
  p.services.audit(p.pid, { what: listen ? "listen" : "connect", target, result: "granted" });
  const uri = `${u.scheme}:${target}`;
  if (u.scheme === "tcp") {
    const conn = await Deno.connect({ hostname: u.host, port: u.port });
    return { kind: "tcp", conn, uri, rx: newReadAhead() };
  }
  if (u.scheme === "tcp.srv") {
    const listener = Deno.listen({ hostname: u.host, port: u.port });
    return { kind: "tcp.srv", listener, uri };
  }
  const { conn, state } = openUdp(u.host, u.port, u.scheme === "udp.srv");
  return { kind: "udp", conn, uri, state };
}

function newReadAhead(): ReadAhead {
  return { buf: null, eof: false, error: null, pending: null };
}

function fill(conn: Deno.TcpConn, rx: ReadAhead): Promise<void> {
  if (rx.pending) return rx.pending;
  rx.pending = (async () => {
    try {
      const tmp = new Uint8Array(CHUNK);
      const n = await conn.read(tmp);
      if (n === null) rx.eof = true;
      else rx.buf = tmp.subarray(0, n);
    } catch (e) {
      rx.error = e;
    } finally {
      rx.pending = null;
    }
  })();
  return rx.pending;
}

function take(rx: ReadAhead, out: Uint8Array): number {
  if (rx.buf && rx.buf.length > 0) {
    const n = Math.min(out.length, rx.buf.length);
    out.set(rx.buf.subarray(0, n));
    rx.buf = n === rx.buf.length ? null : rx.buf.subarray(n);
    return n;
  }
  if (rx.error) {
    const e = rx.error;
    rx.error = null;
    throw e;
  }
  return 0;
}

/** Operations on bound network handles. */
export const netHandlers = {
  async read(h: HostHandle, out: Uint8Array): Promise<number> {
    if (h.kind === "udp") return await udpRead(h, out);
    if (h.kind !== "tcp") throw new PalError(PalCode.BAD_HANDLE, "not a readable stream");
    while (!h.rx.buf && !h.rx.eof && !h.rx.error) await fill(h.conn, h.rx);
    return take(h.rx, out);
  },

  async write(h: HostHandle, data: Uint8Array): Promise<number> {
    if (h.kind === "udp") return await udpWrite(h, data);
    if (h.kind !== "tcp") throw new PalError(PalCode.BAD_HANDLE, "not a writable stream");
    let n = 0;
    while (n < data.length) n += await h.conn.write(data.subarray(n));
    return n;
  },

  async accept(h: HostHandle): Promise<HostHandle> {
    if (h.kind !== "tcp.srv") throw new PalError(PalCode.BAD_HANDLE, "not a server stream");
    const conn = await h.listener.accept();
    const a = conn.remoteAddr as Deno.NetAddr;
    return { kind: "tcp", conn, uri: `tcp:${a.hostname}:${a.port}`, rx: newReadAhead() };
  },

  async shutdown(h: HostHandle, how: number): Promise<void> {
    if (h.kind !== "tcp") throw new PalError(PalCode.NOT_CONNECTED, "not a connected stream");
    if (how & 2) await h.conn.closeWrite();
    if (how & 1) h.rx.eof = true;
  },
};

/** Current readiness of a handle and, when not ready, a promise that settles on a change. */
export function readinessOf(
  p: HostProcess,
  h: HostHandle,
  want: number,
): { bits: number; wait: Promise<unknown> | null } {
  switch (h.kind) {
    case "file":
    case "dir":
      return { bits: PollBits.IN | PollBits.OUT, wait: null };
    case "dev": {
      if (h.dev !== "stdin" && h.dev !== "tty") {
        return { bits: PollBits.IN | PollBits.OUT, wait: null };
      }
      const s = p.services.stdinPoll(p.pid);
      return { bits: (s.ready ? PollBits.IN : 0) | PollBits.OUT, wait: s.ready ? null : s.wait };
    }
    case "tcp": {
      const rx = h.rx;
      let bits = PollBits.OUT;
      if (rx.buf || rx.eof) bits |= PollBits.IN;
      if (rx.eof) bits |= PollBits.HUP;
      if (rx.error) bits |= PollBits.ERR;
      const wait = (bits & PollBits.IN) || !(want & PollBits.IN) ? null : fill(h.conn, rx);
      return { bits, wait };
    }
    case "udp":
      return udpReadiness(h, want);
    case "tcp.srv":
      // Readiness of a listener is not observable without accepting; report it readable so a
      // poll loop moves on to accept, which then blocks for the connection.
      return { bits: PollBits.IN, wait: null };
    default:
      return { bits: 0, wait: null };
  }
}
