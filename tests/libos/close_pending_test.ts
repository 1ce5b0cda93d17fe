/**
 * Closing a `Deno.FsFile` while its operations are under way behaves as in Deno: a write or stat
 * started before `close()` completes (a `using` scope may return `file.write(p)` unawaited), a
 * read waiting on a FIFO is rejected with Interrupted, and the program ends instead of waiting for
 * it. One fixture runs directly under Deno and in a sandbox; the outputs must be the same, and in
 * the sandbox the cancelled read must take no bytes written to its FIFO later (real Deno's does).
 */
import assert from "node:assert/strict";
import { runDirect, runGuest } from "./_sandbox.ts";

const fixture = new URL("./fixtures/close_pending.ts", import.meta.url).pathname;
const SANDBOX_ONLY = "sandbox: after the cancelled read, its FIFO keeps every byte";

Deno.test("deno personality: close() while operations are under way, as in Deno", async () => {
  const a = await Deno.makeTempDir({ prefix: "sp_close_direct_" });
  const b = await Deno.makeTempDir({ prefix: "sp_close_sandbox_" });
  try {
    const direct = await runDirect(
      [`--allow-read=${a}`, `--allow-write=${a}`, "--allow-run=mkfifo", fixture, a],
    );
    const want = { ...direct, stderr: "" };
    assert.equal(direct.stderr, "");
    assert.match(want.stdout, /write returned from a using scope \[16,"kept after close"\]/);
    assert.match(
      want.stdout,
      /a FIFO read waiting, then close !> Interrupted "operation canceled"/,
    );
    // On both backends: FIFOs of a tmpfs are its own, a chroot mount's are emulated by the host.
    for (
      const mount of [{ path: "/work", type: "tmpfs" as const }, { path: "/work", hostDir: b }]
    ) {
      const got = await runGuest({ entry: fixture, mounts: [mount], argv: ["/work", "sandbox"] });
      const lines = got.stdout.split("\n");
      assert.ok(lines.includes(`${SANDBOX_ONLY} "0123456789abcdefXYZ"`), got.stdout);
      const shared = lines.filter((l) => !l.startsWith(SANDBOX_ONLY)).join("\n");
      assert.deepEqual({ ...got, stdout: shared }, want);
    }
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});
