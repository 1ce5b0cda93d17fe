/**
 * Sync and memory benches: futex wake round trip between two Workers (pure sleep/wake, and
 * the PAL semaphore that spins first) vs a postMessage round trip between the same Workers;
 * VMA alloc + touch + free vs native mmap + touch + munmap (bench/c/mmap_cycle.c).
 * Run: deno run -A bench/futex_bench.ts. The same module is the Worker when spawned as one.
 */
import { futexWait, futexWake, Semaphore } from "../pal/futex.ts";
import { AddressSpace, Prot } from "../pal/vma.ts";
import { measure, median, printTable } from "./_table.ts";
import { runNative } from "./c/build.ts";

const ROUNDS = 5;
const N = 5000;
const WARMUP = 500;
const WORKER_TAG = "#worker";

type Kind = "futex" | "sem" | "message";
type Job = { kind: Kind; role: 0 | 1; sab: SharedArrayBuffer; port: MessagePort };

/** One side of a ping-pong; role 0 times `N` round trips after `WARMUP` untimed ones. */
async function work(j: Job): Promise<number> {
  const i32 = new Int32Array(j.sab);
  const sems = [new Semaphore(i32, 0), new Semaphore(i32, 2)] as const;
  const mine = j.role, theirs = 1 - j.role;
  let t0 = 0;
  for (let i = 0; i < WARMUP + N; i++) {
    if (i === WARMUP) t0 = performance.now();
    const step = i + 1;
    if (j.kind === "futex") {
      // word 4+mine: my turn counter. Role 0 starts each round; role 1 answers.
      if (mine === 1) { while (Atomics.load(i32, 4 + 1) !== step) futexWait(i32, 5, step - 1); }
      Atomics.store(i32, 4 + theirs, step);
      futexWake(i32, 4 + theirs, 1);
      if (mine === 0) { while (Atomics.load(i32, 4) !== step) futexWait(i32, 4, step - 1); }
    } else if (j.kind === "sem") {
      if (mine === 1) sems[1].wait();
      (theirs === 0 ? sems[0] : sems[1]).post();
      if (mine === 0) sems[0].wait();
    } else {
      if (mine === 1) await next(j.port);
      j.port.postMessage(step);
      if (mine === 0) await next(j.port);
    }
  }
  return ((performance.now() - t0) * 1000) / N;
}

function next(port: MessagePort): Promise<unknown> {
  return new Promise((resolve) => port.onmessage = (e) => resolve(e.data));
}

async function pingPong(kind: Kind): Promise<number> {
  const sab = new SharedArrayBuffer(64);
  const { port1, port2 } = new MessageChannel();
  const [us] = await Promise.all(
    ([0, 1] as const).map((role) =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(import.meta.url + WORKER_TAG, { type: "module" });
        w.onmessage = (e) => {
          w.terminate();
          resolve(e.data as number);
        };
        w.onerror = (e) => reject(new Error(e.message));
        const port = role === 0 ? port1 : port2;
        w.postMessage({ kind, role, sab, port }, [port]);
      })
    ),
  );
  return us!;
}

function vmaCycleUs(): number {
  const as = AddressSpace.create({ maxBytes: 1 << 24, quota: null });
  const one = new Uint8Array([1]);
  return measure(() => {
    const p = as.alloc(4096, { prot: Prot.READ | Prot.WRITE });
    as.write(p, one);
    as.free(p, 4096);
  }, { iterations: 100000, warmup: 10000 });
}

async function main(): Promise<void> {
  const r = { futex: [] as number[], sem: [] as number[], msg: [] as number[] };
  const vma = { ours: [] as number[], native: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    r.futex.push(await pingPong("futex"));
    r.sem.push(await pingPong("sem"));
    r.msg.push(await pingPong("message"));
    vma.ours.push(vmaCycleUs());
    vma.native.push((await runNative("mmap_cycle.c", ["100000"])) / 1000);
  }
  const msg = median(r.msg);
  printTable(`Futex wake and VMA ops (${ROUNDS} rounds, ${navigator.hardwareConcurrency} cpus)`, [
    {
      name: "futex wait/wake round trip (sleeping) vs postMessage",
      ours: median(r.futex),
      baseline: msg,
      unit: "µs",
      goal: "ratio < 1",
    },
    {
      name: "semaphore round trip (spin, then sleep) vs postMessage",
      ours: median(r.sem),
      baseline: msg,
      unit: "µs",
      goal: "ratio < 1",
    },
    {
      name: "VMA alloc+write+free 4 KiB vs native mmap+touch+munmap",
      ours: median(vma.ours),
      baseline: median(vma.native),
      unit: "µs",
    },
  ]);
}

if (import.meta.url.endsWith(WORKER_TAG)) {
  const scope = globalThis as unknown as {
    onmessage: (e: MessageEvent<Job>) => void;
    postMessage: (v: unknown) => void;
  };
  scope.onmessage = async (e) => scope.postMessage(await work(e.data));
} else if (import.meta.main) {
  await main();
}
