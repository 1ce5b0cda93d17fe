// A guest posting to its own Worker parent reaches, in `worker` isolation, the embedding
// thread's WorkerBroker. Garbage and huge messages must not be forwarded to the sandbox host,
// and forged broker commands must not create, drive or terminate Workers.
import assert from "node:assert/strict";
import { THREAD_EXITED } from "../../pal/guest/local_threads.ts";
import { guestParentMessage, WorkerBroker } from "../../sandbox/host/worker_factory.ts";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { assertHostAlive, FIXTURES, makeWorld, neighbour, RAW_BOOT } from "./_world.ts";

const ATTACKER = new URL("parent_post.ts", `file://${FIXTURES}`).href;

Deno.test("hostile: the broker forwards only a hello and the exit mark of a guest Worker", async () => {
  const replies: { msg: { type: string; id: number; data?: unknown }; transfer: number }[] = [];
  let exited!: () => void;
  const done = new Promise<void>((r) => (exited = r));
  const broker = new WorkerBroker(new Set([ATTACKER]), { read: [FIXTURES] }, (msg, transfer) => {
    replies.push({ msg, transfer: transfer?.length ?? 0 });
    if (msg.type === "wf-message" && msg.data === THREAD_EXITED) exited();
  });
  try {
    assert.equal(
      broker.handle({ type: "wf-create", id: 7, url: ATTACKER, name: "attacker" }),
      true,
    );
    await done;
    await new Promise((r) => setTimeout(r, 100));
    // The stray hello's port is forwarded alone (no baggage); the exit mark; nothing else.
    assert.deepEqual(replies.map((r) => [r.msg.type, r.msg.id, r.transfer]), [
      ["wf-message", 7, 1],
      ["wf-message", 7, 0],
    ]);
    assert.deepEqual(Object.keys(replies[0]!.msg.data as object).sort(), ["port", "type"]);
    assert.ok(broker.dropped >= 4 + 1 + 1 + 1 + 1 + 128 + 1, `dropped ${broker.dropped}`);
  } finally {
    broker.terminateAll();
  }
});

Deno.test("hostile: guestParentMessage refuses look-alikes", () => {
  const ch = new MessageChannel();
  try {
    assert.equal(guestParentMessage({ type: "thread-hello", port: "x" }), null);
    assert.equal(guestParentMessage({ type: "wf-create", id: 1, url: RAW_BOOT }), null);
    assert.equal(guestParentMessage(new ArrayBuffer(8)), null);
    assert.equal(guestParentMessage(`${THREAD_EXITED} `), null);
    assert.deepEqual(guestParentMessage({ type: "thread-hello", port: ch.port1, x: 1 }), {
      data: { type: "thread-hello", port: ch.port1 },
      port: ch.port1,
    });
  } finally {
    ch.port1.close();
    ch.port2.close();
  }
});

Deno.test("hostile: garbage and forged broker commands posted to the parent hurt nobody (worker)", async () => {
  const w = await makeWorld();
  try {
    const m = await w.manifest("parent_post.ts", { isolation: "worker" });
    await using sb = await Sandbox.create(m, { bootUrl: RAW_BOOT });
    const victim = sb.run({ argv: ["parent_post.ts", "victim"] });
    const [attacker] = await Promise.all([
      sb.run({ argv: ["parent_post.ts", "attack", RAW_BOOT] }),
      neighbour(),
    ]);
    assert.equal(new TextDecoder().decode(attacker.stdout), '{"attacker":"posted"}\n');
    const v = await victim;
    assert.equal(v.code, 0, "the sibling's Worker was terminated or disturbed");
    assert.equal(new TextDecoder().decode(v.stdout), '{"victim":"done"}\n');
    await assertHostAlive(sb);
  } finally {
    await w.dispose();
  }
});
