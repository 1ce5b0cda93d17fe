/**
 * Process benches, measured inside a real sandbox (bench/proc_bench_guest.ts), each against
 * native C on this machine (bench/c/proc_ops.c, bench/c/pipe_rtt.c):
 *   - spawn+exit, warm: from a pool of booted Workers that is full before the loop and at least
 *     as large as it (sys.spawn_pool = WARM_POOL); the program is the built-in `true`, so from
 *     the second spawn on the child runs in the Worker its predecessor gave back (recycled:
 *     sandbox/host/proc_pool.ts); and the same with `sys.recycle = false` (every spawn takes a
 *     Worker that only warmed up, as a program that is not a built-in does); the recycled loop
 *     is timed early (100 spawns after 30) and in its steady state (300 after ~630: V8 has
 *     optimized the spawn path by then, see the guest's N_STEADY);
 *   - spawn+exit, sustained: back-to-back spawns with the default pool (2), bound by how fast
 *     the host can start Workers; in the same run, the shell pipeline `echo a | cat | wc -c`
 *     (four built-ins at once) against /bin/sh running it natively;
 *   - spawn+exit, cold: no pool (sys.spawn_pool = 0), every spawn starts a Worker;
 *   - spawn+exit of a trivial app program (bench/trivial_program.ts) from a full pool: its module
 *     is imported in a Worker that only warmed up, as a fork child's is;
 *   - fork-with-state+exit and fork-with-state+exec+exit from a full pool (a fork child runs the
 *     app's code: never in a recycled Worker), compared with each spawn row;
 *   - 1-byte pipe round trip, signal round trip, msgsnd/msgrcv round trip, semop ping-pong:
 *     each as the mean of batches (the goal's figure) and as the median of single round trips,
 *     native C measured both ways too, and the mean against native C pinned to one core.
 * Run: deno run -A bench/proc_bench.ts [process|worker]
 */
import { Sandbox } from "../sandbox/sandbox.ts";
import { type BenchRow, median, printTable } from "./_table.ts";
import { runNative } from "./c/build.ts";

const ROUNDS = 3;
/** Pool size for the warm rows: ≥ the guest's N_WARM (and 2 × N_EXEC). */
const WARM_POOL = 12;

