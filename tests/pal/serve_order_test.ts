// The call server serves a page's submitted calls in the order the guest made them (by the
// slot's call sequence number), not by slot index: a thread's read-ahead posts its windows in
// the order it will read them, and takes a free slot wherever one is. A guest that writes
// garbage sequence numbers only reorders its own calls.
import assert from "node:assert/strict";
import { PalClient } from "../../pal/guest/client.ts";
import { RingServer } from "../../pal/host/server.ts";
import {
  createDoorbell,
  createPage,
  DEFAULT_GEOMETRY,
  slotOffset,
  SlotState,
  SlotWord,
} from "../../pal/ring.ts";

function world() {
  const doorbell = createDoorbell();
  const page = createPage(DEFAULT_GEOMETRY);
  const ch = new MessageChannel();
  const served: number[] = [];
  const server = new RingServer(doorbell, {
    echo_bytes: (_c, data, out) => {
      served.push(data[0]!);
      if (data[0] === 0xee) throw new Error("refused");
      out.set(data.subarray(0, out.length));
      return Math.min(data.length, out.length);
    },
  });
  server.attach(page, DEFAULT_GEOMETRY, {}, ch.port1);
  const client = new PalClient({ page, doorbell, syncPort: ch.port2 });
  const close = () => {
    ch.port1.close();
    ch.port2.close();
  };
  return { page, doorbell, server, client, served, close };
}

Deno.test("posted calls are served in the order they were made, whatever their slots", () => {
  const { server, client, served, close } = world();
  try {
    // Free slots are handed out last-freed first, so later calls get lower slots.
    const slots = [1, 2, 3, 4, 5].map((v) => client.post("echo_bytes", new Uint8Array([v]), 1));
    assert.ok(slots.every((s) => s > 0));
    assert.ok(slots[0]! > slots[4]!, `slots ${slots} were meant to descend`);
    assert.equal(server.serveAvailable(), 5);
    assert.deepEqual(served, [1, 2, 3, 4, 5]);
    // Settle two, then post into the freed slots: still served oldest first.
    for (const s of slots.slice(0, 2)) client.settle(s, "echo_bytes");
    const more = [6, 7].map((v) => client.post("echo_bytes", new Uint8Array([v]), 1));
    served.length = 0;
    server.serveAvailable();
    assert.deepEqual(served, [6, 7]);
    for (const s of [...slots.slice(2), ...more]) client.settle(s, "echo_bytes");
  } finally {
    close();
  }
});

Deno.test("garbage call sequence numbers only reorder that guest's own calls", () => {
  const { page, server, client, served, close } = world();
  try {
    const slots = [1, 2, 3].map((v) => client.post("echo_bytes", new Uint8Array([v]), 1));
    // An attacker rewrites the sequence words of its own submitted slots.
    const seqs = [0x7fffffff, -0x80000000, 0];
    slots.forEach((s, i) => {
      new Int32Array(page, slotOffset(DEFAULT_GEOMETRY, s), 8)[SlotWord.SEQ] = seqs[i]!;
    });
    // Every call is still served exactly once, and the server keeps serving.
    assert.equal(server.serveAvailable(), 3);
    assert.deepEqual([...served].sort(), [1, 2, 3]);
    assert.equal(server.serveAvailable(), 0);
    assert.equal(server.stats.malformed, 0);
  } finally {
    close();
  }
});

Deno.test("a guest resubmitting as fast as it is served cannot hold the server", () => {
  const { page, server, client, close } = world();
  try {
    const slot = client.post("echo_bytes", new Uint8Array([1]), 1);
    const other = slot === 1 ? 2 : 1;
    const words = (s: number) => new Int32Array(page, slotOffset(DEFAULT_GEOMETRY, s), 8);
    // Every time a call is served, "another thread" of the guest submits a slot again.
    let n = 0;
    const flip = () => {
      words(n++ % 2 ? slot : other)[SlotWord.STATE] = SlotState.SUBMITTED;
    };
    server.onCall = flip;
    const count = server.serveAvailable();
    assert.ok(count <= DEFAULT_GEOMETRY.slots, `one sweep served ${count} calls`);
  } finally {
    close();
  }
});

