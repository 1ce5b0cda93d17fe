/**
 * The errors of the Deno personality are Deno's: a fixture runs failing file operations directly
 * under `deno run` on a temp directory and in a sandbox on a mount of another one, and prints each
 * error's class, name, message and code; the outputs must be the same. Covered here: a read or
 * write on a file not opened for it (a plain Error with EBADF, not BadResource), the two paths of
 * rename, symlink, link and copy in the message (`'a' -> 'b'`), and the `signal` option of
 * readFile, readTextFile, writeFile and writeTextFile (an aborted signal rejects with its reason and
 * writes nothing).
 */
import assert from "node:assert/strict";
import { runDirect, runGuest } from "./_sandbox.ts";

const fixture = new URL("./fixtures/deno_errors.ts", import.meta.url).pathname;

Deno.test("deno personality: failing file operations throw what Deno throws", async () => {
  const a = await Deno.makeTempDir({ prefix: "sp_errors_direct_" });
  const b = await Deno.makeTempDir({ prefix: "sp_errors_sandbox_" });
  try {
    // All permissions, as a sandbox's program has all of its VFS: Deno's errors differ when a
    // permission check sees the path first (a path with NUL), and symlink needs unscoped access
    // anyway. The fixture touches its directory only. NO_COLOR empty: Deno.noColor is false, as
    // in a sandbox whose environment has no NO_COLOR.
    const direct = await runDirect(["--allow-all", fixture, a], { NO_COLOR: "" });
    const want = { ...direct, stderr: "" };
    assert.equal(direct.stderr, "");
    assert.match(want.stdout, /read on a write-only file !> Error Error "Bad file descriptor/);
    // On a chroot mount and on a tmpfs: the two backends answer the VFS's calls each its own way.
    for (
      const mount of [{ path: "/work", hostDir: b }, { path: "/work", type: "tmpfs" as const }]
    ) {
      const got = await runGuest({ entry: fixture, mounts: [mount], argv: ["/work"] });
      assert.deepEqual(got, want, JSON.stringify(mount));
    }
    // Deno.noColor follows the sandbox's own environment.
    const colorless = await runGuest({
      entry: fixture,
      mounts: [{ path: "/work", type: "tmpfs" }],
      argv: ["/work"],
      env: { NO_COLOR: "1" },
    });
    assert.match(want.stdout, /^noColor => false$/m);
    assert.equal(colorless.stdout, want.stdout.replace("noColor => false", "noColor => true"));
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});
