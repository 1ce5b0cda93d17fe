// The guest side of the PAL (pal/guest/pal.ts) in real sandboxes: every guest-served call in
// both forms, VMAs with faults and the host-enforced quota, and threads (extra Workers of a
// picoprocess sharing its VMAs, events and host handles), under both isolation levels.
import assert from "node:assert/strict";
import { join } from "node:path";
import { sandboxHost } from "./conformance.ts";

async function world(argv: string[]): Promise<{ root: string; manifest: string }> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sandpiper-gpal-" }));
  await Deno.mkdir(join(root, "app"));
  for (
    const [from, to] of [["conformance_guest_local.ts", "guest.ts"], [
      "thread_fns.ts",
      "thread_fns.ts",
    ]] as const
  ) {
    await Deno.copyFile(
      new URL(`./fixtures/${from}`, import.meta.url),
      join(root, "app", to),
    );
  }
  const manifest = join(root, "app", "gpal.toml");
  await Deno.writeTextFile(
    manifest,
    `[loader]
entrypoint = "guest.ts"
argv = ${JSON.stringify(["guest", ...argv])}

[[fs.mounts]]
path = "/t"
type = "tmpfs"
size = "1M"

[sys]
max_threads = 3
vma_quota = "1M"
`,
  );
  return { root, manifest };
}

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`GuestPal: every guest call, VMAs and threads (${isolation} isolation)`, async (t) => {
    const { root, manifest } = await world([]);
    try {
      const out = await sandboxHost(isolation).run(manifest);
      assert.equal(out.code, 0, `guest exited ${out.code}: ${out.stdout}${out.stderr}`);
      const results = out.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assert.ok(results.length >= 18, `only ${results.length} checks reported`);
      for (const r of results) {
        await t.step({ name: r.name, fn: () => assert.ok(r.ok, r.detail) });
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

Deno.test("GuestPal: an uncaught error in a thread ends its process with code 1", async () => {
  const { root, manifest } = await world(["crash"]);
  try {
    const out = await sandboxHost("worker").run(manifest);
    assert.equal(out.code, 1, out.stdout);
    assert.match(out.stderr, /Uncaught in thread 1: .*thread crashed on purpose/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
