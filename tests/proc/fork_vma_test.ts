/**
 * fork-with-state and private memory: the child starts with a copy of the parent's mapped
 * regions (contents and protections); later writes on either side stay private.
 */
import assert from "node:assert/strict";
import { LEVELS, scenario } from "./_sb.ts";

for (const iso of LEVELS) {
  Deno.test(`[${iso}] a fork child sees the parent's private memory at fork time; later writes are private`, async () => {
    const { report: r } = await scenario(iso, "private", { fixture: "fork_vma" });
    const a = r.a as number, b = r.b as number;
    assert.equal(r.code, 0);
    assert.deepEqual(r.child, {
      a: "hello-world",
      b: [9, 8, 7, 6],
      regionA: { start: a, size: 4096, prot: 3, shared: false, file: false },
      regionB: { start: b, size: 3 * 4096, prot: 1, shared: false, file: false },
      fresh: "CHILD-WROTE",
      roWrite: "PalError",
    });
    assert.equal(r.parentAfter, "hello-world", "the child's write did not reach the parent");
  });
}

Deno.test("[worker] a fork child of a process without an address space maps fresh memory", async () => {
  const { report: r } = await scenario("worker", "none", { fixture: "fork_vma" });
  assert.deepEqual(r, { code: 0 });
});
