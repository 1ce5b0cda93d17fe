/**
 * PAL call benches: a null guest→host call through the call page (exception-less) against a
 * postMessage round trip between the same two threads, measured in the same run; batched calls;
 * a 64 KiB echo through the bulk area. The host side is the real RingServer.
 * Run: deno run -A bench/pal_bench.ts. The same module is the guest Worker when spawned as one.
 */
import { PalClient } from "../pal/guest/client.ts";
import { RingServer } from "../pal/host/server.ts";
import { createDoorbell, createPage, DEFAULT_GEOMETRY } from "../pal/ring.ts";
import { median, printTable } from "./_table.ts";
import { workerScope } from "../pal/worker_scope.ts";

const ROUNDS = 7;
const N = 20000;
const PM_N = 2000;

type Job =
  | { op: "init"; page: SharedArrayBuffer; doorbell: SharedArrayBuffer; port: MessagePort }
  | { op: "null" | "batch16" | "seq16" | "echo64k"; n: number }
  | { op: "ping" };

function guest(): void {
  let pal: PalClient;
  workerScope.onmessage = (e: MessageEvent<Job>) => {
    const j = e.data;
    if (j.op === "init") {
      pal = new PalClient({ page: j.page, doorbell: j.doorbell, syncPort: j.port });
      workerScope.postMessage(0);
      return;
    }
    if (j.op === "ping") {
      workerScope.postMessage(0);
      return;
    }
    const batch = Array.from({ length: 16 }, () => ["null_call"] as ["null_call"]);
    const big = new Uint8Array(65536);
    const t0 = performance.now();
    for (let i = 0; i < j.n; i++) {
      if (j.op === "null") pal.call("null_call");
      else if (j.op === "batch16") pal.batch(batch);
      else if (j.op === "seq16") { for (let k = 0; k < 16; k++) pal.call("null_call"); }
      else pal.call("echo_bytes", big, big.length);
    }
    workerScope.postMessage(((performance.now() - t0) * 1000) / j.n);
  };
}

async function main(): Promise<void> {
  const doorbell = createDoorbell();
  const page = createPage(DEFAULT_GEOMETRY);
  const ch = new MessageChannel();
  const server = new RingServer(doorbell, {
    null_call: () => 0,
    echo_bytes: (_c, data, out) => {
      out.set(data.subarray(0, out.length));
      return Math.min(data.length, out.length);
    },
  });
  server.attach(page, DEFAULT_GEOMETRY, {}, ch.port1);
  const w = new Worker(new URL("#guest", import.meta.url), { type: "module" });
  const ask = (j: Job, t: Transferable[] = []) =>
    new Promise<number>((r) => {
      w.onmessage = (e) => r(e.data);
      w.postMessage(j, t);
    });
  await ask({ op: "init", page, doorbell, port: ch.port2 }, [ch.port2]);
  server.start();
  const ring: Record<string, number[]> = { null: [], batch16: [], seq16: [], echo64k: [] };
  for (let r = 0; r < ROUNDS; r++) {
    ring.null!.push(await ask({ op: "null", n: N }));
    ring.batch16!.push(await ask({ op: "batch16", n: N / 16 }));
    ring.seq16!.push(await ask({ op: "seq16", n: N / 16 }));
    ring.echo64k!.push(await ask({ op: "echo64k", n: 2000 }));
  }
  await server.stop();
  // Baseline in the same run: a postMessage round trip between the same two threads.
  const pm: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < 200; i++) await ask({ op: "ping" });
    const t0 = performance.now();
    for (let i = 0; i < PM_N; i++) await ask({ op: "ping" });
    pm.push(((performance.now() - t0) * 1000) / PM_N);
  }
  w.terminate();
  ch.port1.close();
  const pmRtt = median(pm);
  printTable("PAL calls (µs per call; baseline: postMessage round trip between the same threads)", [
    {
      name: "null call via call page",
      ours: median(ring.null!),
      baseline: pmRtt,
      unit: "µs",
      goal: "≥ 50× faster (ratio ≤ 0.02)",
    },
    {
      name: "16 null calls batched",
      ours: median(ring.batch16!),
      baseline: median(ring.seq16!),
      unit: "µs",
      goal: "baseline: 16 sequential calls",
    },
    { name: "64 KiB echo via bulk area", ours: median(ring.echo64k!), baseline: pmRtt, unit: "µs" },
  ]);
}

if (new URL(import.meta.url).hash === "#guest") guest();
else if (import.meta.main) await main();