/** One sandbox run; `pool` is sys.spawn_pool (0: every spawn starts a cold Worker). */
async function guest(
  isolation: "worker" | "process",
  pool: number,
  args: string[] = [],
  recycle = true,
): Promise<Record<string, number>> {
  const dir = await Deno.makeTempDir({ prefix: "sp_proc_bench_" });
  const entry = new URL("./proc_bench_guest.ts", import.meta.url).pathname;
  const benchDir = new URL(".", import.meta.url).pathname;
  await Deno.writeTextFile(
    `${dir}/b.toml`,
    `[loader]\nentrypoint = "${entry}"\n[fs]\nroot = "/"\nmounts = [{ path = "/tmp", type = "tmpfs", size = "1M" }, { path = "/bench", uri = "file:${benchDir}", readonly = true }]\n[sys]\nisolation = "${isolation}"\nmax_processes = ${
      WARM_POOL + 4
    }\nspawn_pool = ${pool}\nrecycle = ${recycle}\nmax_memory = "2G"\nwall_time = "120s"\n`,
  );
  const sb = await Sandbox.create(`${dir}/b.toml`, { isolation });
  try {
    const out = await sb.run({ argv: ["bench", ...args] });
    const text = new TextDecoder().decode(out.stdout).trim();
    if (out.code !== 0) {
      throw new Error(
        `guest failed (${out.code} ${out.limit?.message}): ${text} ${
          new TextDecoder().decode(out.stderr)
        }`,
      );
    }
    return JSON.parse(text.split("\n").at(-1)!);
  } finally {
    await sb.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const isolation = (Deno.args[0] ?? "process") as "worker" | "process";
const runs: Record<string, number>[] = [];
const cold: Record<string, number>[] = [];
const sustained: Record<string, number>[] = [];
const fresh: Record<string, number>[] = [];
for (let i = 0; i < ROUNDS; i++) {
  runs.push(await guest(isolation, WARM_POOL));
  fresh.push(await guest(isolation, WARM_POOL, ["warm"], false));
  cold.push(await guest(isolation, 0, ["cold"]));
  sustained.push(await guest(isolation, 2, ["sustained"]));
}
const ours = (k: string) => median(runs.map((r) => r[k]!));
/** How native C is measured: mean or median single op, free or pinned to one core. */
type How = { p50?: boolean; pinned?: boolean };
const native = async (mode: string, n: number, how: How = {}) => {
  const xs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const args = [mode, String(n), ...(how.p50 ? ["p50"] : [])];
    xs.push(await runNative("proc_ops.c", args, { pinned: how.pinned ?? false }));
  }
  return median(xs) / 1000;
};
const pipeNative = async (how: How) => {
  const xs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const args = ["20000", ...(how.p50 ? ["p50"] : [])];
    xs.push(await runNative("pipe_rtt.c", args, { pinned: how.pinned ?? false }));
  }
  return median(xs) / 1000;
};
const forkExec = await native("fork_exec", 300);
const shPipeline = await native("sh_pipeline", 100);
printTable(`processes (${isolation} isolation), µs per op`, [
  {
    name: "spawn+exit (warm: loop of 100, recycled) vs fork+exec",
    ours: ours("spawn"),
    baseline: forkExec,
    unit: "µs",
    goal: "ratio <= 1",
  },
  {
    name: "spawn+exit (warm, steady: 300 after ~630, recycled) vs fork+exec",
    ours: ours("spawnSteady"),
    baseline: forkExec,
    unit: "µs",
    goal: "ratio <= 1",
  },
  {
    name: "spawn+exit (warm: first 10 from a full pool) vs fork+exec",
    ours: ours("spawnFirst"),
    baseline: forkExec,
    unit: "µs",
    goal: "-",
  },
  {
    name: "spawn+exit (warm: full pool, recycle = false) vs fork+exec",
    ours: median(fresh.map((r) => r.spawnFirst!)),
    baseline: forkExec,
    unit: "µs",
    goal: "-",
  },
  {
    name: "spawn+exit (sustained, pool 2) vs fork+exec",
    ours: median(sustained.map((r) => r.spawn!)),
    baseline: forkExec,
    unit: "µs",
    goal: "-",
  },
  {
    name: "sh -c 'echo a | cat | wc -c' (pool 2) vs native /bin/sh",
    ours: median(sustained.map((r) => r.pipeline!)),
    baseline: shPipeline,
    unit: "µs",
    goal: "-",
  },
  {
    name: "spawn+exit (cold Worker, no pool) vs fork+exec",
    ours: median(cold.map((r) => r.spawn!)),
    baseline: forkExec,
    unit: "µs",
    goal: "-",
  },
  {
    name: "fork-with-state+exit (full pool) vs fork+exit",
    ours: ours("fork"),
    baseline: await native("fork_exit", 300),
    unit: "µs",
    goal: "-",
  },
  {
    name: "fork-with-state+exit vs our spawn+exit, loop of 100",
    ours: ours("fork"),
    baseline: ours("spawn"),
    unit: "µs",
    goal: "ratio <= 2",
  },
  {
    name: "fork-with-state+exit vs our spawn+exit, recycle = false",
    ours: ours("fork"),
    baseline: median(fresh.map((r) => r.spawnFirst!)),
    unit: "µs",
    goal: "ratio <= 2",
  },
  {
    name: "spawn+exit of a trivial app program (full pool) vs fork+exec",
    ours: ours("spawnScript"),
    baseline: forkExec,
    unit: "µs",
    goal: "-",
  },
  {
    name: "fork-with-state+exit vs our spawn+exit of an app program",
    ours: ours("fork"),
    baseline: ours("spawnScript"),
    unit: "µs",
    goal: "ratio <= 2",
  },

  {
    name: "fork-with-state, entry returns (full pool) vs fork+exit",
    ours: ours("forkReturn"),
    baseline: await native("fork_exit", 300),
    unit: "µs",
    goal: "-",
  },
  {
    name: "fork-with-state+exec+exit (full pool) vs fork+exec",
    ours: ours("exec"),
    baseline: forkExec,
    unit: "µs",
    goal: "-",
  },
  ...await ipcRows("1-byte pipe round trip", "pipe", pipeNative),
  ...await ipcRows("signal round trip", "signal", (how) => native("signal_rtt", 2000, how)),
  ...await ipcRows("msgsnd/msgrcv round trip", "msg", (how) => native("msg_rtt", 20000, how)),
  ...await ipcRows("semop ping-pong", "sem", (how) => native("sem_pingpong", 20000, how)),
]);

/**
 * Three rows per IPC round trip: the mean (the goal's figure: batches of round trips, which
 * include the rare trips where a peer was descheduled on our 2 shared cores) and the median of
 * single round trips (the typical trip), each against native C measured the same way; then the
 * mean against native C pinned to one core. Native's two processes, free to run on both cores,
 * pay a cross-core wake-up per hop, which costs a lot more on some VMs than on others (measured
 * on ours: a pipe round trip ~8 µs one day, ~40 µs another; ~5 µs pinned); ours spin instead.
 */
async function ipcRows(
  name: string,
  key: string,
  base: (how: How) => Promise<number>,
): Promise<BenchRow[]> {
  return [
    { name, ours: ours(key), baseline: await base({}), unit: "µs", goal: "ratio <= 0.1" },
    {
      name: `${name}, median single trip`,
      ours: ours(`${key}P50`),
      baseline: await base({ p50: true }),
      unit: "µs",
      goal: "-",
    },
    {
      name: `${name} vs native on one core`,
      ours: ours(key),
      baseline: await base({ pinned: true }),
      unit: "µs",
      goal: "-",
    },
  ];
}
