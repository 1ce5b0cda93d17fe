/**
 * Guest-served misc calls: clocks, random bytes, cpu info — no host round trip.
 * Calls here: time_monotonic, time_wall, random_bytes, cpu_info.
 */
import { PalCode, PalError } from "../errors.ts";
import type { LocalTable } from "./local_state.ts";

/** Largest `random_bytes` request. */
export const MAX_RANDOM_BYTES = 1 << 20;
const CHUNK = 65536; // crypto.getRandomValues' limit per call

/** The misc calls. Times are integers in ns; wall time is exact to ~0.25 µs (f64). */
export const miscCalls = {
  time_monotonic(s) {
    return Math.round((performance.timeOrigin + performance.now() - s.originMs) * 1e6);
  },
  time_wall() {
    return Math.round((performance.timeOrigin + performance.now()) * 1e6);
  },
  random_bytes(_s, n) {
    if (!Number.isInteger(n) || n < 0 || n > MAX_RANDOM_BYTES) {
      throw new PalError(PalCode.INVAL, `bad length ${n}`);
    }
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += CHUNK) crypto.getRandomValues(out.subarray(i, i + CHUNK));
    return out;
  },
  cpu_info() {
    return { count: navigator.hardwareConcurrency, arch: Deno.build.arch, os: Deno.build.os };
  },
} satisfies Pick<LocalTable, "time_monotonic" | "time_wall" | "random_bytes" | "cpu_info">;