Deno.test("a detached call waits, unrung, for the thread's next call and runs before it", () => {
  const { doorbell, server, client, served, close } = world();
  try {
    const bell = new Int32Array(doorbell, 0, 1);
    const rung = Atomics.load(bell, 0);
    assert.equal(client.detach("echo_bytes", new Uint8Array([9]), 1), true);
    assert.equal(Atomics.load(bell, 0), rung, "a detached call does not ring the doorbell");
    // A detached call that fails: its error goes nowhere.
    assert.equal(client.detach("echo_bytes", new Uint8Array([0xee]), 1), true);
    // At most two wait unreaped: a third is refused (the caller makes the call itself).
    assert.equal(client.detach("echo_bytes", new Uint8Array([7]), 1), false);
    const next = client.post("echo_bytes", new Uint8Array([10]), 1);
    assert.equal(server.serveAvailable(), 3);
    assert.deepEqual(served, [9, 0xee, 10], "served in the order they were made");
    assert.deepEqual([...client.settle(next, "echo_bytes") as Uint8Array], [10]);
    // Their slots come back: every asynchronous slot can be posted to again.
    const slots: number[] = [];
    for (let i = 1; i < DEFAULT_GEOMETRY.slots; i++) {
      slots.push(client.post("echo_bytes", new Uint8Array([i]), 1));
    }
    assert.ok(slots.every((s) => s > 0), `slots ${slots}`);
    server.serveAvailable();
    for (const s of slots) client.settle(s, "echo_bytes");
  } finally {
    close();
  }
});

Deno.test("an asynchronous call finding every slot held by detached calls has them run", async () => {
  const { server, client, close } = world();
  try {
    // Hold every asynchronous slot but the ones two detached calls take.
    const held: number[] = [];
    for (let i = 1; i < DEFAULT_GEOMETRY.slots - 2; i++) {
      held.push(client.post("echo_bytes", new Uint8Array([i]), 1));
    }
    assert.equal(client.detach("echo_bytes", new Uint8Array([1]), 1), true);
    assert.equal(client.detach("echo_bytes", new Uint8Array([2]), 1), true);
    assert.equal(client.post("echo_bytes", new Uint8Array([3]), 1), -1, "no free slot");
    // The host thread of a real sandbox serves on its own; here a timer stands in for it.
    const t = setInterval(() => server.serveAvailable(), 1);
    try {
      const got = await client.callAsync("echo_bytes", new Uint8Array([5]), 1);
      assert.deepEqual([...got as Uint8Array], [5]);
    } finally {
      clearInterval(t);
    }
    server.serveAvailable();
    for (const s of held) client.settle(s, "echo_bytes");
  } finally {
    close();
  }
});

Deno.test("a batch never takes a slot a posted or detached call holds", async () => {
  const { doorbell, server, served, close } = world();
  const worker = new Worker(new URL("./fixtures/batch_guest.ts", import.meta.url), {
    type: "module",
  });
  // The world's client is not used: the guest is the Worker, over a page of its own.
  const page2 = createPage(DEFAULT_GEOMETRY);
  const ch = new MessageChannel();
  server.attach(page2, DEFAULT_GEOMETRY, {}, ch.port1);
  const t = setInterval(() => server.serveAvailable(), 1);
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const report = await new Promise<Record<string, unknown>>((resolve, reject) => {
      // A batch that took a held slot waits for a result nobody completes: fail, not hang.
      timer = setTimeout(() => reject(new Error("the batch never finished")), 10_000);
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
      worker.postMessage({ page: page2, doorbell, port: ch.port2 }, [ch.port2]);
    }).finally(() => clearTimeout(timer));
    assert.equal(report.detached, true);
    assert.deepEqual(report.batch, Array.from({ length: 12 }, (_, i) => 10 + i));
    assert.equal(report.settled, 1, "the posted call kept its slot and its result");
    // Every call ran exactly once; the detached one before the batch's (made after it).
    const sorted = [...served].sort((a, b) => a - b);
    assert.deepEqual(sorted, [1, 2, ...Array.from({ length: 12 }, (_, i) => 10 + i)]);
    assert.ok(served.indexOf(2) < served.indexOf(10), `served ${served}`);
  } finally {
    clearInterval(t);
    worker.terminate();
    ch.port1.close();
    close();
  }
});
