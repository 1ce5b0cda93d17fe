/**
 * File-system benchmark: the Deno personality in a sandbox (chroot and tmpfs mounts) against
 * the real Deno API on the same host directory, in the same run; open+close and stat also
 * against native C when `cc` exists.
 *
 * The machine drifts (one pass of the real workload read its file at 5 GB/s, the next at
 * 15 GB/s), so the two sides alternate: `ROUNDS` rounds of the real workload then a fresh
 * sandbox running it, and each figure is the median over the rounds of the round's median.
 * Both sides run the workload once unmeasured first (steady state: see fs_bench_guest.ts).
 * Run: deno run --no-prompt -A bench/fs_bench.ts
 */
import { Sandbox } from "../sandbox/sandbox.ts";
import { type BenchRow, median, printTable } from "./_table.ts";
import { runNative } from "./c/build.ts";
import { type FsResults, fsWorkload } from "./fs_workload.ts";

const ROUNDS = 3;

/** The median of each figure over the rounds. */
function medians(rounds: FsResults[]): FsResults {
  const out: FsResults = {};
  for (const k of Object.keys(rounds[0]!)) out[k] = median(rounds.map((r) => r[k]!));
  return out;
}

const host = await Deno.makeTempDir({ prefix: "sp_fs_bench_" });
const dir = await Deno.makeTempDir({ prefix: "sp_fs_bench_m_" });
try {
  const toml = `${dir}/bench.toml`;
  await Deno.writeTextFile(
    toml,
    [
      "[loader]",
      `entrypoint = "${new URL("./fs_bench_guest.ts", import.meta.url).pathname}"`,
      'argv = ["bench", "/c", "/t"]',
      "[fs]",
      `mounts = [{ path = "/c", uri = "file:${host}" }, { path = "/t", type = "tmpfs", size = "64M" }]`,
      "[sys]",
      'wall_time = "300s"',
      'max_memory = "1G"',
    ].join("\n"),
  );
  const reals: FsResults[] = [];
  const chroots: FsResults[] = [];
  const tmpfss: FsResults[] = [];
  fsWorkload(host); // warm-up, as the guest does
  for (let round = 0; round < ROUNDS; round++) {
    reals.push(fsWorkload(host));
    const sb = await Sandbox.create(toml, { isolation: "worker" });
    const out = await sb.run();
    await sb.close();
    const text = new TextDecoder().decode(out.stdout);
    if (out.code !== 0) throw new Error(`guest failed: ${new TextDecoder().decode(out.stderr)}`);
    const byDir = new Map<string, FsResults>(
      text.trim().split("\n").map((l) => JSON.parse(l)).map((j) => [j.dir, j]),
    );
    chroots.push(byDir.get("/c")!);
    tmpfss.push(byDir.get("/t")!);
  }
  const real = medians(reals);
  const chroot = medians(chroots);
  const tmpfs = medians(tmpfss);
  const rows: BenchRow[] = [];
  for (const k of Object.keys(real)) {
    const lat = k === "open+close" || k === "stat";
    const unit = lat ? "µs" : "MB/s";
    const goal = lat || k.endsWith("first pass") || k.endsWith("untimed") ? "" : "ratio >= 0.9";
    rows.push({
      name: `${k} chroot vs real Deno`,
      ours: chroot[k]!,
      baseline: real[k]!,
      unit,
      goal,
    });
    rows.push({ name: `${k} tmpfs vs real Deno`, ours: tmpfs[k]!, baseline: real[k]!, unit });
    rows.push({ name: `${k} tmpfs vs chroot`, ours: tmpfs[k]!, baseline: chroot[k]!, unit });
  }
  await Deno.writeTextFile(`${host}/probe`, "x");
  for (const [k, op] of [["open+close", "open"], ["stat", "stat"]] as const) {
    const c = await runNative("fs_ops.c", [op, `${host}/probe`, "20000"]);
    rows.push({ name: `${k} chroot vs native C`, ours: chroot[k]!, baseline: c, unit: "µs" });
    rows.push({ name: `${k} real Deno vs native C`, ours: real[k]!, baseline: c, unit: "µs" });
  }
  printTable("File system: Deno personality in a sandbox vs real Deno (same run)", rows);
} finally {
  await Deno.remove(host, { recursive: true });
  await Deno.remove(dir, { recursive: true });
}
