// No path between sandboxes: handle ids, mount ids, process tables and ids are per sandbox, so
// a guest holding its own sandbox's numbers reaches nothing of a neighbour's.
import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { makeWorld, RAW_BOOT, results } from "./_world.ts";

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`crossing: handles, mounts, processes and ids stay in their sandbox (${isolation})`, async () => {
    const a = await makeWorld();
    const b = await makeWorld();
    try {
      await Deno.writeTextFile(`${a.mount}/data.txt`, "A's data");
      await Deno.writeTextFile(`${b.mount}/data.txt`, "B's data");
      const sa = await Sandbox.create(await a.manifest("cross.ts", { isolation }), {
        bootUrl: RAW_BOOT,
      });
      const sb = await Sandbox.create(await b.manifest("cross.ts", { isolation }), {
        bootUrl: RAW_BOOT,
      });
      try {
        const holders = await Promise.all(
          [1, 2].map(() => sa.spawn({ argv: ["cross.ts", "hold"] })),
        );
        await new Promise((r) => setTimeout(r, 300));
        const probe = await sb.run({ argv: ["cross.ts", "probe"] });
        const text = new TextDecoder().decode(probe.stdout);
        const r = JSON.parse(text.trim().split("\n")[0]!);
        // Only B's own handles answer: the stdio the host gave it at spawn and the stdout its
        // raw boot opened (the next id). A's held files are not B's.
        const own = [...r.own, Math.max(0, ...r.own) + 1].sort((x: number, y: number) => x - y);
        assert.equal(r.own.length, 3);
        assert.deepEqual(r.answering, own);
        assert.equal(r.data, "B's data");
        assert.deepEqual(r.procs, [1]); // B's first process is pid 1; A's pids are A's own
        assert.equal(r.sandbox, sb.sandboxId);
        assert.notEqual(sa.sandboxId, sb.sandboxId);
        assert.ok(!text.includes(sa.sandboxId));
        assert.ok(!JSON.stringify(r.policy).includes(a.root));
        // A's processes were not disturbed.
        for (const p of holders) {
          const out = await p.output();
          assert.equal(out.code, 0);
          assert.equal([...results(out).keys()].length, 0);
          // A's ids were in the range B probed, and none of them answered B.
          const held: number[] = JSON.parse(
            new TextDecoder().decode(out.stdout).trim().split("\n")[0]!,
          ).held;
          assert.equal(held.length, 3);
          for (const h of held) {
            assert.ok(h >= 1 && h <= 64, `held ${h}`);
            assert.ok(!r.answering.includes(h), `A's handle ${h} answered B`);
          }
        }
      } finally {
        await sa.close();
        await sb.close();
      }
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
}
