/**
 * A spawned or forked child boots from its init message alone: the host opened its stdio
 * devices in its handle table and gave it its signal table slot (sandbox/host/proc_table.ts
 * `bootGifts`), so no child calls `signal_table` or opens a `dev:` stdio device itself — and
 * its stdio, redirections and pipes still work. The first process boots the same way.
 */
import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { LEVELS } from "./_sb.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

async function traced(isolation: "worker" | "process", scenario: string) {
  const dir = await Deno.makeTempDir({ prefix: "sp_boot_" });
  const toml = [
    "[loader]",
    `entrypoint = "${FIXTURES}procs.ts"`,
    'argv = ["procs"]',
    "[fs]",
    'root = "/"',
    `mounts = [{ path = "/tmp", type = "tmpfs", size = "4M" }, { path = "/code", uri = "file:${FIXTURES}", readonly = true }]`,
    "[sys]",
    `isolation = "${isolation}"`,
    'wall_time = "60s"',
  ].join("\n");
  await Deno.writeTextFile(`${dir}/app.toml`, toml);
  const lines: string[] = [];
  const sb = await Sandbox.create(`${dir}/app.toml`, { isolation, trace: (l) => lines.push(l) });
  try {
    const out = await sb.run({ argv: ["procs", scenario] });
    const stdout = new TextDecoder().decode(out.stdout);
    const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1);
    if (!line) throw new Error(`no report (code ${out.code}): ${stdout}`);
    return { report: JSON.parse(line), stdout, lines };
  } finally {
    await sb.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Calls a process would make at boot without the host's gifts (any pid, the first one too). */
const BOOT_CALL = /\] (signal_table\(|stream_open\("dev:std)/;

for (const iso of LEVELS) {
  Deno.test(`[${iso}] spawned and forked children make no boot-time host calls`, async () => {
    const fork = await traced(iso, "fork");
    assert.equal(fork.report.code, 0);
    assert.match(fork.stdout, /child got 42 a\+b ppid=1/);
    const pipeline = await traced(iso, "pipeline");
    assert.deepEqual(pipeline.report, {
      code: 0,
      out: "3\nalt 0\nx\n/home/me\n",
      err: "",
    });
    // Several children ran (sh, echo, cat, wc, false, ls...), none asked for its table or stdio.
    assert.ok(pipeline.lines.some((l) => / pid [3-9]\]/.test(l)), "children were traced");
    assert.deepEqual([...fork.lines, ...pipeline.lines].filter((l) => BOOT_CALL.test(l)), []);
  });
}
