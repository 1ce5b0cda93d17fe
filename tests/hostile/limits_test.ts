// Manifest limits against guests that try to exceed them. Sandbox-ending limits must reach the
// embedding app as a LimitError naming the limit; in-sandbox limits as the right errno. Every
// test also runs a neighbour sandbox meanwhile and checks it finished its work.
import assert from "node:assert/strict";
import type { Isolation } from "../../sandbox/manifest.ts";
import { LimitError } from "../../sandbox/errors_runtime.ts";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { assertHostAlive, makeWorld, neighbour, RAW_BOOT, results } from "./_world.ts";

/** Run bombs.ts `mode` and expect the sandbox to end with `limit`. */
async function expectLimit(
  mode: string,
  limit: string,
  sys: string,
  isolation: Isolation = "process",
): Promise<void> {
  const w = await makeWorld();
  try {
    const m = await w.manifest("bombs.ts", { argv: [mode], isolation, sys });
    const sb = await Sandbox.create(m);
    const t0 = performance.now();
    const [out] = await Promise.all([sb.run({ argv: ["bombs.ts", mode] }), neighbour()]);
    await sb.close();
    assert.ok(out.limit instanceof LimitError, `no LimitError (exit ${out.code})`);
    assert.equal(out.limit.limit, limit, out.limit.message);
    assert.equal(sb.limitError?.limit, limit);
    assert.ok(performance.now() - t0 < 30_000, "the limit took too long to act");
    // The embedding app carries on: a new sandbox works.
    await neighbour();
  } finally {
    await w.dispose();
  }
}

Deno.test("limit: a heap bomb ends only its sandbox with LimitError max_memory (process)", () =>
  expectLimit("heap", "max_memory", `max_memory = "64M"`));

Deno.test("limit: a SharedArrayBuffer (VMA) bomb ends its sandbox with max_memory (process)", () =>
  expectLimit("sab", "max_memory", `max_memory = "64M"`));

// A guest cannot start a Worker of its own (pal/guest/seal.ts), so the bomb fails at its first;
// process fork bombs stop at max_processes (commands_test.ts).
Deno.test("limit: a Worker fork bomb cannot start: a guest gets no Worker (process)", async () => {
  const w = await makeWorld();
  try {
    const m = await w.manifest("bombs.ts", { argv: ["fork"], sys: `max_memory = "64M"` });
    const sb = await Sandbox.create(m);
    const [out] = await Promise.all([sb.run({ argv: ["bombs.ts", "fork"] }), neighbour()]);
    await sb.close();
    assert.equal(out.limit, null);
    assert.notEqual(out.code, 0);
    assert.match(new TextDecoder().decode(out.stderr), /NotCapable: Worker is not available/);
    await neighbour();
  } finally {
    await w.dispose();
  }
});

Deno.test("limit: a busy loop is ended by the watchdog; the host process dies (process)", () =>
  expectLimit("busy", "watchdog", `watchdog = "1s"`));

Deno.test("limit: an output flood ends the sandbox with max_output (worker)", () =>
  expectLimit("output", "max_output", `max_output = "64K"`, "worker"));

Deno.test("limit: an output flood ends the sandbox with max_output (process)", () =>
  expectLimit("output", "max_output", `max_output = "64K"`));

Deno.test("limit: a sleeper past sys.wall_time ends with LimitError wall_time (worker)", () =>
  expectLimit("sleep", "wall_time", `wall_time = "500ms"`, "worker"));

Deno.test("limit: the watchdog leaves a responsive sleeper alone", async () => {
  const w = await makeWorld();
  try {
    const m = await w.manifest("bombs.ts", { sys: `watchdog = "200ms"`, isolation: "worker" });
    await using sb = await Sandbox.create(m);
    const out = await sb.run({ argv: ["bombs.ts", "sleep", "1200"] });
    assert.equal(out.limit, null);
    assert.equal(new TextDecoder().decode(out.stdout), "slept\n");
  } finally {
    await w.dispose();
  }
});

