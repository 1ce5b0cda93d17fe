/** The state one WASI instance's calls share, and the small helpers most calls use. */
import type { Stat, Sys, TimeArg } from "../../sys/types.ts";
import { FstFlags, WasiErrno } from "./constants.ts";
import { WasiError } from "./errno.ts";
import { filetypeOf, type WasiFdTable } from "./fds.ts";
import type { GuestMemory } from "./memory.ts";

/** What every WASI call of one instance sees. */
export interface WasiCtx {
  readonly sys: Sys;
  readonly mem: GuestMemory;
  readonly fds: WasiFdTable;
  readonly args: readonly string[];
  readonly env: readonly string[];
  /** Monotonic ns at start (for the cputime clocks). */
  readonly startNs: bigint;
}

/** ms (possibly fractional) → ns, rounded to the µs: finer digits of an epoch time in ms are
 * floating-point noise, not data. */
export function msToNs(ms: number): bigint {
  return Number.isFinite(ms) ? BigInt(Math.round(ms * 1000)) * 1000n : 0n;
}

/** ns → ms (fractional; exact below 2^53 ns). */
export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}

/** Write a 64-byte `filestat` at `ptr`. */
export function writeFilestat(mem: GuestMemory, ptr: number, st: Stat): void {
  mem.zero(ptr, 64);
  mem.setU64(ptr, st.dev);
  mem.setU64(ptr + 8, st.ino);
  mem.setU8(ptr + 16, filetypeOf(st.mode));
  mem.setU64(ptr + 24, st.nlink);
  mem.setU64(ptr + 32, st.size);
  mem.setU64(ptr + 40, st.atimeNs ?? msToNs(st.atimeMs));
  mem.setU64(ptr + 48, st.mtimeNs ?? msToNs(st.mtimeMs));
  mem.setU64(ptr + 56, st.ctimeNs ?? msToNs(st.ctimeMs));
}

/** A time argument of utimensat from WASI `fstflags` (inval on contradictory flags); explicit
 * times stay ns (bigint) so the libOS keeps their full precision. */
export function timesFromFlags(atim: bigint, mtim: bigint, fst: number): [TimeArg, TimeArg] {
  if (fst & ~0xf) throw new WasiError(WasiErrno.INVAL, "unknown fstflags");
  if ((fst & FstFlags.ATIM) && (fst & FstFlags.ATIM_NOW)) throw new WasiError(WasiErrno.INVAL);
  if ((fst & FstFlags.MTIM) && (fst & FstFlags.MTIM_NOW)) throw new WasiError(WasiErrno.INVAL);
  const u64 = (v: bigint) => BigInt.asUintN(64, v);
  const a = fst & FstFlags.ATIM_NOW ? "now" : fst & FstFlags.ATIM ? u64(atim) : null;
  const m = fst & FstFlags.MTIM_NOW ? "now" : fst & FstFlags.MTIM ? u64(mtim) : null;
  return [a, m];
}

/** A u64 file size or offset from the guest as a safe JS number (fbig/inval beyond 2^53). */
export function u64ToNumber(v: bigint, errno: number = WasiErrno.FBIG): number {
  const n = BigInt.asUintN(64, v);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new WasiError(errno);
  return Number(n);
}
