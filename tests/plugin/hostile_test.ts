// A hostile plugin guest (fixtures/hostile/hostile_boot.ts replaces the libOS, so it holds the
// raw port and fast page) sends forged and malformed messages. Each attack must end in a typed
// error for that plugin only: the host app keeps running and a neighbouring plugin still works.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Plugin, PluginLoadError, PluginProtocolError, PluginTimeoutError } from "../../mod.ts";

const BOOT = new URL("./fixtures/hostile/hostile_boot.ts", import.meta.url).href;
const CALC = new URL("./fixtures/calc/calc.toml", import.meta.url).pathname;

async function hostileManifest(mode: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sandpiper-hostile-plugin-" });
  await Deno.writeTextFile(join(dir, "h.ts"), "export const f = () => 1;\n");
  const toml = `[loader]\nentrypoint = "h.ts"\nargv = ["h", "${mode}"]\n`;
  await Deno.writeTextFile(join(dir, "h.toml"), toml);
  return join(dir, "h.toml");
}

function loadHostile(mode: string, isolation: "worker" | "process", fastPath: boolean) {
  return hostileManifest(mode).then((m) =>
    Plugin.load(m, {
      isolation,
      bootUrl: BOOT,
      fastPath,
      maxMessageBytes: 1 << 20,
      callTimeoutMs: 3000,
      expose: { log: (s: string) => `logged ${s}` },
    })
  );
}

const PORT_ATTACKS = [
  "port-number",
  "port-raw-bytes",
  "port-shape",
  "port-unknown-id",
  "port-type",
  "port-error-shape",
  "port-sab",
  "port-oversize",
  "port-second-ready",
];
const PAGE_ATTACKS = [
  "page-echo",
  "page-len",
  "page-status",
  "page-bytes",
  "page-error-shape",
];

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`forged and malformed plugin messages give PluginProtocolError (${isolation})`, async (t) => {
    await using neighbour = await Plugin.load(CALC, { isolation, onOutput: () => {} });
    for (const mode of PORT_ATTACKS) {
      await t.step(mode, async () => {
        await using p = await loadHostile(mode, isolation, false);
        const e = await p.call("f").catch((x) => x);
        assert.ok(e instanceof PluginProtocolError, `${mode}: ${e}`);
        assert.ok((await p.ended) instanceof PluginProtocolError);
        await assert.rejects(p.call("f"), PluginProtocolError);
        assert.equal(await neighbour.call("add", 2, 2), 4);
      });
    }
    await t.step("a malformed ready message fails the load", async () => {
      const e = await loadHostile("bad-ready", isolation, false).catch((x) => x);
      assert.ok(e instanceof PluginLoadError, String(e));
      assert.match(e.message, /protocol/);
    });
    await t.step("forged calls to unexposed host functions are refused host-side", async () => {
      await using p = await loadHostile("forge-hcall", isolation, false);
      const replies = await p.call<unknown[]>("f");
      assert.equal(replies.length, 5);
      for (const r of replies.slice(0, 4)) {
        assert.equal((r as { name: string }).name, "PluginUsageError");
        assert.match((r as { message: string }).message, /not exposed/);
      }
      assert.equal(replies[4], "ok", "the one exposed function works");
    });
  });
}

Deno.test("garbage in the fast page gives PluginProtocolError (worker)", async (t) => {
  await using neighbour = await Plugin.load(CALC, { isolation: "worker", onOutput: () => {} });
  for (const mode of PAGE_ATTACKS) {
    await t.step(mode, async () => {
      await using p = await loadHostile(mode, "worker", true);
      const e = await p.call("f").catch((x) => x);
      assert.ok(e instanceof PluginProtocolError, `${mode}: ${e}`);
      assert.equal(await neighbour.call("add", 3, 4), 7);
    });
  }
  await t.step("page-scribble: rewriting the page while the app reads", async () => {
    // Racy by nature: the app copies the words and bytes out while the plugin rewrites them, so
    // it may see a torn but well-formed response (echo, status and length from different
    // rewrites: e.g. `undefined` from a zero byte). The plugin can answer any value anyway; the
    // promise is that the app decodes only its private copy: a plain decoded value or a
    // PluginProtocolError, never another error or a hang, and the neighbour carries on.
    for (let i = 0; i < 5; i++) {
      await using p = await loadHostile("page-scribble", "worker", true);
      const r = await p.call("f").catch((x) => x);
      assert.ok(!(r instanceof Error) || r instanceof PluginProtocolError, String(r));
      if (!(r instanceof Error)) assert.ok(r === null || typeof r !== "function", String(r));
    }
    assert.equal(await neighbour.call("add", 5, 5), 10);
  });
  await t.step("a page that never answers times out", async () => {
    await using p = await loadHostile("page-hang", "worker", true);
    await assert.rejects(p.callWith("f", [], { timeoutMs: 200 }), PluginTimeoutError);
    assert.equal(await neighbour.call("add", 1, 1), 2);
  });
});
