import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { PalCode, PalError } from "../../pal/errors.ts";
import { EventGroup, waitAny } from "../../pal/event.ts";
import { futexWait, futexWake, Liveness, RobustMutex, Semaphore } from "../../pal/futex.ts";
import { spawn } from "./fixtures/spawn.ts";

type Reply = { r?: unknown; code?: number; other?: string };

function throwsPal(fn: () => unknown, code: number): void {
  throws(fn, (e: unknown) => e instanceof PalError && e.code === code);
}

Deno.test("futexWait sleeps until futexWake from another thread", async () => {
  const sab = new SharedArrayBuffer(8);
  const w = await spawn("sync_worker.ts");
  try {
    const res = w.call<Reply>({ cmd: "futexWait", sab, index: 1, expected: 0 });
    strictEqual(await w.settleWithin(res, 50), "pending");
    const i32 = new Int32Array(sab);
    Atomics.store(i32, 1, 1);
    strictEqual(futexWake(i32, 1, 1), 1);
    strictEqual((await res).r, "ok");
  } finally {
    w.terminate();
  }
});

Deno.test("futexWait returns not-equal at once and timed-out after its timeout", () => {
  const i32 = new Int32Array(new SharedArrayBuffer(4));
  strictEqual(futexWait(i32, 0, 7), "not-equal");
  const t0 = performance.now();
  strictEqual(futexWait(i32, 0, 0, 20), "timed-out");
  ok(performance.now() - t0 >= 19);
  throwsPal(() => futexWait(i32, 1, 0), PalCode.INVAL);
  throwsPal(() => futexWait(new Int32Array(1), 0, 0), PalCode.INVAL);
  throwsPal(() => futexWait(i32, 0, 0, -1), PalCode.INVAL);
});

Deno.test("a robust mutex passes to the next locker with owner-dead when its owner dies", async (t) => {
  await t.step("found through the liveness table", async () => {
    const sab = new SharedArrayBuffer(4);
    const live = Liveness.create(16);
    live.markAlive(3);
    live.markAlive(4);
    const owner = await spawn("sync_worker.ts"), next = await spawn("sync_worker.ts");
    try {
      deepStrictEqual(
        await owner.call({ cmd: "lock", sab, live: live.sab, id: 3, unlock: false }),
        {
          r: "ok",
        },
      );
      owner.terminate();
      const res = next.call<Reply>({ cmd: "lock", sab, live: live.sab, id: 4, unlock: true });
      strictEqual(await next.settleWithin(res, 60), "pending");
      live.markDead(3);
      strictEqual((await res).r, "owner-dead");
      const mu = new RobustMutex(new Int32Array(sab), 0, live);
      strictEqual(mu.owner, 0);
    } finally {
      next.terminate();
    }
  });
  await t.step("through recover(deadId) without a liveness table", async () => {
    const sab = new SharedArrayBuffer(4);
    const mu = new RobustMutex(new Int32Array(sab), 0, null);
    strictEqual(mu.lock(9), "ok");
    strictEqual(mu.tryLock(10), "busy");
    throwsPal(() => mu.unlock(10), PalCode.DENIED);
    const next = await spawn("sync_worker.ts");
    try {
      const res = next.call<Reply>({ cmd: "lock", sab, id: 10, unlock: true });
      strictEqual(await next.settleWithin(res, 60), "pending");
      strictEqual(mu.recover(8), false);
      strictEqual(mu.recover(9), true);
      strictEqual((await res).r, "owner-dead");
      strictEqual(mu.lock(9), "ok");
      mu.unlock(9);
    } finally {
      next.terminate();
    }
  });
});

Deno.test("a robust mutex excludes: lock by another owner times out while held", () => {
  const mu = new RobustMutex(new Int32Array(new SharedArrayBuffer(4)), 0, null);
  strictEqual(mu.lock(1), "ok");
  throwsPal(() => mu.lock(2, 10), PalCode.TIMED_OUT);
  throwsPal(() => mu.lock(1, 10), PalCode.BUSY);
  mu.unlock(1);
  strictEqual(mu.tryLock(2), "ok");
});

Deno.test("a semaphore counts posts and wakes a waiting Worker", async () => {
  const sab = new SharedArrayBuffer(8);
  const sem = new Semaphore(new Int32Array(sab), 0);
  sem.post(2);
  ok(sem.wait(0) && sem.tryWait());
  strictEqual(sem.wait(5), false);
  const w = await spawn("sync_worker.ts");
  try {
    const res = w.call<Reply>({ cmd: "semWait", sab, timeoutMs: 5000 });
    strictEqual(await w.settleWithin(res, 50), "pending");
    sem.post();
    strictEqual((await res).r, true);
    strictEqual(sem.value, 0);
  } finally {
    w.terminate();
  }
});

Deno.test("waitAny wakes a Worker on whichever event of a group is set", async () => {
  const g = EventGroup.create(4);
  const auto = g.createEvent("auto"), manual = g.createEvent("manual");
  const w = await spawn("sync_worker.ts");
  try {
    const ids = [auto.id, manual.id];
    const res = w.call<Reply>({ cmd: "waitAny", sab: g.sab, ids, timeoutMs: 5000 });
    strictEqual(await w.settleWithin(res, 50), "pending");
    manual.set();
    strictEqual((await res).r, 1);
    ok(manual.isSet, "a manual-reset event stays set");
    manual.clear();
    auto.set();
    strictEqual((await w.call<Reply>({ cmd: "waitAny", sab: g.sab, ids, timeoutMs: 50 })).r, 0);
    ok(!auto.isSet, "an auto-reset event is consumed by its waiter");
    strictEqual((await w.call<Reply>({ cmd: "waitAny", sab: g.sab, ids, timeoutMs: 20 })).r, -1);
  } finally {
    w.terminate();
  }
});

Deno.test("events: wait/timeout, and waitAny rejects mixed groups", () => {
  const g = EventGroup.create(1);
  const e = g.createEvent("auto", true);
  ok(e.wait(0));
  strictEqual(e.wait(5), false);
  throwsPal(() => g.createEvent("manual"), PalCode.NO_SPACE);
  const other = EventGroup.create(1).createEvent("manual");
  throwsPal(() => waitAny([e, other], 0), PalCode.INVAL);
  throwsPal(() => waitAny([], 0), PalCode.INVAL);
  throwsPal(() => EventGroup.attach(new SharedArrayBuffer(64)), PalCode.BAD_MESSAGE);
  throwsPal(() => g.event(5), PalCode.INVAL);
});
