/**
 * A `Sys` for unit tests of the WASI layer that need no files: stdio captured in memory, clocks
 * and random real, every other call ENOSYS (fds other than 0–2 are EBADF).
 */
import { Errno, ErrnoError } from "../../libos/errno.ts";
import { S, type Stat, type Sys } from "../../libos/sys/types.ts";

/** A fake libOS with captured stdout/stderr and a fixed stdin. */
export interface FakeSys {
  readonly sys: Sys;
  stdout(): string;
  stderr(): string;
}

/** Build a fake libOS; `stdin` is what fd 0 reads. */
export function fakeSys(stdin = ""): FakeSys {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const input = new TextEncoder().encode(stdin);
  let inPos = 0;
  const stdio = (fd: number) => {
    if (fd < 0 || fd > 2) throw new ErrnoError(Errno.EBADF);
  };
  const impl: Partial<Sys> = {
    write(fd, buf) {
      stdio(fd);
      if (fd === 0) throw new ErrnoError(Errno.EBADF);
      (fd === 1 ? out : err).push(buf.slice());
      return buf.length;
    },
    writev(fd, bufs) {
      return bufs.reduce((n, b) => n + impl.write!(fd, b), 0);
    },
    read(fd, buf) {
      if (fd !== 0) throw new ErrnoError(Errno.EBADF);
      const n = Math.min(buf.length, input.length - inPos);
      buf.set(input.subarray(inPos, inPos + n));
      inPos += n;
      return n;
    },
    readv(fd, bufs) {
      let total = 0;
      for (const b of bufs) {
        const n = impl.read!(fd, b);
        total += n;
        if (n < b.length) break;
      }
      return total;
    },
    fstat(fd): Stat {
      stdio(fd);
      return {
        dev: 1,
        ino: fd + 1,
        mode: S.IFCHR | 0o600,
        nlink: 1,
        uid: 0,
        gid: 0,
        rdev: 0,
        size: 0,
        blksize: 4096,
        blocks: 0,
        atimeMs: 0,
        mtimeMs: 0,
        ctimeMs: 0,
      };
    },
    fcntl(fd) {
      stdio(fd);
      return fd === 0 ? 0 : 1;
    },
    clockGettime(clock) {
      return clock === "realtime"
        ? BigInt(Date.now()) * 1_000_000n
        : BigInt(Math.round(performance.now() * 1e6));
    },
    getrandom(buf) {
      crypto.getRandomValues(buf);
      return buf.length;
    },
  };
  const sys = new Proxy(impl, {
    get(t, k) {
      const v = t[k as keyof Sys];
      if (v) return v;
      return () => {
        throw new ErrnoError(Errno.ENOSYS, String(k));
      };
    },
  }) as Sys;
  const text = (parts: Uint8Array[]) => parts.map((p) => new TextDecoder().decode(p)).join("");
  return { sys, stdout: () => text(out), stderr: () => text(err) };
}
