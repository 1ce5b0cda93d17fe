// Guest half of bench/fs_bench.ts: the same file operations through the Deno personality,
// on each directory named in Deno.args. Prints one JSON object per directory.
import { fsWorkload } from "./fs_workload.ts";

for (const dir of Deno.args) console.log(JSON.stringify({ dir, ...fsWorkload(dir) }));
