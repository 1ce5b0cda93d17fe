// Subprocesses from inside a sandbox: `/bin/sh` and `Deno.Command` run *sandbox* programs
// (picoprocesses), so a command printing "pwned" is not an escape. What must hold: no host
// process runs (a command cannot write a host file or see a host env var), and a fork bomb
// through `Deno.Command` stops at sys.max_processes while the host and a neighbour carry on.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Isolation } from "../../sandbox/manifest.ts";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { assertHostAlive, makeWorld, neighbour, SECRET } from "./_world.ts";

/** The JSON lines of a run's stdout. */
function lines(stdout: Uint8Array): Record<string, unknown>[] {
  return new TextDecoder().decode(stdout).split("\n").filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}

for (const isolation of ["worker", "process"] as Isolation[]) {
  Deno.test(`hostile: /bin/sh inside the sandbox runs no host process (${isolation})`, async () => {
    const w = await makeWorld();
    Deno.env.set("SANDPIPER_HOST_SECRET", SECRET);
    try {
      const hostFile = join(w.outside, "pwned.txt");
      const m = await w.manifest("commands.ts", { isolation, argv: ["sh-escape", hostFile] });
      await using sb = await Sandbox.create(m);
      const [out] = await Promise.all([sb.run(), neighbour()]);
      const all = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.ok(!all.includes(SECRET), `a host env var leaked: ${all}`);
      const [sh, direct] = lines(out.stdout);
      assert.ok(sh, `no report: ${all}`);
      assert.match(String(sh.stdout), /^pwned\nenv=\[\]\n/, "the sandbox's sh ran");
      // The host path names nothing of the host inside the sandbox (here it lands in the
      // sandbox's own /tmp tmpfs, or fails): what matters is that the host file never appears.
      assert.equal(direct!.env, null);
      assert.equal(
        await Deno.stat(hostFile).then(() => true, () => false),
        false,
        "host file written",
      );
      await assertHostAlive(sb);
    } finally {
      Deno.env.delete("SANDPIPER_HOST_SECRET");
      await w.dispose();
    }
  });

  Deno.test(`hostile: a Deno.Command fork bomb stops at max_processes (${isolation})`, async () => {
    const w = await makeWorld();
    try {
      const m = await w.manifest("commands.ts", {
        isolation,
        argv: ["command-bomb"],
        sys: "max_processes = 6",
      });
      await using sb = await Sandbox.create(m);
      const [out] = await Promise.all([sb.run(), neighbour()]);
      const [bomb, again] = lines(out.stdout);
      assert.ok(bomb, new TextDecoder().decode(out.stderr));
      assert.ok((bomb.spawned as number) <= 5, `spawned ${bomb.spawned} children`);
      assert.notEqual(bomb.error, "none");
      assert.deepEqual(again, { again: "again" });
      assert.equal(out.code, 0);
      await assertHostAlive(sb);
    } finally {
      await w.dispose();
    }
  });
}
