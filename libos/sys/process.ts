/** Process and misc calls: getpid, getppid, umask, clockGettime, getrandom. */
import { Errno, ErrnoError } from "../errno.ts";
import type { Kernel } from "../kernel.ts";
import { checkBuf } from "./_util.ts";

/** getpid(2). */
export function getpid(k: Kernel): number {
  return k.init.pid;
}

/** getppid(2). */
export function getppid(k: Kernel): number {
  return k.init.ppid;
}

/** umask(2): sets the mask, returns the previous one. */
export function umask(k: Kernel, mask: number): number {
  if (!Number.isInteger(mask) || mask < 0) throw new ErrnoError(Errno.EINVAL, `bad umask ${mask}`);
  const old = k.umask;
  k.umask = mask & 0o777;
  return old;
}

/** clock_gettime(2) in ns. */
export function clockGettime(clock: "realtime" | "monotonic"): bigint {
  if (clock === "realtime") return BigInt(Date.now()) * 1_000_000n;
  if (clock === "monotonic") return BigInt(Math.round(performance.now() * 1e6));
  throw new ErrnoError(Errno.EINVAL, `unknown clock ${clock}`);
}

/** getrandom(2): fills `buf` from the guest CSPRNG. */
export function getrandom(buf: Uint8Array): number {
  checkBuf(buf);
  for (let i = 0; i < buf.length; i += 65536) {
    crypto.getRandomValues(buf.subarray(i, Math.min(buf.length, i + 65536)));
  }
  return buf.length;
}
