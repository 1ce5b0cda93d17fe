/**
 * Run Yosys in a sandbox that grants only its inputs (read-only), its data files (read-only)
 * and a private tmpfs: synthesize in/counter.v for an iCE40 FPGA and print the cell statistics.
 *
 *   deno run --no-prompt --allow-all examples/wasi/yosys/yosys.ts [file.v top]
 */
import { dirname, join } from "node:path";
import { Sandbox } from "../../../sandbox/sandbox.ts";
import { manifestFromObject } from "../../../sandbox/manifest.ts";
import { fetchYosys } from "./fetch.ts";

const HERE = dirname(new URL(import.meta.url).pathname);

/** Synthesize `top` from Verilog in `inDir`; returns Yosys's exit code, stdout and stderr. */
export async function synthesize(inDir: string, file: string, top: string) {
  const { wasm, share } = await fetchYosys();
  const m = manifestFromObject({
    loader: {
      entrypoint: wasm,
      argv: [
        "yosys",
        "-Q",
        "-T",
        "-p",
        // ABC (in-process in this build) exits 1 under Sandpiper today: see docs/wasi.md.
        `read_verilog /in/${file}; synth_ice40 -top ${top} -noabc9 -noabc; stat`,
      ],
    },
    fs: {
      mounts: [
        { path: "/in", uri: `file:${inDir}`, readonly: true },
        { path: "/share", uri: `file:${share}`, readonly: true },
        { path: "/tmp", type: "tmpfs", size: "64M" },
      ],
    },
    sys: { max_memory: "1G", wall_time: "2m" },
  }, { baseDir: HERE });
  await using sb = await Sandbox.create(m);
  const out = await sb.run({});
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

if (import.meta.main) {
  const [file = "counter.v", top = "counter"] = Deno.args;
  const r = await synthesize(join(HERE, "in"), file, top);
  // The log ends with the statistics of the synthesized design.
  console.log(r.stdout.slice(r.stdout.lastIndexOf("Printing statistics")) + r.stderr);
  Deno.exit(r.code);
}
