/**
 * Escape attempts from inside a real sandbox: `..`, absolute paths, host symlinks pointing out
 * (absolute, relative, to a directory), guest-made symlinks, /proc and /dev links, file: URLs,
 * NUL and overlong names — through the native API and the Deno personality.
 */
import assert from "node:assert/strict";
import { runGuest } from "./_sandbox.ts";

Deno.test("no path form reads a host file outside the mounts", async () => {
  const outside = await Deno.makeTempDir({ prefix: "sp_escape_" });
  const secret = `secret-${crypto.randomUUID()}`;
  await Deno.writeTextFile(`${outside}/secret.txt`, secret);
  await Deno.chmod(`${outside}/secret.txt`, 0o600);
  const data = `${outside}/data`;
  await Deno.mkdir(`${data}/sub`, { recursive: true });
  await Deno.writeTextFile(`${data}/ok.txt`, "fine");
  await Deno.symlink(`${outside}/secret.txt`, `${data}/out_abs`);
  await Deno.symlink("../secret.txt", `${data}/out_rel`);
  await Deno.symlink(outside, `${data}/out_dir`);
  try {
    const r = await runGuest({
      entry: new URL("./fixtures/escape_attempts.ts", import.meta.url).pathname,
      mounts: [{ path: "/data", hostDir: data }, { path: "/tmp", type: "tmpfs" }],
      env: { SECRET: secret, SECRET_PATH: `${outside}/secret.txt`.slice(1) },
    });
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stdout, /^LEAK /m);
    assert.match(r.stdout, /NO LEAKS\n$/);
    // Every attempt was made (17 paths × 2 APIs + 3 URLs + 4 chmods + 5 fetches + readDir / +
    // the code directory's parent, a file beside it and a write into it + 6 denied APIs).
    assert.equal(r.stdout.split("\n").filter((l) => l.startsWith("held ")).length, 56);
    assert.equal((await Deno.stat(`${outside}/secret.txt`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});
