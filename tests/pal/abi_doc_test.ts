import assert from "node:assert/strict";
import { withAbiTable } from "../../tools/gen_abi_doc.ts";
import { ABI } from "../../pal/abi.ts";

// deno fmt aligns markdown tables; compare modulo that alignment.
const SEP_ROW = /^\|[\s|:-]+\|$/;
const norm = (s: string) =>
  s.split("\n").map((l) => (SEP_ROW.test(l) ? "SEP" : l.replace(/ +/g, " "))).join("\n");

Deno.test("docs/architecture.md carries the current PAL ABI table", () => {
  const doc = Deno.readTextFileSync(new URL("../../docs/architecture.md", import.meta.url));
  assert.equal(
    norm(doc),
    norm(withAbiTable(doc)),
    "run: deno run -A tools/gen_abi_doc.ts && deno fmt docs",
  );
});

Deno.test("PAL call numbers are unique", () => {
  const nums = Object.values(ABI).map((s) => s.num);
  assert.equal(new Set(nums).size, nums.length);
});
