/**
 * WASI bench: the same .wasm programs under Sandpiper (a sandbox, the libOS, our preview1
 * layer) and under node:wasi in Node, same inputs, same run. Prints
 * name | ours median | baseline median | ratio.
 *
 *   deno run --no-prompt --allow-all bench/wasi_bench.ts [runs]
 *
 * Ours is timed around `Sandbox.run` (picoprocess start, compile, run, exit); node:wasi inside
 * its Node process around compile + instantiate + start (so Node's own startup is not counted).
 */
import { join } from "node:path";
import { Sandbox } from "../sandbox/sandbox.ts";
import { manifestFromObject } from "../sandbox/manifest.ts";
import { fetchYosys } from "../examples/wasi/yosys/fetch.ts";

const runs = Number(Deno.args[0] ?? 5);
const ROOT = new URL("..", import.meta.url).pathname;
const NODE_RUNNER = `
const { WASI } = require("node:wasi");
const fs = require("node:fs");
const [wasm, preopens, ...args] = process.argv.slice(1);
const t0 = performance.now();
// The program's stdio are /dev/null fds of its own: Yosys closes fds 1 and 2 around its in-process
// ABC, and node:wasi would close Node's own stderr (where the timing goes).
const stdout = fs.openSync("/dev/null", "w"), stderr = fs.openSync("/dev/null", "w");
const wasi = new WASI({ version: "preview1", args, env: {}, preopens: JSON.parse(preopens), returnOnExit: true, stdout, stderr });
const inst = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(wasm)), wasi.getImportObject());
const code = wasi.start(inst);
process.stderr.write("BENCH " + (performance.now() - t0) + " " + code + "\\n");
`;

interface Case {
  name: string;
  wasm: string;
  argv: string[];
  /** guest path → host directory (chroot mounts, and node:wasi preopens) */
  dirs: Record<string, string>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function ours(c: Case): Promise<number> {
  const m = manifestFromObject({
    loader: { entrypoint: c.wasm, argv: c.argv },
    fs: { mounts: Object.entries(c.dirs).map(([path, host]) => ({ path, uri: `file:${host}` })) },
    sys: { max_memory: "1G", wall_time: "5m" },
  }, { baseDir: ROOT });
  await using sb = await Sandbox.create(m);
  const t0 = performance.now();
  const out = await sb.run({});
  const ms = performance.now() - t0;
  if (out.code !== 0) throw new Error(`${c.name}: exit ${out.code} under Sandpiper`);
  return ms;
}

function node(c: Case): number {
  const r = new Deno.Command("node", {
    args: ["--no-warnings", "-e", NODE_RUNNER, c.wasm, JSON.stringify(c.dirs), ...c.argv],
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  const line = new TextDecoder().decode(r.stderr).split("\n").find((l) => l.startsWith("BENCH "));
  const [, ms, code] = (line ?? "").split(" ");
  if (code !== "0") throw new Error(`${c.name}: node:wasi failed: ${line}`);
  return Number(ms);
}

const tmp = Deno.makeTempDirSync({ prefix: "wasi-bench-" });
const { wasm: yosys, share } = await fetchYosys();
const cases: Case[] = [
  {
    name: "yosys synth_ice40 counter.v",
    wasm: yosys,
    argv: [
      "yosys",
      "-q",
      "-p",
      "read_verilog /in/counter.v; synth_ice40 -top counter",
    ],
    dirs: { "/in": join(ROOT, "examples/wasi/yosys/in"), "/share": share, "/tmp": tmp },
  },
  {
    name: "syscalls.c (20k write, 20k read, 10k stat)",
    wasm: join(ROOT, "tests/wasi/fixtures/syscalls.wasm"),
    argv: ["syscalls", "/work/bench.dat", "20000"],
    dirs: { "/work": tmp },
  },
];

console.log("name | ours median | baseline (node:wasi) median | ratio");
console.log("--- | --- | --- | ---");
for (const c of cases) {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await ours(c));
    b.push(node(c));
  }
  const ma = median(a);
  const mb = median(b);
  console.log(`${c.name} | ${ma.toFixed(1)} ms | ${mb.toFixed(1)} ms | ${(ma / mb).toFixed(2)}×`);
}
Deno.removeSync(tmp, { recursive: true });
