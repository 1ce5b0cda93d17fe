// A plugin that never answers: a call past its deadline arrives as PluginTimeoutError, the
// plugin is ended, the embedding app's event loop keeps turning and a neighbour plugin (and a
// neighbour sandbox) keep working.
import assert from "node:assert/strict";
import { PluginLoadError, PluginTimeoutError } from "../../sandbox/plugin_errors.ts";
import { Plugin } from "../../sandbox/plugin.ts";
import type { Isolation } from "../../sandbox/manifest.ts";
import { FIXTURES, neighbour } from "./_world.ts";

const SILENT = `${FIXTURES}plugins/silent.toml`;

/** The longest gap between 10 ms ticks of this thread while `work` runs. */
async function worstTickGap<T>(work: Promise<T>): Promise<[T, number]> {
  let last = performance.now();
  let worst = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 10);
  try {
    return [await work, worst];
  } finally {
    clearInterval(tick);
  }
}

const HANGS: [string, Isolation][] = [
  ["forever", "worker"],
  ["forever", "process"],
  // A busy loop can only be stopped in process isolation (worker.terminate() leaves it running).
  ["spin", "process"],
];

for (const [fn, isolation] of HANGS) {
  Deno.test(`hostile: a plugin that never answers (${fn}) times out; a neighbour plugin works (${isolation})`, async () => {
    await using silent = await Plugin.load(SILENT, { isolation });
    await using other = await Plugin.load(SILENT, { isolation });
    assert.equal(await silent.call("add", 2, 3), 5);
    const t0 = performance.now();
    const hung = silent.callWith(fn, [], { timeoutMs: 300 }).catch((e) => e);
    const [[[err, sum]]] = await Promise.all([
      worstTickGap(Promise.all([hung, other.call("add", 20, 22)])),
      neighbour(),
    ]);
    assert.ok(err instanceof PluginTimeoutError, String(err));
    assert.equal(err.fn, fn);
    assert.ok(performance.now() - t0 < 10_000, "the deadline took too long");
    assert.equal(sum, 42, "the neighbour plugin answered during the hang");
    assert.ok((await silent.ended) instanceof PluginTimeoutError, "the hung plugin was ended");
    await assert.rejects(silent.call("add", 1, 1), PluginTimeoutError);
    assert.equal(await other.call("add", 1, 1), 2, "the neighbour plugin still works after");
  });

  Deno.test(`hostile: the app's event loop keeps turning while a plugin hangs (${fn}, ${isolation})`, async () => {
    await using silent = await Plugin.load(SILENT, { isolation });
    const [err, worst] = await worstTickGap(
      silent.callWith(fn, [], { timeoutMs: 1500 }).catch((e) => e),
    );
    assert.ok(err instanceof PluginTimeoutError, String(err));
    assert.ok(worst < 750, `the embedding thread stalled for ${worst.toFixed(0)} ms`);
  });
}

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`hostile: a plugin whose init never returns fails to load at the deadline (${isolation})`, async () => {
    const t0 = performance.now();
    await assert.rejects(
      Plugin.load(`${FIXTURES}plugins/init_hang.toml`, { isolation, loadTimeoutMs: 1500 }),
      (e: Error) => e instanceof PluginLoadError && /did not load within 1500 ms/.test(e.message),
    );
    assert.ok(performance.now() - t0 < 10_000);
    await using other = await Plugin.load(SILENT, { isolation });
    assert.equal(await other.call("add", 1, 2), 3);
  });
}
