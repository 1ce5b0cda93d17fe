/**
 * Host side of udp: and udp.srv: streams (Deno.listenDatagram, `--unstable-net`).
 * - `udp:<host>:<port>` binds an ephemeral local port and is connected to the peer: writes go
 *   to it, and datagrams from anyone else are dropped.
 * - `udp.srv:<host>:<port>` binds that address: reads take datagrams from anyone, and writes
 *   answer the sender of the last datagram read (NOT_CONNECTED before any).
 * One `stream_read` returns one datagram (cut to the buffer, like recv); one `stream_write`
 * sends one datagram. The bind was checked against the manifest by openNet (net.ts).
 */
import { PollBits } from "../abi.ts";
import { PalCode, PalError } from "../errors.ts";

/** Largest datagram payload (IPv4 UDP). */
export const MAX_DATAGRAM = 65507;

/** Per-handle datagram state: the peer and one datagram received ahead (for readiness). */
export interface UdpState {
  /** Where writes go: the connected peer, or the sender of the last datagram read. */
  peer: Deno.NetAddr | null;
  /** True for udp: (the peer is fixed and filters what is read). */
  readonly connected: boolean;
  next: Uint8Array | null;
  error: unknown;
  pending: Promise<void> | null;
}

/** A bound datagram socket with its state. */
export interface UdpBinding {
  readonly conn: Deno.DatagramConn;
  readonly state: UdpState;
}

function sameAddr(a: Deno.NetAddr, b: Deno.NetAddr): boolean {
  return a.port === b.port && a.hostname === b.hostname;
}

/** Bind a datagram socket: a server at host:port, or a client connected to host:port. */
export function openUdp(host: string, port: number, server: boolean): UdpBinding {
  let peer: Deno.NetAddr | null = null;
  let hostname = host;
  if (!server) {
    const ip = host === "localhost" ? "127.0.0.1" : host;
    peer = { transport: "udp", hostname: ip, port };
    hostname = ip.includes(":") ? "::" : ip.startsWith("127.") ? "127.0.0.1" : "0.0.0.0";
  }
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname,
    port: server ? port : 0,
  });
  return {
    conn,
    state: { peer, connected: !server, next: null, error: null, pending: null },
  };
}

function fill(b: UdpBinding): Promise<void> {
  const s = b.state;
  if (s.pending) return s.pending;
  s.pending = (async () => {
    try {
      for (;;) {
        const [data, from] = await b.conn.receive(new Uint8Array(MAX_DATAGRAM));
        const addr = from as Deno.NetAddr;
        if (s.connected && s.peer && !sameAddr(addr, s.peer)) continue;
        if (!s.connected) s.peer = addr;
        s.next = data;
        return;
      }
    } catch (e) {
      s.error = e;
    } finally {
      s.pending = null;
    }
  })();
  return s.pending;
}

/** Read one datagram into `out` (the rest of a longer one is discarded). */
export async function udpRead(b: UdpBinding, out: Uint8Array): Promise<number> {
  const s = b.state;
  while (!s.next && !s.error) await fill(b);
  if (!s.next) {
    const e = s.error;
    s.error = null;
    throw e;
  }
  const n = Math.min(out.length, s.next.length);
  out.set(s.next.subarray(0, n));
  s.next = null;
  return n;
}

/** Send `data` as one datagram to the peer. */
export async function udpWrite(b: UdpBinding, data: Uint8Array): Promise<number> {
  if (data.length > MAX_DATAGRAM) throw new PalError(PalCode.TOO_LONG, "datagram too long");
  if (!b.state.peer) throw new PalError(PalCode.NOT_CONNECTED, "no peer to send to yet");
  return await b.conn.send(data, b.state.peer);
}

/** Readiness: IN when a datagram is waiting; OUT always (datagrams are not flow-controlled). */
export function udpReadiness(
  b: UdpBinding,
  want: number,
): { bits: number; wait: Promise<unknown> | null } {
  const s = b.state;
  let bits = b.state.peer ? PollBits.OUT : 0;
  if (s.next) bits |= PollBits.IN;
  if (s.error) bits |= PollBits.ERR;
  const wait = (bits & PollBits.IN) || !(want & PollBits.IN) ? null : fill(b);
  return { bits, wait };
}
