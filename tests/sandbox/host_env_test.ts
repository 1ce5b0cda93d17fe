/**
 * The sandbox host process (`process` isolation, sandbox/link.ts) starts with a minimal
 * environment: none of the embedding app's variables (a secret there stays there), and Deno's
 * check for a newer release turned off, so the host makes no network traffic of its own (with a
 * new DENO_DIR it looked up dl.deno.land before). Read from /proc/<pid>/environ of this test
 * process's children that run a sandbox host, while this sandbox runs (`deno test --parallel`
 * runs other test files in this process too: every host must pass).
 */
import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/sandbox.ts";

/** Pids of this process's children whose command line names `needle`. */
function childrenRunning(needle: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== Deno.pid) continue;
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (cmd.includes(needle)) out.push(Number(e.name));
    } catch (_e) {
      // The process ended meanwhile.
    }
  }
  return out;
}

Deno.test({
  name: "the process host's environment: no variable of the embedder, no update check",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sp_host_env_" });
    Deno.env.set("SANDPIPER_TEST_SECRET", "do-not-pass");
    try {
      await Deno.writeTextFile(
        `${dir}/app.js`,
        "await new Promise((r) => setTimeout(r, 300));\n",
      );
      await Deno.writeTextFile(
        `${dir}/app.toml`,
        `[loader]\nentrypoint = "app.js"\n[sys]\nisolation = "process"\nwall_time = "30s"\n`,
      );
      await using sb = await Sandbox.create(`${dir}/app.toml`, { isolation: "process" });
      const run = sb.run();
      const allowed = ["DENO_NO_UPDATE_CHECK", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "PATH"];
      allowed.push("NO_COLOR", "TMPDIR");
      let seen = 0;
      for (const pid of childrenRunning("process_main.ts")) {
        let text: string;
        try {
          text = Deno.readTextFileSync(`/proc/${pid}/environ`);
        } catch (_e) {
          continue; // another test's host ended meanwhile
        }
        const env = Object.fromEntries(
          text.split("\0").filter((l) => l)
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
        );
        assert.equal(env.DENO_NO_UPDATE_CHECK, "1");
        assert.equal(env.SANDPIPER_TEST_SECRET, undefined);
        for (const k of Object.keys(env)) assert.ok(allowed.includes(k), `unexpected ${k}`);
        seen++;
      }
      assert.ok(seen >= 1, "this sandbox's host process was found");
      assert.equal((await run).code, 0);
    } finally {
      Deno.env.delete("SANDPIPER_TEST_SECRET");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
