// The watchdog (sys.watchdog) ends runaway processes, not waiting ones: a process blocked in a
// pipe read, poll or msgrcv for longer than the timeout (its peer answers from a timer) must
// finish; and its heartbeat is no work that keeps a process alive ("pooled": children whose
// personality was installed while their Worker warmed up end once idle; "warming": children that
// took a Worker still warming up get their heartbeat period with their init message and beat
// while blocked). The busy-loop side is tests/hostile/limits_test.ts.
import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { LEVELS } from "./_sb.ts";

const FIXTURE = new URL("./fixtures/watchdog_blocked.ts", import.meta.url).pathname;

for (const isolation of LEVELS) {
  for (const mode of ["pipe", "poll", "msg", "pooled", "warming"]) {
    Deno.test(`watchdog: a process blocked in ${mode} past sys.watchdog is not runaway (${isolation})`, async () => {
      const dir = await Deno.makeTempDir({ prefix: "sp_wd_" });
      try {
        await Deno.writeTextFile(
          `${dir}/app.toml`,
          `[loader]\nentrypoint = "${FIXTURE}"\n[fs]\nroot = "/"\n[sys]\nisolation = "${isolation}"\nwatchdog = "400ms"\nwall_time = "30s"\n${
            mode === "warming" ? "spawn_pool = 4\n" : ""
          }`,
        );
        await using sb = await Sandbox.create(`${dir}/app.toml`, { isolation });
        const out = await sb.run({ argv: ["wd", mode] });
        const text = new TextDecoder().decode(out.stdout);
        assert.equal(out.limit, null, `${out.limit?.message}`);
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        const r = JSON.parse(text.trim().split("\n").at(-1)!);
        const got = { msg: 66, pooled: 67, warming: 68 }[mode] ?? 65;
        assert.deepEqual(r, { ok: true, mode, got });
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
}
