/**
 * args_get args_sizes_get environ_get environ_sizes_get clock_res_get clock_time_get
 * random_get sched_yield proc_exit proc_raise.
 */
import { ClockId, WasiErrno } from "./constants.ts";
import type { WasiCtx } from "./ctx.ts";
import { WasiError, WasiExit } from "./errno.ts";
import { utf8Length } from "./memory.ts";

/** Resolution we report for every clock: 1 µs (what performance.now() and Date give us). */
const RESOLUTION_NS = 1000n;

/** Linux signal number of a WASI signal (they differ from SIGCHLD = 16 on). */
function linuxSignal(sig: number): number {
  return sig < 16 ? sig : sig + 1;
}
/** WASI signals whose default action is to ignore them (chld, cont, urg, winch) or to stop
 * (stop, tstp, ttin, ttou: a picoprocess has no job control, so nothing happens). */
const NO_TERMINATE = new Set([16, 17, 18, 19, 20, 21, 22, 27]);

/** Current time of a WASI clock in ns. */
export function clockNow(c: WasiCtx, id: number): bigint {
  switch (id) {
    case ClockId.REALTIME:
      return c.sys.clockGettime("realtime");
    case ClockId.MONOTONIC:
      return c.sys.clockGettime("monotonic");
    case ClockId.PROCESS_CPUTIME:
    case ClockId.THREAD_CPUTIME:
      // No CPU accounting below the libOS: time since the process started bounds it.
      return c.sys.clockGettime("monotonic") - c.startNs;
    default:
      throw new WasiError(WasiErrno.INVAL, "unknown clock");
  }
}

/** Write a list of strings as argv/environ: pointers at `ptrs`, NUL-terminated text at `buf`. */
function writeList(c: WasiCtx, list: readonly string[], ptrs: number, buf: number): number {
  const { mem } = c;
  mem.check(ptrs, list.length * 4);
  let p = buf >>> 0;
  list.forEach((s, i) => {
    mem.setU32(ptrs + i * 4, p);
    p += mem.cstring(p, s);
  });
  return 0;
}

function sizes(c: WasiCtx, list: readonly string[], countPtr: number, sizePtr: number): number {
  c.mem.check(countPtr, 4);
  c.mem.check(sizePtr, 4);
  c.mem.setU32(countPtr, list.length);
  c.mem.setU32(sizePtr, list.reduce((n, s) => n + utf8Length(s) + 1, 0));
  return 0;
}

/** The import functions of one instance that are neither fd, path, poll nor sock calls. */
export function miscCalls(c: WasiCtx) {
  const { mem, sys } = c;
  const yieldBuf = new Int32Array(new SharedArrayBuffer(4));
  return {
    args_get: (ptrs: number, buf: number) => writeList(c, c.args, ptrs, buf),
    args_sizes_get: (n: number, s: number) => sizes(c, c.args, n, s),
    environ_get: (ptrs: number, buf: number) => writeList(c, c.env, ptrs, buf),
    environ_sizes_get: (n: number, s: number) => sizes(c, c.env, n, s),
    clock_res_get(id: number, out: number): number {
      clockNow(c, id);
      mem.setU64(out, RESOLUTION_NS);
      return 0;
    },
    clock_time_get(id: number, _precision: bigint, out: number): number {
      mem.check(out, 8);
      mem.setU64(out, clockNow(c, id));
      return 0;
    },
    random_get(buf: number, len: number): number {
      const dst = mem.bytes(buf, len);
      // crypto.getRandomValues takes at most 65536 bytes at a time.
      for (let off = 0; off < dst.length; off += 65536) {
        sys.getrandom(dst.subarray(off, Math.min(dst.length, off + 65536)));
      }
      return 0;
    },
    sched_yield(): number {
      Atomics.wait(yieldBuf, 0, 0, 0); // gives up the time slice; there is nothing to wait for
      return 0;
    },
    proc_exit(code: number): never {
      throw new WasiExit(code >>> 0);
    },
    proc_raise(sig: number): number {
      if (sig >>> 0 > 30) throw new WasiError(WasiErrno.INVAL, "unknown signal");
      if (sig === 0 || NO_TERMINATE.has(sig)) return 0;
      throw new WasiExit(128 + linuxSignal(sig));
    },
  };
}
