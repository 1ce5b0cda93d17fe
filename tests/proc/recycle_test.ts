/**
 * Recycled Workers (sandbox/host/proc_pool.ts `back`, libos/libos.ts `Libos.idle`): a process
 * that ran only a built-in program and ended idle gives its Worker back to the spawn pool, and
 * the next process in that Worker starts clean (its own stdin, arguments, exit status). A
 * process that ran app code never does, even when it asks the host directly — an attacker's
 * Worker, its globals poisoned, must not run anyone else's process.
 */
import assert from "node:assert/strict";
import { LEVELS, scenario } from "./_sb.ts";
import { Sandbox } from "../../sandbox/sandbox.ts";

const FIXTURE = new URL("./fixtures/recycle.ts", import.meta.url).pathname;

type Row = { code: number; out?: string; recycled?: number };

for (const iso of LEVELS) {
  Deno.test(`[${iso}] built-ins recycle their Workers; app code and forks never do`, async () => {
    const { report, stderr, code } = await scenario(iso, "run", { fixture: "recycle" });
    assert.equal(code, 0, stderr);
    const r = report as Record<string, Row>;
    // A built-in that ends idle gives its Worker back, whatever its exit status.
    assert.deepEqual(r.echo, { code: 0, out: "hi\n", recycled: 1 });
    assert.deepEqual(r.false, { code: 1, out: "", recycled: 1 });
    assert.deepEqual(r.grepUsage, {
      code: 2,
      out: "grep: usage: grep [-vic] pattern [file...]\n",
      recycled: 1,
    });
    // Three cats in a row, most likely in one Worker: each reads its own stdin to its own EOF.
    assert.deepEqual(r.cat1, { code: 0, out: "one\n", recycled: 1 });
    assert.deepEqual(r.cat2, { code: 0, out: "two\n", recycled: 1 });
    assert.deepEqual(r.cat3, { code: 0, out: "three\n", recycled: 1 });
    // The shell starts from status 0 in a recycled Worker; it and its children recycle.
    assert.equal(r.sh!.out, "0\n1\n");
    assert.equal(r.sh!.code, 0);
    assert.ok(r.sh!.recycled! >= 1, JSON.stringify(r.sh));
    // `exit 3` ends the shell from inside its program: its Worker ends with it.
    assert.deepEqual(r.shExit, { code: 3, out: "", recycled: 0 });
    // App code that poisoned its globals and asked for recycling: refused, ended as an exit.
    assert.deepEqual(r.app, { code: 7, out: "", recycled: 0 });
    // A fork child (app code too) asking the same: refused.
    assert.deepEqual(r.fork, { code: 9 });
    assert.deepEqual(r.after, { code: 0, out: "after\n", recycled: 1 });
    // Up to four built-ins at once with a pool of 2: the cold Workers came back too, and the pool
    // keeps them (beyond its size, for the spawns it could not serve; `echo` may end and give
    // its Worker back before `wc` starts, so three may do).
    assert.deepEqual(r.pipeline, { code: 0, out: "2\n", recycled: 4 });
    const after = r.poolAfter as unknown as { idle: number; target: number };
    assert.ok(after.idle >= 3 && after.target === 2, JSON.stringify(after));
  });
}

Deno.test("sys.recycle = false: no Worker is given back, built-ins run as before", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sp_recycle_" });
  try {
    await Deno.writeTextFile(
      `${dir}/app.toml`,
      `[loader]\nentrypoint = "${FIXTURE}"\n[fs]\nroot = "/"\n[sys]\nisolation = "worker"\nrecycle = false\nwall_time = "60s"\n`,
    );
    await using sb = await Sandbox.create(`${dir}/app.toml`, { isolation: "worker" });
    const out = await sb.run({ argv: ["recycle", "off"] });
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(text.trim().split("\n").at(-1)!) as Record<string, Row>;
    assert.deepEqual(r.echo, { code: 0, out: "hi\n", recycled: 0 });
    assert.deepEqual(r.cat1, { code: 0, out: "one\n", recycled: 0 });
    assert.deepEqual(r.cat2, { code: 0, out: "two\n", recycled: 0 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
