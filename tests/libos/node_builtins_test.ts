/**
 * Node built-in modules in a picoprocess (tests/libos/fixtures/node/): they load (Deno's
 * node:process reads Deno.execPath(), the sandbox's "/bin/deno"); node:process's stdout, stderr
 * and stdin are the picoprocess's (install.ts `redirectDenoStdio`: Deno's own stdio objects, whose
 * resources on the process's stdio pal/guest/seal.ts closed, read and write its fds), never the
 * host process's (its control channel) or the embedding app's;
 * `new Deno.Command(Deno.execPath(), { args: ["run", script] })` starts a picoprocess, and so
 * does `deno run` in the sandbox's shell (libos/proc/process.ts `denoRun`; /bin lists deno).
 */
import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/sandbox.ts";

const FIXTURE = new URL("./fixtures/node/main.js", import.meta.url).pathname;

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`node built-ins load; node:process's stdio is the picoprocess's (${isolation})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "sp_node_" });
    try {
      await Deno.writeTextFile(
        `${dir}/app.toml`,
        `[loader]\nentrypoint = "${FIXTURE}"\n[sys]\nwall_time = "60s"\n`,
      );
      const sb = await Sandbox.create(`${dir}/app.toml`, { isolation });
      try {
        const out = await sb.run({ stdin: "one\ntwo\n" });
        const dec = new TextDecoder();
        const [first, json] = dec.decode(out.stdout).split("\n");
        assert.equal(out.code, 0, dec.decode(out.stderr));
        assert.equal(first, "through node:process");
        assert.equal(dec.decode(out.stderr), "to stderr\n");
        assert.deepEqual(JSON.parse(json!), {
          loaded: "all",
          execPath: ["/bin/deno", "/bin/deno"],
          lines: ["one", "two"],
          tty: false,
          child: "child a,b",
          shell: ["10", "1"],
          execPathIsFile: true,
        });
      } finally {
        await sb.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
