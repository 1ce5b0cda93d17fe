// The audit log records every granted and denied bind (sandbox, pid, what, target, result,
// time); `--trace` lines are strace-like (call, decoded arguments, result or errno name).
import assert from "node:assert/strict";
import { join } from "node:path";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { makeWorld, RAW_BOOT } from "./_world.ts";

async function port(): Promise<number> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return await Promise.resolve(p);
}

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`audit: every bind, granted or denied, is one JSONL record (${isolation})`, async () => {
    const w = await makeWorld();
    try {
      const listen = `127.0.0.1:${await port()}`;
      const log = join(w.root, "audit.jsonl");
      const m = await w.manifest("binds.ts", {
        isolation,
        sys: `audit = ${JSON.stringify(log)}`,
        extra: `[net]\nlisten = ["${listen}"]`,
      });
      const t0 = Date.now();
      const sb = await Sandbox.create(m, { bootUrl: RAW_BOOT });
      const out = await sb.run({ argv: ["binds.ts", "binds", listen] });
      await sb.close();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const recs = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
      const brief = recs.map((r) =>
        `${r.what} ${r.target} ${r.result}${r.reason ? ` ${r.reason}` : ""}`
      );
      assert.deepEqual(brief, [
        "open file://1/data.txt granted",
        "open file://2/new.txt denied read-only",
        "open file://77/x denied not_found",
        "connect 127.0.0.1:1 denied not granted",
        `listen ${listen} granted`,
      ]);
      for (const r of recs) {
        assert.equal(r.sandbox, sb.sandboxId);
        assert.equal(r.pid, 1);
        const t = Date.parse(r.time);
        assert.ok(t >= t0 - 1000 && t <= Date.now() + 1000, `bad time ${r.time}`);
      }
    } finally {
      await w.dispose();
    }
  });
}

Deno.test("trace: lines are strace-like: call, arguments, result or errno", async () => {
  const w = await makeWorld();
  try {
    const listen = `127.0.0.1:${await port()}`;
    const m = await w.manifest("binds.ts", { extra: `[net]\nlisten = ["${listen}"]` });
    const lines: string[] = [];
    await using sb = await Sandbox.create(m, { bootUrl: RAW_BOOT, trace: (l) => lines.push(l) });
    await sb.run({ argv: ["binds.ts", "binds", listen] });
    const calls = lines.map((l) => l.replace(/^\[\S+ pid \d+\] /, ""));
    const want = [
      /^stream_open\("file:\/\/1\/data\.txt", 1, 0\) = \d+$/,
      /^stream_close\(\d+\) = 0$/,
      /^stream_open\("file:\/\/2\/new\.txt", 6, 420\) = -19 READ_ONLY \(read-only mount\)$/,
      /^stream_open\("tcp:127\.0\.0\.1:1", 3, 0\) = -4 DENIED \(connect to 127\.0\.0\.1:1 is not granted\)$/,
      /^stream_open\("file:\/\/1\/missing\.txt", 1, 0\) = -7 NOT_FOUND/,
      /^process_exit\(0\) = 0$/,
    ];
    for (const re of want) {
      assert.ok(calls.some((c) => re.test(c)), `no line like ${re}:\n${calls.join("\n")}`);
    }
  } finally {
    await w.dispose();
  }
});
