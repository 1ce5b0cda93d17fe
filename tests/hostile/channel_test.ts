/**
 * The control channel of a `process`-isolation host (sandbox/host/framing.ts) against a guest
 * that reaches the host process's stdio through a Worker of its own (node:worker_threads: such a
 * Worker has Deno's stdio handles again, pal/guest/seal.ts cannot close them): a frame it writes
 * to stdout ("pid 1 exited 42") is never taken for the host's, and the sandbox ends. Frames it
 * reads off stdin are lost to the host: one missing before a frame the host gets ends the
 * sandbox (the numbers no longer follow); the last ones are lost silently, to the guest's own
 * sandbox only (a revocation's answer then never comes; `close` kills after 2 s). The embedding
 * app and a neighbour carry on.
 */
import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { makeWorld, neighbour } from "./_world.ts";

Deno.test("hostile: a frame a guest writes to the host's stdout is refused; its sandbox ends", async () => {
  const w = await makeWorld();
  try {
    const m = await w.manifest("forge_frame.ts", { argv: ["stdout"], isolation: "process" });
    const sb = await Sandbox.create(m);
    const p = await sb.spawn({ argv: ["forge_frame.ts", "stdout"] });
    const [status] = await Promise.all([p.wait(), neighbour("process")]);
    await sb.close();
    assert.notEqual(status.code, 42, "the forged exit was taken for the host's");
    assert.equal(status.code, 137);
    await neighbour("process");
  } finally {
    await w.dispose();
  }
});

Deno.test("hostile: frames a guest takes off the host's stdin: never one lost in the middle", async () => {
  const w = await makeWorld();
  try {
    const m = await w.manifest("forge_frame.ts", { argv: ["stdin"], isolation: "process" });
    const sb = await Sandbox.create(m);
    const p = await sb.spawn({ argv: ["forge_frame.ts", "stdin"] });
    const writer = p.stdin.getWriter();
    const out = new Response(p.stdout).text();
    // Lines for the guest's main thread; the thief races the host for the frames carrying them.
    for (let i = 0; i < 50; i++) {
      await writer.write(new TextEncoder().encode(`line ${i}\n`)).catch(() => {});
      await new Promise((r) => setTimeout(r, 5));
    }
    await writer.write(new TextEncoder().encode("done\n")).catch(() => {});
    const status = await p.wait();
    const text = await out;
    await sb.close();
    if (status.code === 7) {
      // The guest's main thread saw its lines in order with none missing between two it saw:
      // only the last frames can be lost without the host noticing.
      const at = text.indexOf("stdin: ");
      const got = at < 0 ? [] : text.slice(at + 7).split("\n").filter((l) => l !== "");
      const want = [...Array.from({ length: 50 }, (_, i) => `line ${i}`), "done"];
      assert.deepEqual(got, want.slice(0, got.length), `lines out of order or missing: ${text}`);
    } else {
      assert.equal(status.code, 137, `ended otherwise: ${text}`);
    }
    await neighbour("process");
  } finally {
    await w.dispose();
  }
});
