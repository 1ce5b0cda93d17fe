// Real plugins in real sandboxes, under both isolation levels: calls with structured values,
// host functions the plugin may (and may not) call, errors, deadlines, crashes and limits.
import assert from "node:assert/strict";
import {
  Plugin,
  PluginCallError,
  PluginCrashError,
  PluginLimitError,
  PluginLoadError,
  PluginProtocolError,
  PluginTimeoutError,
  PluginUsageError,
} from "../../mod.ts";

const CALC = new URL("./fixtures/calc/calc.toml", import.meta.url).pathname;
const fixture = (name: string) => new URL(`./fixtures/calc/${name}`, import.meta.url).pathname;

function loadCalc(isolation: "worker" | "process", logs: string[] = []): Promise<Plugin> {
  return Plugin.load(CALC, {
    isolation,
    expose: {
      log: (s: string) => (logs.push(s), `logged ${s}`),
      fail: () => {
        throw new TypeError("host says no");
      },
    },
    onOutput: () => {},
  });
}

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`a plugin's functions are called with structured values (${isolation})`, async (t) => {
    const logs: string[] = [];
    await using p = await loadCalc(isolation, logs);
    await t.step("functions lists the exports, sorted, without init", () => {
      assert.ok(p.functions.includes("add") && p.functions.includes("echo"));
      assert.ok(!p.functions.includes("init"));
      assert.deepEqual([...p.functions], [...p.functions].sort());
    });
    await t.step("numbers, strings, nested objects, Uint8Array, Map round trip", async () => {
      assert.equal(await p.call("add", 2, 40), 42);
      const v = { a: [1, "two", { three: 3.5, no: null }], b: new Uint8Array([1, 2, 3]) };
      assert.deepEqual(await p.call("echo", v), v);
      const m = new Map([["k", new Set([1])]]);
      assert.deepEqual(await p.call("echo", m), m);
      assert.deepEqual(
        await p.call("reverseBytes", new Uint8Array([1, 2, 3])),
        new Uint8Array([3, 2, 1]),
      );
      const s = await p.call("describe", { name: "n", tags: ["x", "y"], inner: { n: 21 } });
      assert.equal(s, "n:x,y:42");
    });
    await t.step("large arguments and results (past the fast page) arrive whole", async () => {
      const big = new Uint8Array(100_000).map((_, i) => i & 0xff);
      assert.deepEqual(await p.call("reverseBytes", big), big.slice().reverse());
      const r = await p.call<Uint8Array>("filled", 50_000);
      assert.equal(r.length, 50_000);
      assert.ok(r.every((x) => x === 7));
    });
    await t.step("transferred buffers reach the plugin", async () => {
      const b = new Uint8Array([9, 8, 7]);
      const r = await p.callWith("reverseBytes", [b], { transfer: [b.buffer] });
      assert.deepEqual(r, new Uint8Array([7, 8, 9]));
    });
    await t.step("the typed api() view calls the same functions", async () => {
      const api = p.api<{ add(a: number, b: number): number }>();
      assert.equal(await api.add(1, 2), 3);
    });
    await t.step("the plugin reaches the host only through exposed functions", async () => {
      assert.deepEqual(await p.call("hostNames"), ["log", "fail"]);
      assert.equal(await p.call("shout", "hi"), "logged HI");
      assert.deepEqual(logs, ["HI"]);
    });
    await t.step("a host function's error reaches the plugin as name + message only", async () => {
      assert.equal(await p.call("callHostThatThrows"), "TypeError|host says no|clean");
    });
    await t.step(
      "a throwing function gives PluginCallError with the plugin's message",
      async () => {
        const e = await p.call("boom").catch((x) => x);
        assert.ok(e instanceof PluginCallError);
        assert.equal(e.message, "boom: bad input");
        assert.equal(e.remoteName, "RangeError");
        assert.ok(!String(e.stack).includes("calc.ts:"), "no stack frames from inside the plugin");
      },
    );
    await t.step("the plugin runs under the libOS: no ambient host files", async () => {
      const e = await p.call("readFile", "/etc/hostname").catch((x) => x);
      assert.ok(e instanceof PluginCallError, String(e));
    });
    await t.step(
      "an unknown function is refused locally; an unclonable result errors",
      async () => {
        await assert.rejects(p.call("nope"), PluginUsageError);
        await assert.rejects(p.call("unclonable"), PluginCallError);
        assert.equal(await p.call("add", 1, 1), 2, "the plugin still serves");
      },
    );
    await t.step("many concurrent calls all complete", async () => {
      const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => p.call("add", i, i)));
      assert.deepEqual(rs, Array.from({ length: 200 }, (_, i) => 2 * i));
    });
  });

  Deno.test(`a call past its deadline ends only that plugin (${isolation})`, async () => {
    await using slow = await loadCalc(isolation);
    await using other = await loadCalc(isolation);
    const started = performance.now();
    const e = await slow.callWith("spin", [60_000], { timeoutMs: 300 }).catch((x) => x);
    assert.ok(e instanceof PluginTimeoutError, String(e));
    assert.equal(e.fn, "spin");
    assert.ok(performance.now() - started < 5000);
    await assert.rejects(slow.call("add", 1, 2), PluginTimeoutError);
    assert.equal(await other.call("add", 1, 2), 3, "a second plugin still works");
    const e2 = await other.callWith("sleep", [5000], { timeoutMs: 100 }).catch((x) => x);
    assert.ok(e2 instanceof PluginTimeoutError, "an async function's deadline too");
  });

  Deno.test(`a plugin crash arrives as PluginCrashError (${isolation})`, async (t) => {
    await t.step("Deno.exit(3) in a call", async () => {
      await using p = await loadCalc(isolation);
      const e = await p.call("exit", 3).catch((x) => x);
      assert.ok(e instanceof PluginCrashError, String(e));
      assert.equal(e.exitCode, 3);
      assert.ok((await p.ended) instanceof PluginCrashError);
    });
    await t.step("an uncaught error after a call returned", async () => {
      await using p = await loadCalc(isolation);
      assert.equal(await p.call("throwLater"), "scheduled");
      const e = await p.ended;
      assert.ok(e instanceof PluginCrashError, String(e));
      assert.match(e.message, /uncaught later/);
      await assert.rejects(p.call("add", 1, 1), PluginCrashError);
    });
  });

  Deno.test(`a manifest limit arrives as PluginLimitError (${isolation})`, async () => {
    await using p = await Plugin.load(fixture("calc_walltime.toml"), {
      isolation,
      onOutput: () => {},
    });
    const e = await p.callWith("sleep", [10_000], { timeoutMs: 20_000 }).catch((x) => x);
    assert.ok(e instanceof PluginLimitError, String(e));
    assert.equal(e.limit, "wall_time");
  });

  Deno.test(`a plugin that cannot load gives PluginLoadError (${isolation})`, async () => {
    const quiet = { isolation, onOutput: () => {} };
    const e = await Plugin.load(fixture("broken.toml"), quiet).catch((x) => x);
    assert.ok(e instanceof PluginLoadError, String(e));
    assert.match(e.message, /broken at load/);
    const e2 = await Plugin.load(fixture("nofn.toml"), quiet).catch((x) => x);
    assert.ok(e2 instanceof PluginLoadError, String(e2));
    assert.match(e2.message, /exports no function/);
  });

  Deno.test(`messages larger than maxMessageBytes are refused (${isolation})`, async () => {
    await using p = await Plugin.load(CALC, { isolation, maxMessageBytes: 64 << 10 });
    assert.equal((await p.call<Uint8Array>("filled", 1000)).length, 1000);
    await assert.rejects(p.call("filled", 1 << 20), PluginProtocolError);
  });
}

Deno.test("close() rejects pending calls and later calls with PluginUsageError", async () => {
  const p = await loadCalc("worker");
  const pending = assert.rejects(p.call("sleep", 5000), PluginUsageError);
  await p.close();
  await pending;
  await assert.rejects(p.call("add", 1, 2), PluginUsageError);
});
