/**
 * Plugin call benches, with their baselines measured in the same run:
 * - a small call (two numbers in, one out) through the fast page (worker isolation), through the
 *   port (worker isolation, fast path off) and over the pipe (process isolation), each against a
 *   raw postMessage round trip between two Workers;
 * - plugin load → first call, per isolation level, against a bare Worker's spawn → first message
 *   and a bare `deno run` child's spawn → first line.
 * Run: deno run --no-prompt -A bench/plugin_bench.ts. The same module is the Worker when spawned.
 */
import { Plugin } from "../mod.ts";
import { median, printTable } from "./_table.ts";

const ROUNDS = 5;
const N = 20000;
const WARMUP = 5000;
const LOADS = 5;
const WORKER_TAG = "#worker";
const CALC = new URL("../tests/plugin/fixtures/calc/calc.toml", import.meta.url).pathname;

/** Average µs per call of `N` sequential small calls, after `WARMUP` untimed ones. */
async function callUs(p: Plugin, n = N): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await p.call("add", i, 1);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await p.call("add", i, 1);
  return ((performance.now() - t0) * 1000) / n;
}

/** Raw postMessage round trip between two Workers (µs), as the plugin calls' baseline. */
async function rawPingPongUs(): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  const workers = ([0, 1] as const).map((role) => {
    const w = new Worker(import.meta.url + WORKER_TAG, { type: "module" });
    w.postMessage({ role, port: role === 0 ? port1 : port2 }, [role === 0 ? port1 : port2]);
    return w;
  });
  const us = await new Promise<number>((resolve, reject) => {
    workers[0]!.onmessage = (e) => resolve(e.data as number);
    workers[0]!.onerror = (e) => reject(new Error(e.message));
  });
  for (const w of workers) w.terminate();
  return us;
}

/** Worker side of the ping-pong: role 0 times `N` round trips of a small message. */
function pingPongWorker(): void {
  const scope = globalThis as unknown as {
    onmessage: (e: MessageEvent<{ role: 0 | 1; port: MessagePort }>) => void;
    postMessage: (v: unknown) => void;
  };
  scope.onmessage = (e) => {
    const { role, port } = e.data;
    if (role === 1) {
      port.onmessage = (m) => port.postMessage((m.data as [number, number])[0] + 1);
      return;
    }
    let i = 0, t0 = 0;
    port.onmessage = () => {
      if (++i === WARMUP) t0 = performance.now();
      if (i === WARMUP + N) return scope.postMessage(((performance.now() - t0) * 1000) / N);
      port.postMessage([i, 1]);
    };
    port.postMessage([0, 1]);
  };
}

/** ms from `Plugin.load` to the first call's result. */
async function loadToFirstCallMs(isolation: "worker" | "process"): Promise<number> {
  const t0 = performance.now();
  await using p = await Plugin.load(CALC, { isolation });
  await p.call("add", 1, 2);
  return performance.now() - t0;
}

/** ms from `new Worker` to its first message. */
async function bareWorkerMs(): Promise<number> {
  const t0 = performance.now();
  const w = new Worker("data:text/javascript,postMessage(1)", { type: "module" });
  await new Promise((r) => (w.onmessage = r));
  w.terminate();
  return performance.now() - t0;
}

/** ms from spawning `deno run` to its first line on stdout. */
async function bareDenoRunMs(): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "console.log(1)"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  const ms = performance.now() - t0;
  reader.releaseLock();
  await child.output();
  return ms;
}

async function main(): Promise<void> {
  const r = {
    fast: [] as number[],
    port: [] as number[],
    proc: [] as number[],
    raw: [] as number[],
    loadW: [] as number[],
    loadP: [] as number[],
    bareW: [] as number[],
    bareP: [] as number[],
  };
  {
    await using fast = await Plugin.load(CALC, { isolation: "worker" });
    await using port = await Plugin.load(CALC, { isolation: "worker", fastPath: false });
    await using proc = await Plugin.load(CALC, { isolation: "process" });
    for (let i = 0; i < ROUNDS; i++) {
      r.raw.push(await rawPingPongUs());
      r.fast.push(await callUs(fast));
      r.port.push(await callUs(port));
      r.proc.push(await callUs(proc, N / 20));
    }
  }
  for (let i = 0; i < LOADS; i++) {
    r.bareW.push(await bareWorkerMs());
    r.loadW.push(await loadToFirstCallMs("worker"));
    r.bareP.push(await bareDenoRunMs());
    r.loadP.push(await loadToFirstCallMs("process"));
  }
  const raw = median(r.raw);
  const cpus = navigator.hardwareConcurrency;
  printTable(`Plugin calls (${ROUNDS} rounds × ${N} calls, ${cpus} cpus)`, [
    {
      name: "small call, fast page (worker) vs raw postMessage RTT",
      ours: median(r.fast),
      baseline: raw,
      unit: "µs",
      goal: "ratio <= 0.05",
    },
    {
      name: "small call, port (worker, fast path off) vs raw postMessage RTT",
      ours: median(r.port),
      baseline: raw,
      unit: "µs",
    },
    {
      name: "small call, pipe (process) vs raw postMessage RTT",
      ours: median(r.proc),
      baseline: raw,
      unit: "µs",
    },
    {
      name: "load → first call (worker) vs bare Worker spawn → message",
      ours: median(r.loadW),
      baseline: median(r.bareW),
      unit: "ms",
    },
    {
      name: "load → first call (process) vs bare `deno eval` spawn → line",
      ours: median(r.loadP),
      baseline: median(r.bareP),
      unit: "ms",
    },
  ]);
}

if (import.meta.url.endsWith(WORKER_TAG)) pingPongWorker();
else if (import.meta.main) await main();
