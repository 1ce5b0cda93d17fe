/** Descriptor calls: dup, dup2, dup3, fcntl, poll, isatty (pipe: libos/proc/pipe.ts). */
import { beatWhileBlocked } from "../../pal/futex.ts";
import { Errno, ErrnoError } from "../errno.ts";
import type { OpenFile } from "../fd_table.ts";
import type { Kernel } from "../kernel.ts";
import { O, POLL, type PollFd } from "./types.ts";

/** fcntl(2) commands. */
export const F = {
  DUPFD: 0,
  GETFD: 1,
  SETFD: 2,
  GETFL: 3,
  SETFL: 4,
  DUPFD_CLOEXEC: 1030,
} as const;
/** The fd flag of F_GETFD/F_SETFD. */
export const FD_CLOEXEC = 1;

/** dup(2). */
export function dup(k: Kernel, fd: number): number {
  return k.fds.dup(fd);
}

/** dup2(2): EBADF for a bad oldfd even when equal to newfd. */
export function dup2(k: Kernel, oldfd: number, newfd: number): number {
  k.fds.get(oldfd);
  return k.fds.dupTo(oldfd, newfd);
}

/** dup3(2): EINVAL when the fds are equal or flags has bits other than O_CLOEXEC. */
export function dup3(k: Kernel, oldfd: number, newfd: number, flags: number): number {
  if (oldfd === newfd) throw new ErrnoError(Errno.EINVAL, "dup3 with equal fds");
  if ((flags & ~O.CLOEXEC) !== 0) throw new ErrnoError(Errno.EINVAL, `bad dup3 flags ${flags}`);
  return k.fds.dupTo(oldfd, newfd, (flags & O.CLOEXEC) !== 0);
}

/** fcntl(2): F_DUPFD[_CLOEXEC], F_GETFD/F_SETFD, F_GETFL/F_SETFL (O_APPEND, O_NONBLOCK). */
export function fcntl(k: Kernel, fd: number, cmd: number, arg = 0): number {
  const slot = k.fds.slot(fd);
  switch (cmd) {
    case F.DUPFD:
    case F.DUPFD_CLOEXEC:
      return k.fds.dup(fd, arg, cmd === F.DUPFD_CLOEXEC);
    case F.GETFD:
      return slot.cloexec ? FD_CLOEXEC : 0;
    case F.SETFD:
      slot.cloexec = (arg & FD_CLOEXEC) !== 0;
      return 0;
    case F.GETFL:
      return slot.file.flags;
    case F.SETFL: {
      const of = slot.file;
      const settable = O.APPEND | O.NONBLOCK;
      of.flags = (of.flags & ~settable) | (arg & settable);
      of.handle.setNonblocking((arg & O.NONBLOCK) !== 0);
      return 0;
    }
    default:
      throw new ErrnoError(Errno.EINVAL, `unknown fcntl command ${cmd}`);
  }
}

/** poll(2): checks readiness until something is ready or `timeoutMs` passes (-1 = forever). */
export function poll(k: Kernel, fds: PollFd[], timeoutMs: number): number {
  const deadline = timeoutMs < 0 ? Infinity : performance.now() + timeoutMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let ready = 0;
    for (const p of fds) {
      p.revents = 0;
      if (p.fd < 0) continue;
      let of: OpenFile;
      try {
        of = k.fds.get(p.fd);
      } catch (_e) {
        p.revents = POLL.NVAL;
        ready++;
        continue;
      }
      const r = of.handle.readiness();
      if (r.readable && (p.events & POLL.IN)) p.revents |= POLL.IN;
      if (r.writable && (p.events & POLL.OUT)) p.revents |= POLL.OUT;
      if (r.hup) p.revents |= POLL.HUP;
      if (r.err) p.revents |= POLL.ERR;
      if (p.revents) ready++;
    }
    const left = deadline - performance.now();
    if (ready > 0 || left <= 0) return ready;
    beatWhileBlocked();
    Atomics.wait(nap, 0, 0, Math.min(left, 5));
  }
}

/** isatty(3): no fd is a terminal inside a sandbox; EBADF for a bad fd. */
export function isatty(k: Kernel, fd: number): boolean {
  return k.fds.get(fd).handle.isatty();
}
