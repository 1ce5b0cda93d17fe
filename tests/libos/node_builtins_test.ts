/**
 * Node built-in modules in a picoprocess (tests/libos/fixtures/node/): they load (Deno's
 * node:process reads Deno.execPath() as it does, the sandbox's "/bin/deno"); a write to
 * node:process's stdout, which is the process's real stdout, fails with BadResource instead of
 * reaching the host's control channel or the embedding app's terminal (pal/guest/seal.ts);
 * `new Deno.Command(Deno.execPath(), { args: ["run", script] })` starts a picoprocess.
 */
import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/sandbox.ts";

const FIXTURE = new URL("./fixtures/node/main.js", import.meta.url).pathname;

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`node built-ins load; the process's stdout stays out of reach (${isolation})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "sp_node_" });
    try {
      await Deno.writeTextFile(
        `${dir}/app.toml`,
        `[loader]\nentrypoint = "${FIXTURE}"\n[sys]\nwall_time = "60s"\n`,
      );
      const sb = await Sandbox.create(`${dir}/app.toml`, { isolation });
      try {
        const out = await sb.run();
        const dec = new TextDecoder();
        const stdout = dec.decode(out.stdout);
        assert.equal(out.code, 0, dec.decode(out.stderr));
        assert.deepEqual(JSON.parse(stdout), {
          loaded: "all",
          execPath: ["/bin/deno", "/bin/deno"],
          stdout: "BadResource",
          child: "child a,b",
        });
        assert.doesNotMatch(stdout, /RAW STDOUT/);
      } finally {
        await sb.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
