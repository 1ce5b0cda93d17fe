/**
 * PAL call benches: a null guest→host call through the call page (exception-less) against a
 * postMessage round trip between the same two threads, measured in the same run; batched calls;
 * a 64 KiB echo through the bulk area. The host side is the real RingServer. Then the guest-side
 * PAL in a real sandbox: futex wake latency between two threads of a picoprocess (vs raw Atomics
 * on the same words) and VMA alloc/free through GuestPal (vs the unshared pal/vma.ts).
 * Run: deno run -A bench/pal_bench.ts. The same module is the guest Worker when spawned as one.
 */
import { PalClient } from "../pal/guest/client.ts";
import { RingServer } from "../pal/host/server.ts";
import { createDoorbell, createPage, DEFAULT_GEOMETRY } from "../pal/ring.ts";
import { measure, median, printTable } from "./_table.ts";
import { Sandbox } from "../sandbox/sandbox.ts";
import { AddressSpace, Prot, Quota } from "../pal/vma.ts";
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

// ---- guest-side PAL in a real picoprocess: futex wake between two threads, VMA alloc/free ----

/** The guest app (raw boot: `gpal` is its GuestPal); prints one JSON line of µs figures. */
const THREAD_BENCH_GUEST = `
const g = globalThis, pal = g.gpal, N = ${N / 4}, WARM = 500, M = 5000;
const mod = new URL("./thread_fns.ts", import.meta.url).href;
const p = pal.call("vma_alloc", 4096, -1, 3, 0), a = p, b = p + 4;
const { i32, index: ia } = pal.memory.word(a), ib = ia + 1;
function pingPong(fn, viaPal) {
  Atomics.store(i32, ia, 0); Atomics.store(i32, ib, 0);
  const tid = pal.call("thread_create", { module: mod, fn, arg: { a, b, n: WARM + N } });
  let t0 = 0;
  for (let i = 1; i <= WARM + N; i++) {
    if (i === WARM + 1) t0 = performance.now();
    Atomics.store(i32, ia, i);
    if (viaPal) pal.call("futex_wake", a, 1); else Atomics.notify(i32, ia, 1);
    while (Atomics.load(i32, ib) !== i) {
      if (viaPal) pal.call("futex_wait", b, i - 1, 1000); else Atomics.wait(i32, ib, i - 1, 1000);
    }
  }
  const us = ((performance.now() - t0) * 1000) / N / 2;
  pal.call("thread_join", tid, 10000);
  return us;
}
const raw = pingPong("pingPongRaw", false), viaPal = pingPong("pingPong", true);
const t0 = performance.now();
for (let i = 0; i < M; i++) pal.call("vma_free", pal.call("vma_alloc", 4096, -1, 3, 0), 4096);
const vma = ((performance.now() - t0) * 1000) / M;
g.say({ raw, viaPal, vma });
g.exit(0);
`;

/** Run THREAD_BENCH_GUEST in a sandbox (process isolation) once; its figures in µs. */
async function threadBenchOnce(): Promise<{ raw: number; viaPal: number; vma: number }> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "sandpiper-palbench-" }));
  try {
    await Deno.writeTextFile(`${dir}/guest.js`, THREAD_BENCH_GUEST);
    await Deno.copyFile(
      new URL("../tests/pal/fixtures/thread_fns.ts", import.meta.url),
      `${dir}/thread_fns.ts`,
    );
    await Deno.writeTextFile(`${dir}/bench.toml`, `[loader]\nentrypoint = "guest.js"\n`);
    const boot = new URL("../tests/sandbox/fixtures/raw_boot.ts", import.meta.url).href;
    await using sb = await Sandbox.create(`${dir}/bench.toml`, { bootUrl: boot });
    const out = await sb.run();
    const text = new TextDecoder().decode(out.stdout);
    if (out.code !== 0) throw new Error(`bench guest exited ${out.code}: ${text}`);
    return JSON.parse(text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Futex wake latency between two threads of a picoprocess; VMA alloc/free through GuestPal. */
async function guestPalBench(): Promise<void> {
  const runs = [];
  for (let r = 0; r < 3; r++) runs.push(await threadBenchOnce());
  // Baseline for VMAs in the same run: the unshared, unthreaded AddressSpace with a local quota.
  const as = AddressSpace.create({ maxBytes: 1 << 24, quota: Quota.create(1 << 24) });
  const local = measure(() => as.free(as.alloc(4096, { prot: Prot.READ | Prot.WRITE }), 4096), {
    iterations: 20000,
    warmup: 2000,
  });
  printTable("Guest PAL (µs; two threads of one picoprocess, process isolation)", [
    {
      name: "futex wake latency via GuestPal (one way)",
      ours: median(runs.map((x) => x.viaPal)),
      baseline: median(runs.map((x) => x.raw)),
      unit: "µs",
      goal: "baseline: raw Atomics.wait/notify on the same words",
    },
    {
      name: "vma_alloc + vma_free 4 KiB via GuestPal",
      ours: median(runs.map((x) => x.vma)),
      baseline: local,
      unit: "µs",
      goal: "baseline: pal/vma.ts AddressSpace, quota local (ours: shared table, quota on host)",
    },
  ]);
}

if (new URL(import.meta.url).hash === "#guest") guest();
else if (import.meta.main) {
  await main();
  await guestPalBench();
}
