/** The warm-spawn pool (sandbox/host/proc_pool.ts) with fake Workers, and warm spawns for real. */
import assert from "node:assert/strict";
import { EAGER, EXTRA_MAX, WorkerPool } from "../../sandbox/host/proc_pool.ts";
import { BOOTED } from "../../libos/init.ts";
import type { WorkerLike } from "../../sandbox/host/worker_factory.ts";
import { scenario } from "./_sb.ts";

type Fake = WorkerLike & { id: number; fail(): void; boot(): void };

function fake(log: string[], made: Fake[] = []): () => Fake {
  let n = 0;
  return () => {
    const id = ++n;
    log.push(`create ${id}`);
    const w: Fake = {
      id,
      postMessage() {},
      terminate() {
        log.push(`terminate ${id}`);
      },
      onerror: null,
      onmessage: null,
      onmessageerror: null,
      fail() {
        w.onerror?.({ message: "boom", preventDefault() {} });
      },
      boot() {
        w.onmessage?.({ data: BOOTED });
      },
    };
    made.push(w);
    return w;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Long enough for a fill of a few Workers (one per macrotask, timers clamp at 4 ms). */
const FILL = 40;
const QUIET = 150;

/** Poll until `cond` holds (at most 5 s). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await sleep(10);
}

Deno.test("the pool fills only after start, up to size and the room left under max_processes", async () => {
  const log: string[] = [];
  let room = 1;
  const pool = new WorkerPool(3, fake(log), () => room, QUIET);
  await sleep(FILL);
  assert.equal(pool.idle, 0, "nothing before the first spawn");
  assert.equal(pool.take(), null);
  pool.start();
  await until(() => pool.idle >= 1);
  await sleep(FILL);
  assert.equal(pool.idle, 1, "capped by the room left");
  room = 5;
  assert.ok(pool.take());
  await until(() => pool.idle === 3);
  assert.equal(pool.idle, 3, "an empty pool refills at once, to size");
  pool.close();
  assert.equal(pool.idle, 0);
  assert.equal(log.filter((l) => l.startsWith("terminate")).length, 3);
});

Deno.test("a Worker is ready only once boot says so; take prefers ready, then booting ones", async () => {
  const made: Fake[] = [];
  const pool = new WorkerPool(3, fake([], made), () => 10, QUIET);
  pool.start();
  await until(() => pool.idle === 3);
  assert.equal(pool.idle, 3);
  assert.equal(pool.ready, 0, "started is not booted");
  made[1]!.boot();
  made[1]!.onmessage?.({ data: "something else" });
  assert.equal(pool.ready, 1);
  const first = pool.take()!.worker as unknown as Fake;
  assert.equal(first.id, 2, "the booted one first");
  assert.equal(first.onmessage, null, "the pool lets go of a taken Worker");
  assert.equal((pool.take()!.worker as unknown as Fake).id, 1, "then the oldest booting one");
  pool.close();
});

Deno.test("beyond EAGER Workers, the pool refills only after QUIET_MS without takes", async () => {
  const quiet = 600; // long against the sleeps below, so a loaded machine cannot fake quiet
  const made: Fake[] = [];
  const pool = new WorkerPool(EAGER + 3, fake([], made), () => 100, quiet);
  pool.start();
  await until(() => pool.idle === EAGER + 3);
  assert.equal(pool.idle, EAGER + 3);
  for (const w of made) w.boot();
  await pool.whenFull();
  // A burst of takes that leaves EAGER idle: no refill during it.
  for (let i = 0; i < 3; i++) assert.ok(pool.take());
  await sleep(FILL);
  assert.equal(made.length, EAGER + 3, "no Worker started right after the burst");
  const t0 = performance.now();
  await until(() => pool.idle === EAGER + 3);
  assert.equal(pool.idle, EAGER + 3, "refilled once quiet");
  assert.ok(performance.now() - t0 >= quiet / 2, "not before the quiet time");
  // Taking below EAGER refills at once.
  while (pool.idle >= EAGER) pool.take();
  const before = made.length;
  await until(() => made.length > before);
  assert.ok(performance.now() - t0 < 5000);
  assert.ok(made.length > before, "below EAGER: refilled without waiting");
  let full = false;
  const p = pool.whenFull().then(() => (full = true));
  await sleep(FILL);
  assert.equal(full, false, "not full while Workers are still booting");
  await until(() => pool.idle === EAGER + 3);
  for (const w of made) w.boot();
  await p;
  assert.equal(pool.ready, pool.target);
  pool.close();
});

Deno.test("returning takes the pool cannot serve let it keep as many recycled Workers back, up to EXTRA_MAX more than its size", async () => {
  const made: Fake[] = [];
  const quiet = 600;
  let room = 100;
  const pool = new WorkerPool(2, fake([], made), () => room, quiet);
  pool.start();
  await until(() => pool.idle === 2);
  for (const w of made) w.boot();
  await pool.whenFull();
  // Two taken, then misses: built-ins at once (a pipeline); the callers start cold Workers.
  const out = [pool.take(true)!.worker, pool.take(true)!.worker];
  for (let i = 0; i < EXTRA_MAX + 2; i++) {
    assert.equal(pool.take(true), null);
    out.push(fake([], made)());
  }
  // All come back: the pool keeps its size plus one per miss, at most EXTRA_MAX more.
  const kept = out.map((w) => pool.back(w));
  assert.equal(kept.filter((k) => k).length, 2 + EXTRA_MAX);
  assert.equal(pool.idle, 2 + EXTRA_MAX);
  assert.equal(pool.ready, 2 + EXTRA_MAX, "recycled Workers are ready at once");
  // Never beyond the room left under max_processes.
  while (pool.take(true)) { /* take them all */ }
  room = 3;
  const back = [0, 1, 2, 3].map(() => pool.back(fake([], made)()));
  assert.deepEqual(back, [true, true, true, false]);
  pool.close();
});

Deno.test("a pooled Worker that fails to boot is dropped; size 0 never starts Workers", async () => {
  const log: string[] = [];
  const made: Fake[] = [];
  const pool = new WorkerPool(2, fake(log, made), () => 10, QUIET);
  pool.start();
  await until(() => pool.idle === 2);
  made[0]!.fail();
  assert.equal(pool.idle, 1);
  assert.ok(log.includes("terminate 1"));
  pool.close();
  const none = new WorkerPool(0, fake(log), () => 10);
  none.start();
  await sleep(FILL);
  assert.equal(none.idle, 0);
  assert.equal(none.take(), null);
  await none.whenFull();
});

Deno.test("[worker] many spawns through the warm pool keep working at sys.max_processes", async () => {
  const { report: r } = await scenario("worker", "fork-bomb", { maxProcesses: 6 });
  assert.deepEqual(r, { spawned: 5, err: "EAGAIN", after: 0 });
  const { report: s } = await scenario("worker", "spawn-wait");
  assert.equal(s.codeA, 0);
});
