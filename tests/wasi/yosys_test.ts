/** A large real-world WASI program (Yosys, fetched from npm at test time) in a narrow sandbox. */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { synthesize } from "../../examples/wasi/yosys/yosys.ts";

const npm = new Deno.Command("npm", { args: ["--version"], stdout: "null", stderr: "null" });
let haveNpm = false;
try {
  haveNpm = npm.outputSync().success;
} catch (e) {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
}
if (!haveNpm) {
  console.log("yosys_test: skipped, npm is not installed (needed to fetch @yowasp/yosys)");
}

Deno.test({
  name: "Yosys synthesizes a counter for iCE40 with only /in, /share (read-only) and a tmpfs",
  ignore: !haveNpm,
  sanitizeResources: false,
  fn: async () => {
    const inDir = join(dirname(new URL(import.meta.url).pathname), "../../examples/wasi/yosys/in");
    const r = await synthesize(inDir, "counter.v", "counter");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /SB_DFFESR\s+8/);
    assert.match(r.stdout, /SB_CARRY\s+\d+/);
  },
});
