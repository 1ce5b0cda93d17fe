/** The warm-spawn pool (sandbox/host/proc_pool.ts) with fake Workers, and warm spawns for real. */
import assert from "node:assert/strict";
import { WorkerPool } from "../../sandbox/host/proc_pool.ts";
import type { WorkerLike } from "../../sandbox/host/worker_factory.ts";
import { scenario } from "./_sb.ts";

function fake(log: string[]): () => WorkerLike & { fail(): void } {
  let n = 0;
  return () => {
    const id = ++n;
    log.push(`create ${id}`);
    const w = {
      postMessage() {},
      terminate() {
        log.push(`terminate ${id}`);
      },
      onerror: null as WorkerLike["onerror"],
      onmessage: null,
      onmessageerror: null,
      fail() {
        w.onerror?.({ message: "boom", preventDefault() {} });
      },
    };
    return w;
  };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

Deno.test("the pool fills only after start, up to size and the room left under max_processes", async () => {
  const log: string[] = [];
  let room = 1;
  const pool = new WorkerPool(3, fake(log), () => room);
  await tick();
  assert.equal(pool.idle, 0, "nothing before the first spawn");
  assert.equal(pool.take(), null);
  pool.start();
  await tick();
  assert.equal(pool.idle, 1, "capped by the room left");
  room = 5;
  const w = pool.take();
  assert.ok(w);
  await tick();
  assert.equal(pool.idle, 3, "refilled to size after a take");
  pool.close();
  assert.equal(pool.idle, 0);
  assert.deepEqual(log.filter((l) => l.startsWith("terminate")).length, 3);
});

Deno.test("a pooled Worker that fails to boot is dropped; size 0 never starts Workers", async () => {
  const log: string[] = [];
  const make = fake(log);
  const made: ReturnType<typeof make>[] = [];
  const pool = new WorkerPool(2, () => {
    const w = make();
    made.push(w);
    return w;
  }, () => 10);
  pool.start();
  await tick();
  made[0]!.fail();
  assert.equal(pool.idle, 1);
  assert.ok(log.includes("terminate 1"));
  pool.close();
  const none = new WorkerPool(0, fake(log), () => 10);
  none.start();
  await tick();
  assert.equal(none.idle, 0);
});

Deno.test("[worker] many spawns through the warm pool keep working at sys.max_processes", async () => {
  const { report: r } = await scenario("worker", "fork-bomb", { maxProcesses: 6 });
  assert.deepEqual(r, { spawned: 5, err: "EAGAIN", after: 0 });
  const { report: s } = await scenario("worker", "spawn-wait");
  assert.equal(s.codeA, 0);
});
