/**
 * Pipe benches: 1-byte round trip between two Workers over two PipeRings, and bandwidth with
 * 64 KiB writes, each against native C pipes between two processes (bench/c/).
 * Run: deno run -A bench/pipe_bench.ts. The same module is the Worker when spawned as one.
 */
import { PipeRing } from "../pal/pipe_ring.ts";
import { median, printTable } from "./_table.ts";
import { runNative } from "./c/build.ts";

const ROUNDS = 5;
const RTT_ITERATIONS = 20000;
const RTT_WARMUP = 2000;
const CHUNK_BYTES = 65536;
const BW_TOTAL_BYTES = 256 << 20;
const RING_BYTES = 1 << 20;

type Job =
  | { role: "ping" | "pong"; a: SharedArrayBuffer; b: SharedArrayBuffer; n: number }
  | { role: "send" | "recv"; a: SharedArrayBuffer; total: number };

/** Worker side: run one job, reply with elapsed milliseconds. */
function work(j: Job): number {
  let t0 = performance.now();
  if (j.role === "ping" || j.role === "pong") {
    const out = PipeRing.attach(j.role === "ping" ? j.a : j.b).adoptWriter();
    const inp = PipeRing.attach(j.role === "ping" ? j.b : j.a).adoptReader();
    const byte = new Uint8Array(1);
    // The first RTT_WARMUP round trips also wait for the peer Worker to start: untimed.
    for (let i = 0; i < RTT_WARMUP + j.n; i++) {
      if (i === RTT_WARMUP) t0 = performance.now();
      if (j.role === "ping") {
        out.write(byte);
        inp.read(byte);
      } else {
        inp.read(byte);
        out.write(byte);
      }
    }
  } else if (j.role === "send") {
    const w = PipeRing.attach(j.a).adoptWriter();
    const chunk = new Uint8Array(CHUNK_BYTES);
    for (let sent = 0; sent < j.total;) sent += w.write(chunk);
    w.close();
  } else if (j.role === "recv") {
    const r = PipeRing.attach(j.a).adoptReader();
    const buf = new Uint8Array(CHUNK_BYTES);
    let got = 0;
    for (let n; (n = r.read(buf)) > 0;) got += n;
    if (got !== j.total) throw new Error(`received ${got} of ${j.total}`);
  }
  return performance.now() - t0;
}

function runPair(jobs: [Job, Job]): Promise<number[]> {
  return Promise.all(jobs.map((job) =>
    new Promise<number>((resolve, reject) => {
      const w = new Worker(import.meta.url + WORKER_TAG, { type: "module" });
      w.onmessage = (e) => {
        w.terminate();
        resolve(e.data as number);
      };
      w.onerror = (e) => reject(new Error(e.message));
      w.postMessage(job);
    })
  ));
}

function ring(): PipeRing {
  const r = PipeRing.create(RING_BYTES);
  r.openReader();
  r.openWriter();
  return r;
}

async function rttUs(): Promise<number> {
  const a = ring(), b = ring();
  const n = RTT_ITERATIONS;
  const [ms] = await runPair([
    { role: "ping", a: a.sab, b: b.sab, n },
    { role: "pong", a: a.sab, b: b.sab, n },
  ]);
  return (ms! * 1000) / n;
}

async function bandwidthGBs(): Promise<number> {
  const a = ring();
  const total = BW_TOTAL_BYTES;
  const [, ms] = await runPair([{ role: "send", a: a.sab, total }, {
    role: "recv",
    a: a.sab,
    total,
  }]);
  return total / (ms! / 1000) / 1e9;
}

async function main(): Promise<void> {
  const ours = { rtt: [] as number[], bw: [] as number[] };
  const base = { rtt: [] as number[], bw: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    ours.rtt.push(await rttUs());
    ours.bw.push(await bandwidthGBs());
    base.rtt.push((await runNative("pipe_rtt.c", [String(RTT_ITERATIONS)])) / 1000);
    base.bw.push((await runNative("pipe_bw.c", [String(BW_TOTAL_BYTES)])) / 1e9);
  }
  printTable(`PipeRing vs native pipes (${ROUNDS} rounds, ${navigator.hardwareConcurrency} cpus)`, [
    {
      name: "1-byte round trip, 2 Workers",
      ours: median(ours.rtt),
      baseline: median(base.rtt),
      unit: "µs",
      goal: "ratio <= 0.1",
    },
    {
      name: "bandwidth, 64 KiB writes",
      ours: median(ours.bw),
      baseline: median(base.bw),
      unit: "GB/s",
      goal: "ratio >= 2",
    },
  ]);
}

const WORKER_TAG = "#worker";
if (import.meta.url.endsWith(WORKER_TAG)) {
  const scope = globalThis as unknown as {
    onmessage: (e: MessageEvent<Job>) => void;
    postMessage: (v: unknown) => void;
  };
  scope.onmessage = (e) => scope.postMessage(work(e.data));
} else if (import.meta.main) {
  await main();
}
