// A guest that bypasses the libOS — raw Deno APIs and a bare PAL client — cannot leave its
// sandbox. Each attempt is listed by name; the test fails if any of them succeeds.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Sandbox } from "../../sandbox/sandbox.ts";

const RAW_BOOT = new URL("./fixtures/raw_boot.ts", import.meta.url).href;

async function world() {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sandpiper-escape-" }));
  const outside = join(root, "outside");
  const mount = join(root, "mount");
  await Deno.mkdir(outside);
  await Deno.mkdir(mount);
  await Deno.mkdir(join(root, "ro"));
  await Deno.mkdir(join(root, "app"));
  await Deno.writeTextFile(join(outside, "secret.txt"), "TOP-SECRET");
  await Deno.writeTextFile(join(outside, "secret.json"), '{"secret": "TOP-SECRET"}');
  await Deno.writeTextFile(join(mount, "data.txt"), "public data");
  await Deno.symlink(outside, join(mount, "escape"));
  await Deno.copyFile(
    new URL("./fixtures/apps/attacks.ts", import.meta.url),
    join(root, "app", "attacks.ts"),
  );
  const manifest = join(root, "app", "app.toml");
  await Deno.writeTextFile(
    manifest,
    `[loader]
entrypoint = "attacks.ts"
argv = ["attacks", "${outside}", "${mount}"]

[[fs.mounts]]
path = "/data"
uri = "file:../mount"

[[fs.mounts]]
path = "/ro"
uri = "file:../ro"
readonly = true

[sys]
isolation = "worker"
`,
  );
  return { root, manifest };
}

const MUST_FAIL = [
  "deno-read-outside",
  "deno-read-mount-direct",
  "deno-read-symlink-in-mount",
  "deno-write-mount-direct",
  "deno-read-dotdot",
  "deno-read-file-url",
  "deno-read-proc-self",
  "deno-read-etc",
  "deno-env",
  "deno-env-object",
  "deno-run",
  "deno-ffi",
  "deno-sys",
  "deno-symlink",
  "deno-net-unlisted",
  "dynamic-import-outside",
  "worker-escalation",
  "pal-symlink-escape",
  "pal-dotdot",
  "pal-absolute",
  "pal-write-readonly",
  "pal-no-such-mount",
  "pal-net-unlisted",
];

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`a guest bypassing the libOS cannot escape its sandbox (${isolation} isolation)`, async (t) => {
    const { root, manifest } = await world();
    try {
      const sb = await Sandbox.create(manifest, { isolation, bootUrl: RAW_BOOT });
      const out = await sb.run();
      await sb.close();
      const text = new TextDecoder().decode(out.stdout);
      const results = new Map<string, { ok: boolean; value?: string; error?: string }>();
      for (const line of text.trim().split("\n")) {
        const r = JSON.parse(line);
        results.set(r.name, r);
      }
      assert.equal(
        out.code,
        0,
        `guest exited ${out.code}: ${text}${new TextDecoder().decode(out.stderr)}`,
      );
      for (const name of MUST_FAIL) {
        await t.step(name, () => {
          const r = results.get(name);
          assert.ok(r, `attempt ${name} did not report`);
          assert.equal(r.ok, false, `${name} succeeded: ${r.value}`);
          assert.ok(!String(r.error).includes("TOP-SECRET"));
        });
      }
      await t.step("the granted mount is readable through the PAL", () => {
        const r = results.get("pal-read-mount");
        assert.deepEqual(r, { name: "pal-read-mount", ok: true, value: "public data" });
      });
      assert.ok(!text.includes("TOP-SECRET"), "a secret leaked into the output");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

Deno.test("a sandbox refuses to start when its code directory holds a symlink to the outside", async () => {
  const { root, manifest } = await world();
  try {
    await Deno.symlink(join(root, "outside"), join(root, "app", "peek"));
    await assert.rejects(
      () => Sandbox.create(manifest, { isolation: "worker", bootUrl: RAW_BOOT }),
      (e: Error) => e.name === "SandboxError" && e.message.includes("peek"),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
