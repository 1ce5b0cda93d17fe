/**
 * Socket calls: connect, listen, accept4, shutdown and their async forms, plus the addresses of
 * a socket fd. Sockets are TCP streams bound by the host against `net.connect` / `net.listen`
 * (exact `host:port`); a refusal is EACCES with the host's message naming the target.
 */
import { Errno, ErrnoError, palToErrno } from "../errno.ts";
import { OpenFile } from "../fd_table.ts";
import type { Kernel } from "../kernel.ts";
import { type SockAddr, SocketHandle } from "../socket_handle.ts";
import { O } from "./types.ts";

const MAX_HOST = 255;

function target(host: string, port: number): string {
  if (typeof host !== "string" || host.length === 0 || host.length > MAX_HOST) {
    throw new ErrnoError(Errno.EINVAL, "bad host name");
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ErrnoError(Errno.EINVAL, `bad port ${port}`);
  }
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function install(k: Kernel, h: SocketHandle, flags: number): number {
  try {
    const nb = (flags & O.NONBLOCK) !== 0;
    h.setNonblocking(nb);
    return k.fds.install(
      new OpenFile(h, O.RDWR | (nb ? O.NONBLOCK : 0)),
      (flags & O.CLOEXEC) !== 0,
    );
  } catch (e) {
    h.release();
    throw e;
  }
}

function socketOf(k: Kernel, fd: number): SocketHandle {
  const h = k.fds.get(fd).handle;
  if (!(h instanceof SocketHandle)) {
    throw new ErrnoError(Errno.ENOTSOCK, `fd ${fd} is not a socket`);
  }
  return h;
}

function room(k: Kernel): void {
  if (k.fds.size >= k.fds.maxFds) throw new ErrnoError(Errno.EMFILE);
}

/** connect(2) to `host:port` as a new fd (blocks the thread until connected). */
export function connect(k: Kernel, host: string, port: number, flags = 0): number {
  const t = target(host, port);
  room(k);
  let h: number;
  try {
    h = k.pal.call("stream_open", `tcp:${t}`, 0, 0);
  } catch (e) {
    throw palToErrno(e, t);
  }
  return install(k, new SocketHandle(k.pal, h, false, null, { hostname: host, port }), flags);
}

/** connect(2) without blocking the event loop. */
export async function connectAsync(k: Kernel, host: string, port: number): Promise<number> {
  const t = target(host, port);
  room(k);
  let h: number;
  try {
    h = await k.pal.callAsync("stream_open", `tcp:${t}`, 0, 0);
  } catch (e) {
    throw palToErrno(e, t);
  }
  return install(k, new SocketHandle(k.pal, h, false, null, { hostname: host, port }), 0);
}

/** socket+bind+listen(2) on `host:port` as a new fd. */
export function listen(k: Kernel, host: string, port: number, flags = 0): number {
  const t = target(host, port);
  room(k);
  let h: number;
  try {
    h = k.pal.call("stream_open", `tcp.srv:${t}`, 0, 0);
  } catch (e) {
    throw palToErrno(e, t);
  }
  return install(k, new SocketHandle(k.pal, h, true, { hostname: host, port }, null), flags);
}

/** accept4(2): `flags` may hold O_NONBLOCK and O_CLOEXEC (SOCK_NONBLOCK, SOCK_CLOEXEC). */
export function accept4(k: Kernel, fd: number, flags = 0): number {
  if (flags & ~(O.NONBLOCK | O.CLOEXEC)) throw new ErrnoError(Errno.EINVAL, `bad flags ${flags}`);
  const s = socketOf(k, fd);
  room(k);
  return install(k, new SocketHandle(k.pal, s.accept(), false, s.local, null), flags);
}

/** accept4(2) without blocking the event loop. */
export async function acceptAsync(k: Kernel, fd: number, flags = 0): Promise<number> {
  if (flags & ~(O.NONBLOCK | O.CLOEXEC)) throw new ErrnoError(Errno.EINVAL, `bad flags ${flags}`);
  const s = socketOf(k, fd);
  room(k);
  const h = await s.acceptAsync();
  return install(k, new SocketHandle(k.pal, h, false, s.local, null), flags);
}

/** shutdown(2): SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2. */
export function shutdown(k: Kernel, fd: number, how: number): void {
  socketOf(k, fd).shutdown(how);
}

/** shutdown(2) without blocking the event loop. */
export function shutdownAsync(k: Kernel, fd: number, how: number): Promise<void> {
  return socketOf(k, fd).shutdownAsync(how);
}

/** getsockname/getpeername of a socket fd (null where the libOS does not know it). */
export function sockaddrs(
  k: Kernel,
  fd: number,
): { local: SockAddr | null; remote: SockAddr | null; listening: boolean } {
  const s = socketOf(k, fd);
  return { local: s.local, remote: s.remote, listening: s.listening };
}
