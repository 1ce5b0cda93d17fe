/**
 * The VFS conformance suite (fixtures/vfs_suite.ts) run inside real sandboxes, once over a
 * tmpfs mount and once over a chroot mount: one suite, both backends.
 */
import assert from "node:assert/strict";
import { runGuest } from "./_sandbox.ts";

const entry = new URL("./fixtures/vfs_suite.ts", import.meta.url).pathname;
const EXPECTED_CHECKS = 19;

async function suite(t: Deno.TestContext, kind: "tmpfs" | "chroot"): Promise<void> {
  const ro = await Deno.makeTempDir({ prefix: "sp_ro_" });
  const rw = await Deno.makeTempDir({ prefix: "sp_rw_" });
  try {
    if (kind === "chroot") {
      // A guest cannot create symlinks on a host directory (Deno needs unscoped permissions
      // for that), so the links the suite uses exist beforehand.
      await Deno.mkdir(`${rw}/d`);
      for (
        const [name, target] of [
          ["ln_rel", "a"],
          ["ln_abs", "/t/a"],
          ["ln_chain", "ln_rel"],
          ["loop1", "loop2"],
          ["loop2", "loop1"],
          ["ln_dir", "d"],
          ["dangling", "missing"],
        ]
      ) await Deno.symlink(target!, `${rw}/${name}`);
      await Deno.remove(`${rw}/d`);
    }
    const t0 = kind === "tmpfs"
      ? { path: "/t", type: "tmpfs" as const, size: "4M" }
      : { path: "/t", hostDir: rw };
    const r = await runGuest({
      entry,
      mounts: [t0, { path: "/ro", hostDir: ro, readonly: true }, { path: "/other", type: "tmpfs" }],
      env: {
        MOUNT: "/t",
        PRELINKED: kind === "chroot" ? "1" : "0",
        FULL_TEST: kind === "tmpfs" ? "1" : "0",
      },
    });
    const lines = r.stdout.trim().split("\n");
    for (const line of lines.filter((l) => l.startsWith("ok ") || l.startsWith("FAIL "))) {
      const name = line.startsWith("ok ") ? line.slice(3) : line.slice(5).split(": ")[0]!;
      await t.step(name, () => {
        assert.ok(line.startsWith("ok "), line);
      });
    }
    assert.equal(r.stderr, "");
    assert.equal(lines.at(-1), "ALL PASSED");
    assert.equal(r.code, 0);
    const ran = lines.filter((l) => l.startsWith("ok ")).length;
    assert.equal(ran, kind === "tmpfs" ? EXPECTED_CHECKS + 1 : EXPECTED_CHECKS);
  } finally {
    await Deno.remove(ro, { recursive: true });
    await Deno.remove(rw, { recursive: true });
  }
}

Deno.test("VFS conformance over a tmpfs mount", (t) => suite(t, "tmpfs"));
Deno.test("VFS conformance over a chroot mount", (t) => suite(t, "chroot"));
