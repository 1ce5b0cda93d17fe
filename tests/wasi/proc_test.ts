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

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`a WASI child from a warmed pooled Worker (personality installed ahead) (${isolation})`, async () => {
    // A JavaScript parent next to pipeline.wasm waits for a full spawn pool, then spawns the
    // module: the pooled Worker installed the Deno personality while warming, and a .wasm entry
    // must still be read with Deno's own file read and run under WASI.
    const dir = await Deno.makeTempDir({ prefix: "sp_wasi_pool_" });
    try {
      await Deno.copyFile(`${EXAMPLE}pipeline.wasm`, `${dir}/pipeline.wasm`);
      const lib = new URL("../../libos/", import.meta.url).href;
      await Deno.writeTextFile(
        `${dir}/parent.ts`,
        `import { O, sys } from "${lib}native.ts";
import { processInfo } from "${lib}proc/process.ts";
import { currentLibos } from "${lib}libos.ts";
const s = sys();
s.waitpid(s.spawn({ program: "true" }), 0); // starts the pool
const pool = () => processInfo(currentLibos()!.kernel).spawnPool!;
for (let i = 0; i < 2000 && pool().ready < pool().target; i++) await new Promise((r) => setTimeout(r, 5));
const full = pool().ready >= 1 && pool().ready === pool().target;
const [r, w] = s.pipe(O.CLOEXEC);
const pid = s.spawn({
  program: "/code/pipeline.wasm",
  argv: ["pipeline", "/code/pipeline.wasm", "produce", "3"],
  fdActions: [{ op: "dup2", fd: w, newfd: 1 }],
});
s.close(w);
const b = new Uint8Array(4096);
let text = "";
for (let n; (n = s.read(r, b)) > 0;) text += new TextDecoder().decode(b.subarray(0, n));
console.log(JSON.stringify({ full, text, code: s.waitpid(pid, 0).code }));
`,
      );
      const m = manifestFromObject({
        loader: { entrypoint: "parent.ts" },
        fs: { mounts: [{ path: "/code", uri: "file:.", readonly: true }] },
        sys: { wall_time: "30s", isolation, max_processes: 6 },
      }, { baseDir: `${dir}/` });
      await using sb = await Sandbox.create(m);
      const out = await sb.run();
      assert.equal(out.code, 0, dec.decode(out.stderr));
      const r = JSON.parse(dec.decode(out.stdout).trim().split("\n").at(-1)!);
      assert.deepEqual(r, { full: true, text: "line 1\nline 2\nline 3\n", code: 0 });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
