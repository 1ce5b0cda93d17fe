/** The file workload of bench/fs_bench.ts, run the same way on the host and in a guest. */
import { median } from "./_table.ts";

/** Results: MB/s for throughput, µs per op for latencies. */
export interface FsResults {
  [name: string]: number;
}

const FILE_BYTES = 32 << 20;
const REPEATS = 5;

function throughput(fn: () => void): number {
  const runs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    fn();
    runs.push(FILE_BYTES / 1e6 / ((performance.now() - t0) / 1000));
  }
  return median(runs);
}

function perOp(fn: () => void, n: number): number {
  const runs: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    runs.push(((performance.now() - t0) * 1000) / n);
  }
  return median(runs);
}

/** Sequential write/read in 1 MiB and 64 KiB blocks, open+close and stat, on files in `dir`. */
export function fsWorkload(dir: string): FsResults {
  const path = `${dir}/bench.dat`;
  const out: FsResults = {};
  for (const block of [1 << 20, 64 << 10]) {
    const buf = new Uint8Array(block).fill(7);
    const label = block === 1 << 20 ? "1MiB" : "64KiB";
    out[`write ${label}`] = throughput(() => {
      using f = Deno.openSync(path, { write: true, create: true, truncate: true });
      for (let off = 0; off < FILE_BYTES; off += block) f.writeSync(buf);
    });
    out[`read ${label}`] = throughput(() => {
      using f = Deno.openSync(path);
      while (f.readSync(buf) !== null) { /* drain */ }
    });
  }
  out["open+close"] = perOp(() => Deno.openSync(path).close(), 2000);
  out["stat"] = perOp(() => Deno.statSync(path), 2000);
  Deno.removeSync(path);
  return out;
}
