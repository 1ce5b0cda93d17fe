/**
 * Built-in programs (libos/bin) are modules that only define functions: the runner calls their
 * `main`. So importing them runs no program (a pooled Worker imports them all while it warms up,
 * libos/boot.ts), and a built-in spawned from a warmed Worker runs exactly once, with its usual
 * output and exit code.
 */
import assert from "node:assert/strict";
import { LEVELS, openSandbox, scenario } from "./_sb.ts";
import { BUILTIN_NAMES } from "../../libos/bin/names.ts";

Deno.test("importing every built-in runs no program: no output, no exit", async () => {
  const { sb, dir } = await openSandbox("worker", { fixture: "builtin_main" });
  try {
    const out = await sb.run({ argv: ["builtin_main", "import"] });
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(new TextDecoder().decode(out.stderr), "");
    assert.equal(out.code, 3, stdout);
    const lines = stdout.split("\n");
    assert.deepEqual(lines.slice(1), [""], "only the report was printed");
    const { exports } = JSON.parse(lines[0]!);
    assert.deepEqual(exports, Object.fromEntries(BUILTIN_NAMES.map((n) => [n, "main:function"])));
  } finally {
    await sb.close();
    await Deno.remove(dir, { recursive: true });
  }
});

for (const iso of LEVELS) {
  Deno.test(`[${iso}] built-ins spawned from warmed pooled Workers run once`, async () => {
    const { report: r, stdout, stderr, code } = await scenario(iso, "pool", {
      fixture: "builtin_main",
    });
    assert.equal(code, 0);
    assert.equal(stderr, "");
    assert.equal(stdout.split("\n").length, 2, "nothing but the report on stdout");
    const before = r.before as { ready: number; target: number; recycled: number };
    const after = r.after as { ready: number; recycled: number };
    assert.deepEqual(r.first, { code: 0, out: "" });
    assert.equal(r.full, true, "every pooled Worker warmed up and said so");
    assert.ok(before.target >= 1 && before.ready === before.target, JSON.stringify(before));
    // echo took a warmed Worker and, ending idle, gave it back (recycle_test.ts).
    assert.equal(after.ready, before.ready, "echo's Worker came back");
    assert.equal(after.recycled, before.recycled + 1, "echo's Worker came back");
    assert.deepEqual(r.out, [
      { code: 0, out: "hi\n" },
      { code: 1, out: "" },
      { code: 0, out: "" },
      { code: 1, out: "a\n1\n" },
      { code: 2, out: "grep: usage: grep [-vic] pattern [file...]\n" },
    ]);
  });
}
