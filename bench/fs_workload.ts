/** The file workload of bench/fs_bench.ts, run the same way on the host and in a guest. */
import { median } from "./_table.ts";

/** Results: MB/s for throughput, µs per op for latencies. */
export interface FsResults {
  [name: string]: number;
}

const FILE_BYTES = 32 << 20;
const REPEATS = 7;

/** MB/s: the median of REPEATS runs (the steady state: a sandbox keeps a file's blocks from its
 * second read on, as Linux moves a page to its active list at the second access), and the
 * first run alone. */
function throughput(fn: () => void): { median: number; first: number } {
  const runs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    fn();
    runs.push(FILE_BYTES / 1e6 / ((performance.now() - t0) / 1000));
  }
  return { median: median(runs), first: runs[0]! };
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

/** Sequential write/read in 1 MiB and 64 KiB blocks, open+close and stat, on files in `dir`.
 * Reads also report their first run (`read … first pass`): the first read of the file after it
 * was written, before anything of it is in a sandbox's read cache; and the same passes with
 * only the reads timed (`read …, open/close untimed`, median), since a pass opens and closes the
 * file too. */
export function fsWorkload(dir: string): FsResults {
  const path = `${dir}/bench.dat`;
  const out: FsResults = {};
  for (const block of [1 << 20, 64 << 10]) {
    const buf = new Uint8Array(block).fill(7);
    const label = block === 1 << 20 ? "1MiB" : "64KiB";
    out[`write ${label}`] = throughput(() => {
      using f = Deno.openSync(path, { write: true, create: true, truncate: true });
      for (let off = 0; off < FILE_BYTES; off += block) f.writeSync(buf);
    }).median;
    const loops: number[] = [];
    const read = throughput(() => {
      using f = Deno.openSync(path);
      const t0 = performance.now();
      while (f.readSync(buf) !== null) { /* drain */ }
      loops.push(performance.now() - t0);
    });
    out[`read ${label}`] = read.median;
    out[`read ${label} first pass`] = read.first;
    // The same passes with only the reads timed: what the open and close cost apart from them.
    out[`read ${label}, open/close untimed`] = FILE_BYTES / 1e6 / (median(loops) / 1000);
  }
  out["open+close"] = perOp(() => Deno.openSync(path).close(), 2000);
  out["stat"] = perOp(() => Deno.statSync(path), 2000);
  Deno.removeSync(path);
  return out;
}
