/**
 * sandpiper_proc: a WASI program (examples/wasi/pipeline) spawns itself twice as `produce |
 * consume` over an sp_pipe, waits for both, then kills a third child stuck on a pipe.
 */
import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { manifestFromObject } from "../../sandbox/manifest.ts";

const EXAMPLE = new URL("../../examples/wasi/pipeline/", import.meta.url).pathname;
const dec = new TextDecoder();

async function run(argv: string[], isolation: "worker" | "process") {
  const m = manifestFromObject({
    loader: { entrypoint: "pipeline.wasm", argv },
    fs: { mounts: [{ path: "/code", uri: "file:.", readonly: true }] },
    sys: { wall_time: "30s", isolation, max_processes: 4 },
  }, { baseDir: EXAMPLE });
  await using sb = await Sandbox.create(m);
  const out = await sb.run();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`a WASI two-process pipeline over sandpiper_proc (${isolation})`, async () => {
    const r = await run(["pipeline", "/code/pipeline.wasm", "1000"], isolation);
    assert.equal(r.stderr, "");
    const lines = r.stdout.trim().split("\n");
    // 1000 lines "line N\n": 9×7 + 90×8 + 900×9 + 1×10 bytes; the children end in any order.
    assert.deepEqual(lines.slice(0, 3).sort(), [
      "consumer exited 0",
      "consumer: 1000 lines, 8893 bytes",
      "producer exited 0",
    ], r.stdout);
    assert.equal(lines[3], "killed consumer exited 143");
    assert.equal(lines.length, 4, r.stdout);
    assert.equal(r.code, 0);
  });
}

Deno.test("sp_spawn of a path outside the mounts fails with an errno, not a crash", async () => {
  const r = await run(["pipeline", "/nowhere/x.wasm", "3"], "worker");
  assert.match(r.stderr, /^spawn producer: errno 44\n$/); // WASI noent
  assert.equal(r.code, 1);
});