/** Run bombs.ts `mode`, expect one failure report, and the sandbox still alive. */
async function expectErrno(mode: string, sys: string, check: (count: number, err: string) => void) {
  const w = await makeWorld();
  try {
    const m = await w.manifest("bombs.ts", { sys, isolation: "worker" });
    await using sb = await Sandbox.create(m);
    const [out] = await Promise.all([sb.run({ argv: ["bombs.ts", mode] }), neighbour()]);
    const r = results(out).get(mode) as { ok: boolean; error: string; count: number } | undefined;
    assert.ok(r, new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr));
    assert.equal(r.ok, false);
    check(r.count, r.error);
    assert.equal(out.code, 0);
    await assertHostAlive(sb);
  } finally {
    await w.dispose();
  }
}

Deno.test("limit: fd exhaustion stops at sys.max_fds with EMFILE", () =>
  expectErrno("fds", "max_fds = 16", (count, err) => {
    assert.equal(count, 16 - 3); // 0, 1, 2 are stdio
    assert.match(err, /Too many open files/);
  }));

Deno.test("limit: a full tmpfs answers ENOSPC at its size", () =>
  expectErrno("tmpfs", "", (count, err) => {
    assert.ok(count <= 1 << 20 && count > (1 << 20) - (128 << 10), `wrote ${count} bytes`);
    assert.match(err, /No space left on device/);
  }));

Deno.test("limit: a pipe flood fills sys.pipe_buffer, then EAGAIN", () =>
  expectErrno("pipe", `pipe_buffer = "8K"`, (count, err) => {
    assert.equal(count, 8192);
    assert.match(err, /EAGAIN/);
  }));

Deno.test("limit: spawning past sys.max_processes is a LimitError; the others run on", async () => {
  const w = await makeWorld();
  try {
    const m = await w.manifest("bombs.ts", { sys: "max_processes = 2", isolation: "worker" });
    await using sb = await Sandbox.create(m);
    const a = await sb.spawn({ argv: ["bombs.ts", "sleep", "300"] });
    const b = await sb.spawn({ argv: ["bombs.ts", "sleep", "300"] });
    await assert.rejects(
      () => sb.spawn({ argv: ["bombs.ts", "alive"] }),
      (e: Error) => e instanceof LimitError && e.limit === "max_processes",
    );
    for (const p of [a, b]) {
      const out = await p.output();
      assert.equal(new TextDecoder().decode(out.stdout), "slept\n");
    }
    await assertHostAlive(sb);
  } finally {
    await w.dispose();
  }
});

Deno.test("limit: raw handle exhaustion gets TOO_MANY from the host, which keeps serving", async () => {
  const w = await makeWorld();
  try {
    const src = `const g = globalThis; let n = 0;
try { for (;;) { g.pal.call("stream_open", "file://1/data.txt", 1, 0); n++; } }
catch (e) { g.say({ n, error: e.message }); }
try { g.pal.call("mem_reserve", 1 << 30); g.say({ reserve: "ok" }); }
catch (e) { g.say({ reserve: e.message }); }
g.say({ after: g.pal.call("null_call") }); g.exit(0);`;
    await Deno.writeTextFile(`${w.root}/raw.ts`, src);
    const toml = `[loader]\nentrypoint = "raw.ts"\n[[fs.mounts]]\npath = "/data"\n` +
      `uri = "file:mount"\n[sys]\nmax_fds = 20\nvma_quota = "1M"\n`;
    await Deno.writeTextFile(`${w.root}/raw.toml`, toml);
    await using sb = await Sandbox.create(`${w.root}/raw.toml`, {
      isolation: "worker",
      bootUrl: RAW_BOOT,
    });
    const out = await sb.run();
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
    // The table's bound, minus the three stdio handles the host opens at spawn and the boot's
    // own stdout handle.
    assert.equal(lines[0].n, 20 + 16 - 3 - 1);
    assert.match(lines[0].error, /handle limit/);
    assert.match(lines[1].reserve, /vma_quota/);
    assert.deepEqual(lines[2], { after: 0 });
  } finally {
    await w.dispose();
  }
});
