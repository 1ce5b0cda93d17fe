// Guest half of bench/fs_bench.ts: the same file operations through the Deno personality,
// on each directory named in Deno.args. Prints one JSON object per directory.
//
// The workload runs once on every directory before the measured runs: the libOS and the host's
// handlers are JavaScript that V8 compiles as it runs, and a fresh sandbox measured at once
// measures its warm-up too (in one run tmpfs, measured second, read 1.4–1.5× faster than
// chroot; with the order reversed, chroot read 1 MiB blocks 1.27× faster than tmpfs).
// bench/fs_bench.ts warms the real side the same way.
import { fsWorkload } from "./fs_workload.ts";

for (const dir of Deno.args) fsWorkload(dir);
for (const dir of Deno.args) console.log(JSON.stringify({ dir, ...fsWorkload(dir) }));
