/**
 * System V queues and sets in shared memory against dying and hostile processes, in real
 * sandboxes: a process killed holding the lock mid-send or mid-semop (the host frees the lock
 * and repairs the object: the half-written message is dropped, its chunks freed; the committed
 * semop is finished and its SEM_UNDO applied), killed while blocked (a message or a post is
 * never taken by the dead process), killed holding SEM_UNDO semaphores, receivers killed at
 * random (no acknowledged message lost or duplicated), and a process writing garbage over the
 * buffers (the host answers sane IPC_STAT and /proc/sysvipc, frees a lock held by a pid that is
 * not alive, and a neighbour sandbox is unaffected).
 */
import assert from "node:assert/strict";
import { LEVELS, scenario } from "./_sb.ts";

const run = (iso: "worker" | "process", name: string) =>
  scenario(iso, name, { fixture: "sysv_hostile" });

Deno.test("[worker] a sender killed holding the lock mid-send: lock freed, half message dropped, acked one kept", async () => {
  const { report: r } = await run("worker", "kill-mid-send");
  assert.deepEqual(r, { kept: "acked", half: "ENOMSG", after: [0, 0], room: ["ok", "ok"] });
});

Deno.test("[worker] a semop killed after its journal commit is finished by the host, then undone", async () => {
  const { report: r } = await run("worker", "kill-mid-semop");
  assert.deepEqual(r, { vals: [7, 5], then: [0, 6] });
});

Deno.test("[worker] SEM_UNDO of a process killed holding the set's lock shows before its parent reaps it", async () => {
  const { report: r } = await run("worker", "kill-locked-undo");
  assert.deepEqual(r, { held: 0, code: 9, after: 1, waitedPastGrace: true });
});

for (const iso of LEVELS) {
  Deno.test(`[${iso}] a process killed while blocked never takes a message or a post`, async () => {
    const { report: r } = await run(iso, "kill-blocked");
    assert.deepEqual(r, {
      got: ["m0", "1", "0", "m1", "1", "0", "m2", "1", "0"],
      codes: [9, 9, 9, 9, 9, 9],
    });
  });

  Deno.test(`[${iso}] processes killed holding SEM_UNDO semaphores are undone; a killed waiter leaves GETNCNT`, async () => {
    const { report: r } = await run(iso, "kill-undo");
    assert.deepEqual(r, { held: [0, 0, 0], ncnt: 1, ncntAfter: 0, after: [1, 1, 1] });
  });

  Deno.test(`[${iso}] receivers killed at random: no acknowledged message lost or duplicated`, async () => {
    const { report: r } = await run(iso, "kill-random");
    assert.equal(r.kills, 10);
    assert.equal(r.dup, false);
    assert.equal(r.left, true);
    assert.equal(r.acked, true);
    // Only a message a receiver took and had not acknowledged when it was killed may be gone.
    assert.ok((r.lost as number) <= (r.kills as number) + 3, `lost ${r.lost}`);
  });
}

Deno.test("[worker] garbage written over a queue and a set: host stays sane, objects recover, a neighbour sandbox works", async () => {
  const [vandal, neighbour] = await Promise.all([
    run("worker", "vandal"),
    scenario("process", "msg-semantics", { fixture: "sysv_fast" }),
  ]);
  const lines = vandal.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) =>
    JSON.parse(l)
  );
  assert.equal(lines.length, 2);
  const [v, r] = lines;
  assert.ok(v.rounds > 10, `rounds ${v.rounds}`);
  assert.deepEqual({ ...v, rounds: 0 }, { rounds: 0, stats: true, semRows: true, semStat: 3 });
  assert.deepEqual(r, {
    vandalCode: 0,
    msg: "after",
    vals: [0, 0, 2],
    recoveredMs: true,
    sane: true,
  });
  assert.equal(neighbour.report.order?.toString(), "3:c,1:a1,1:a2,2:b");
  assert.equal(neighbour.report.got?.toString(), "true,true,true,true,true");
  assert.equal(neighbour.report.removed, 43);
});
