// A pooled Worker's call page is served before any process owns it, so its call path is warm
// when one does (pal/host/server.ts `attachWarming`). Until a process adopts the page, the host
// serves the warm-up calls alone: any other call, whatever its slot or kind, is refused and its
// handler never runs; once adopted, every call is the owner's.
import assert from "node:assert/strict";
import { PalClient } from "../../pal/guest/client.ts";
import { PalCode, PalError } from "../../pal/errors.ts";
import { RingServer } from "../../pal/host/server.ts";
import { createDoorbell, createPage, DEFAULT_GEOMETRY } from "../../pal/ring.ts";
import { WARM_CALLS } from "../../libos/init.ts";

interface Owner {
  readonly pid: number;
}

function world() {
  const doorbell = createDoorbell();
  const page = createPage(DEFAULT_GEOMETRY);
  const ch = new MessageChannel();
  const ran: { name: string; owner: Owner | undefined }[] = [];
  const server = new RingServer<Owner>(doorbell, {
    host_time: (ctx) => {
      ran.push({ name: "host_time", owner: ctx.owner });
      return 1234;
    },
    stream_open: (ctx) => {
      ran.push({ name: "stream_open", owner: ctx.owner });
      return 7;
    },
    null_call: (ctx) => {
      ran.push({ name: "null_call", owner: ctx.owner });
      return 0;
    },
  });
  const seen: string[] = [];
  server.onCall = (_owner, name) => seen.push(String(name));
  const token = server.attachWarming(page, DEFAULT_GEOMETRY, ch.port1, WARM_CALLS);
  const client = new PalClient({ page, doorbell, syncPort: ch.port2 });
  const close = () => {
    ch.port1.close();
    ch.port2.close();
  };
  /** Post `name`, serve, and settle it: its result, or the PalError it failed with. */
  const call = (name: "host_time" | "stream_open" | "null_call") => {
    const slot = name === "stream_open"
      ? client.post(name, "file:/etc/passwd", 0, 0)
      : client.post(name);
    assert.ok(slot > 0, "no free slot");
    server.serveAvailable();
    try {
      return client.settle(slot, name);
    } catch (e) {
      return e;
    }
  };
  return { server, token, client, ran, seen, call, close };
}

Deno.test("a warming page is served for the warm-up calls alone, with no owner and no trace", () => {
  const { ran, seen, call, close } = world();
  try {
    assert.equal(call("host_time"), 1234);
    for (const name of ["stream_open", "null_call"] as const) {
      const r = call(name);
      assert.ok(r instanceof PalError, `${name} answered ${r}`);
      assert.equal(r.code, PalCode.DENIED);
      assert.match(r.message, /before the page has a process/);
    }
    // Only the allowed handler ran, and it saw no process.
    assert.deepEqual(ran, [{ name: "host_time", owner: undefined }]);
    // The trace hook (the sandbox's per-process trace) hears nothing of an unowned page.
    assert.deepEqual(seen, []);
  } finally {
    close();
  }
});

Deno.test("an adopted page serves every call as its owner's; adopting twice is refused", () => {
  const { server, token, ran, seen, call, close } = world();
  try {
    assert.ok(call("stream_open") instanceof PalError);
    const owner = { pid: 42 };
    assert.equal(server.adopt(token, owner), token);
    assert.equal(call("stream_open"), 7);
    assert.equal(call("host_time"), 1234);
    assert.deepEqual(ran, [
      { name: "stream_open", owner },
      { name: "host_time", owner },
    ]);
    assert.deepEqual(seen, ["stream_open", "host_time"]);
    assert.throws(() => server.adopt(token, { pid: 43 }), /not a warming page/);
  } finally {
    close();
  }
});

Deno.test("a page attached for a process cannot be adopted; a detached warming page neither", () => {
  const { server, token, close } = world();
  try {
    const ch = new MessageChannel();
    const other = server.attach(
      createPage(DEFAULT_GEOMETRY),
      DEFAULT_GEOMETRY,
      { pid: 1 },
      ch.port1,
    );
    assert.throws(() => server.adopt(other, { pid: 2 }), /not a warming page/);
    server.detach(token);
    assert.throws(() => server.adopt(token, { pid: 3 }), /not a warming page/);
    ch.port1.close();
    ch.port2.close();
  } finally {
    close();
  }
});
