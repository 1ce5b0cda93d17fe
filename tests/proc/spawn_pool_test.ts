/**
 * Processes started from pooled Workers (sandbox/host/proc_pool.ts) are whole new processes: the
 * pool was used, and each child has its own pid, argv, env, cwd and main module and no trace of
 * an earlier process or of boot's rehearsal (libos/boot.ts: its console line is not in a child's
 * stdout); the Deno personality the warm-up
 * installed ahead is bound to it (a child waiting on a timer is not ended early).
 */
import assert from "node:assert/strict";
import { LEVELS, scenario } from "./_sb.ts";

for (const iso of LEVELS) {
  Deno.test(`[${iso}] spawns and forks from a full pool run in fresh Workers`, async () => {
    const { report: r } = await scenario(iso, "main", { fixture: "spawn_pool" });
    const before = r.before as { ready: number; target: number };
    const after = r.after as { ready: number };
    assert.ok(before.target >= 1 && before.ready === before.target, JSON.stringify(before));
    assert.equal(after.ready, before.ready - 1, "the first spawn took a booted Worker");
    const out = r.out as Record<string, unknown>[];
    const pids = new Set(out.map((o) => o.pid));
    assert.equal(pids.size, 5, "five distinct pids");
    out.forEach((o, i) => {
      assert.equal(o.code, 0);
      assert.equal(o.exact, true, `process ${i} wrote more than its line`);
      assert.equal(o.seen, null, "no globals of an earlier process");
      assert.equal(o.ppid, r.me);
      // The first spawn and the first fork each took a warmed Worker from a full pool: its Deno
      // personality was installed ahead and is now bound to it. (The others may take a Worker
      // still warming, which installs it at boot: both must work.)
      if (i === 0 || i === 3) assert.equal(o.prepared, true, `process ${i}`);
      if (i < 3) {
        assert.deepEqual(
          { how: o.how, args: o.args, mark: o.mark, cwd: o.cwd, main: o.mainModule },
          {
            how: "spawn",
            args: ["child", String(i)],
            mark: `m${i}`,
            cwd: "/tmp",
            main: "file:///code/spawn_pool.ts",
          },
        );
      } else {
        assert.deepEqual({ how: o.how, i: o.i }, { how: "fork", i: i - 3 });
      }
    });
  });
}
