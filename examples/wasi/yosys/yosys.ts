/**
 * Run Yosys in a sandbox that grants only its inputs (read-only), its data files (read-only),
 * a private tmpfs and a host directory for its log: synthesize in/counter.v for an iCE40 FPGA
 * with the default flow (ABC9 included) and print the cell statistics.
 *
 *   deno run --no-prompt --allow-all examples/wasi/yosys/yosys.ts [file.v top]
 */
import { dirname, join } from "node:path";
import { Sandbox } from "../../../sandbox/sandbox.ts";
import { manifestFromObject } from "../../../sandbox/manifest.ts";
import { fetchYosys } from "./fetch.ts";

const HERE = dirname(new URL(import.meta.url).pathname);

/**
 * Synthesize `top` from Verilog in `inDir`; returns Yosys's exit code, its log and stderr.
 *
 * The log is Yosys's `-l` file, not its stdout: this build runs ABC in-process and swaps fds
 * 1 and 2 with fd_renumber around it the way the preview1 component adapter allows (renumbering
 * onto a closed fd); under preview1 as wasmtime, node:wasi and Sandpiper implement it (both fds
 * open) the swap back fails and stdout/stderr stay closed after ABC.
 */
export async function synthesize(inDir: string, file: string, top: string) {
  const { wasm, share } = await fetchYosys();
  const out = Deno.makeTempDirSync({ prefix: "yosys-out-" });
  try {
    const m = manifestFromObject({
      loader: {
        entrypoint: wasm,
        argv: [
          "yosys",
          "-Q",
          "-T",
          "-l",
          "/out/yosys.log",
          "-p",
          `read_verilog /in/${file}; synth_ice40 -top ${top}; stat`,
        ],
      },
      fs: {
        mounts: [
          { path: "/in", uri: `file:${inDir}`, readonly: true },
          { path: "/share", uri: `file:${share}`, readonly: true },
          { path: "/tmp", type: "tmpfs", size: "64M" },
          { path: "/out", uri: `file:${out}` },
        ],
      },
      sys: { max_memory: "1G", wall_time: "2m" },
    }, { baseDir: HERE });
    await using sb = await Sandbox.create(m);
    const r = await sb.run({});
    let log = "";
    try {
      log = Deno.readTextFileSync(join(out, "yosys.log"));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return { code: r.code, stdout: log, stderr: new TextDecoder().decode(r.stderr) };
  } finally {
    Deno.removeSync(out, { recursive: true });
  }
}

if (import.meta.main) {
  const [file = "counter.v", top = "counter"] = Deno.args;
  const r = await synthesize(join(HERE, "in"), file, top);
  // The log ends with the statistics of the synthesized design.
  console.log(r.stdout.slice(r.stdout.lastIndexOf("Printing statistics")) + r.stderr);
  Deno.exit(r.code);
}
