/**
 * `fs.trusted_files` in a running sandbox, under both isolation levels: an unmodified Deno
 * program reads a trusted file whose bytes match the manifest's sha256; one whose bytes do not
 * is refused with the file named, as is a write to a trusted file; a large trusted file changed
 * after it was verified fails at the read that touches the change. The host loads node:crypto
 * for these only because the manifest lists them (pal/host/lazy_node.ts).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Sandbox } from "../../sandbox/sandbox.ts";

const GUEST = `
const out = {};
const tryIt = (k, f) => { try { out[k] = f(); } catch (e) { out[k] = e.name + ": " + e.message; } };
tryIt("ok", () => Deno.readTextFileSync("/data/ok.txt"));
tryIt("bad", () => Deno.readTextFileSync("/data/bad.txt"));
tryIt("write", () => Deno.writeTextFileSync("/data/ok.txt", "changed"));
tryIt("plain", () => Deno.readTextFileSync("/data/plain.txt"));
// A large trusted file: verified whole at open, then chunk by chunk as it is read.
const f = Deno.openSync("/data/big.bin");
const buf = new Uint8Array(64 << 10);
tryIt("bigFirst", () => f.readSync(buf));
// The host file changes behind the verified open (the test does it between two lines it reads).
Deno.stdout.writeSync(new TextEncoder().encode("ready\\n"));
const line = new Uint8Array(16);
Deno.stdin.readSync(line);
f.seekSync(3 << 20, Deno.SeekMode.Start);
tryIt("bigChanged", () => f.readSync(buf));
f.close();
console.log(JSON.stringify(out));
`;

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`[${isolation}] trusted files: matching ones are served, others refused, by name`, async () => {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "sp_trusted_" }));
    try {
      await Deno.mkdir(`${dir}/data`);
      await Deno.mkdir(`${dir}/app`);
      await Deno.writeTextFile(`${dir}/app/main.js`, GUEST);
      await Deno.writeTextFile(`${dir}/data/ok.txt`, "trusted bytes");
      await Deno.writeTextFile(`${dir}/data/bad.txt`, "tampered bytes");
      await Deno.writeTextFile(`${dir}/data/plain.txt`, "not listed");
      const big = new Uint8Array(4 << 20).map((_, i) => (i * 7) & 0xff);
      await Deno.writeFile(`${dir}/data/big.bin`, big);
      await Deno.writeTextFile(
        `${dir}/app.toml`,
        [
          "[loader]",
          'entrypoint = "app/main.js"',
          "[fs]",
          `mounts = [{ path = "/data", uri = "file:data" }]`,
          "trusted_files = [",
          `  { uri = "file:data/ok.txt", sha256 = "${sha("trusted bytes")}" },`,
          `  { uri = "file:data/bad.txt", sha256 = "${sha("the original bytes")}" },`,
          `  { uri = "file:data/big.bin", sha256 = "${sha(big)}" },`,
          "]",
          "[sys]",
          'wall_time = "60s"',
        ].join("\n"),
      );
      await using sb = await Sandbox.create(`${dir}/app.toml`, { isolation });
      const p = await sb.spawn();
      const reader = p.stdout.getReader();
      let text = "";
      while (!text.includes("ready\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      // Change a byte far into the big file, in place (same size, same inode).
      using f = await Deno.open(`${dir}/data/big.bin`, { write: true });
      await f.seek((3 << 20) + 5, Deno.SeekMode.Start);
      await f.write(new Uint8Array([0xff]));
      const w = p.stdin.getWriter();
      await w.write(new TextEncoder().encode("go\n"));
      await w.close();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      const status = await p.wait();
      assert.equal(status.code, 0, text);
      const out = JSON.parse(text.split("\n").filter((l) => l.startsWith("{")).at(-1)!);
      assert.equal(out.ok, "trusted bytes");
      assert.match(out.bad, /^PermissionDenied: .*bad\.txt.*sha256/);
      assert.match(out.write, /^PermissionDenied: .*ok\.txt.*cannot be opened for writing/);
      assert.equal(out.plain, "not listed");
      assert.equal(out.bigFirst, 64 << 10);
      assert.match(out.bigChanged, /^PermissionDenied: .*big\.bin/);
      assert.equal(await Deno.readTextFile(`${dir}/data/ok.txt`), "trusted bytes");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
