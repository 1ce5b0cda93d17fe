/**
 * Process benches: spawn+exit (cold: sys.spawn_pool = 0; warm: from the pool), fork+exec+exit,
 * fork-with-state+exit, 1-byte pipe round trip between processes,
 * signal round trip, msgsnd/msgrcv round trip and semop ping-pong, measured inside a real
 * sandbox (bench/proc_bench_guest.ts), each against native C on this machine
 * (bench/c/proc_ops.c, bench/c/pipe_rtt.c). Run: deno run -A bench/proc_bench.ts
 */
import { Sandbox } from "../sandbox/sandbox.ts";
import { median, printTable } from "./_table.ts";
import { runNative } from "./c/build.ts";

const ROUNDS = 3;

/** One sandbox run; `pool` is sys.spawn_pool (0: every spawn starts a cold Worker). */
async function guest(
  isolation: "worker" | "process",
  pool: number,
  args: string[] = [],
): Promise<Record<string, number>> {
  const dir = await Deno.makeTempDir({ prefix: "sp_proc_bench_" });
  const entry = new URL("./proc_bench_guest.ts", import.meta.url).pathname;
  await Deno.writeTextFile(
    `${dir}/b.toml`,
    `[loader]\nentrypoint = "${entry}"\n[fs]\nroot = "/"\nmounts = [{ path = "/tmp", type = "tmpfs", size = "1M" }]\n[sys]\nisolation = "${isolation}"\nmax_processes = 8\nspawn_pool = ${pool}\nmax_memory = "2G"\nwall_time = "120s"\n`,
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
for (let i = 0; i < ROUNDS; i++) {
  runs.push(await guest(isolation, 2));
  cold.push(await guest(isolation, 0, ["spawn"]));
}
const ours = (k: string) => median(runs.map((r) => r[k]!));
const native = async (mode: string, n: number) => {
  const xs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) xs.push(await runNative("proc_ops.c", [mode, String(n)]));
  return median(xs) / 1000;
};
const pipeNative = median(
  await Promise.all([0, 1, 2].map(() => runNative("pipe_rtt.c", ["20000"]))),
) / 1000;
const forkExec = await native("fork_exec", 300);
printTable(`processes (${isolation} isolation), µs per op`, [
  {
    name: "spawn+exit (cold Worker) vs fork+exec",
    ours: median(cold.map((r) => r.spawn!)),
    baseline: forkExec,
    unit: "µs",
    goal: "-",
  },
  {
    name: "spawn+exit (warm, pooled Worker) vs fork+exec",
    ours: ours("spawn"),
    baseline: forkExec,
    unit: "µs",
    goal: "ratio <= 1",
  },
  {
    name: "fork-with-state+exec+exit vs fork+exec",
    ours: ours("exec"),
    baseline: forkExec,
    unit: "µs",
    goal: "-",
  },
  {
    name: "fork-with-state+exit vs fork+exit",
    ours: ours("fork"),
    baseline: await native("fork_exit", 300),
    unit: "µs",
    goal: "<= 2x spawn",
  },
  {
    name: "1-byte pipe round trip",
    ours: ours("pipe"),
    baseline: pipeNative,
    unit: "µs",
    goal: "ratio <= 0.1",
  },
  {
    name: "signal round trip",
    ours: ours("signal"),
    baseline: await native("signal_rtt", 2000),
    unit: "µs",
    goal: "ratio <= 0.1",
  },
  {
    name: "msgsnd/msgrcv round trip",
    ours: ours("msg"),
    baseline: await native("msg_rtt", 20000),
    unit: "µs",
    goal: "ratio <= 0.1",
  },
  {
    name: "semop ping-pong",
    ours: ours("sem"),
    baseline: await native("sem_pingpong", 20000),
    unit: "µs",
    goal: "ratio <= 0.1",
  },
]);
