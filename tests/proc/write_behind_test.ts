/**
 * Write-behind (libos/vfs/write_behind.ts): large positioned writes to chroot files are posted
 * to the host and write(2) returns at once. Every observer must still see them as if they were
 * synchronous: another process that keeps the file in its read cache, this process's next open,
 * a writer killed right after its writes returned; and a posted write that fails is reported
 * by the next write or fsync of its file. Under both isolation levels; the trace proves the
 * writes were posted.
 */
import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { fixtureManifest, LEVELS } from "./_sb.ts";

const BLOCK = 64 * 1024;
const BLOCKS = 48;

async function run(isolation: "worker" | "process", args: string[], host: string) {
  const dir = await Deno.makeTempDir({ prefix: "sp_wb_" });
  const toml = fixtureManifest("write_behind", isolation, [
    `{ path = "/data", uri = "file:${host}" }`,
  ]);
  await Deno.writeTextFile(`${dir}/app.toml`, toml);
  // Posted writes, and the bytes the host wrote for them (a post may have grown: its result
  // counts them all).
  let posts = 0;
  let posted = 0;
  const sb = await Sandbox.create(`${dir}/app.toml`, {
    isolation,
    trace: (l) => {
      if (!/stream_write_from\(/.test(l)) return;
      posts++;
      const m = /\) = (\d+)$/.exec(l);
      if (m) posted += Number(m[1]);
    },
  });
  try {
    const out = await sb.run({ argv: ["write_behind", ...args] });
    const stdout = new TextDecoder().decode(out.stdout);
    const line = stdout.trim().split("\n").at(-1) ?? "";
    if (out.code !== 0 || !line.startsWith("{")) {
      throw new Error(
        `guest failed (${out.code}): ${stdout}${new TextDecoder().decode(out.stderr)}`,
      );
    }
    return { report: JSON.parse(line), posts, posted };
  } finally {
    await sb.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function withHostDir<T>(fn: (host: string) => Promise<T>): Promise<T> {
  const host = await Deno.makeTempDir({ prefix: "sp_wb_data_" });
  try {
    return await fn(host);
  } finally {
    await Deno.remove(host, { recursive: true });
  }
}

/** An offset the host file system refuses to write at (ext4: past 16 TiB), or null. */
async function refusedOffset(): Promise<number | null> {
  return await withHostDir(async (host) => {
    const at = 2 ** 45;
    using f = await Deno.open(`${host}/probe`, { write: true, create: true });
    try {
      f.seekSync(at, Deno.SeekMode.Start);
      f.writeSync(new Uint8Array(BLOCK));
      return null;
    } catch {
      return at;
    }
  });
}
const FAR = await refusedOffset();

/** FNV-1a, as the guest computes it on what it wrote. */
function fnv(b: Uint8Array): number {
  let x = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) x = Math.imul(x ^ b[i]!, 0x01000193) >>> 0;
  return x;
}

for (const iso of LEVELS) {
  Deno.test(`[${iso}] posted writes are seen at once by a process that keeps the file in its read cache, and by this process`, async () => {
    await withHostDir(async (host) => {
      const { report, posted } = await run(iso, ["seen", "/data"], host);
      assert.deepEqual(report, { childBad: 0, ownBad: 0, size: BLOCKS * BLOCK });
      assert.ok(posted >= 2 * BLOCKS * BLOCK, `the writes were posted (${posted} bytes)`);
      // And they reached the host file.
      const bytes = await Deno.readFile(`${host}/seen.dat`);
      assert.equal(bytes[5 * BLOCK + 17], (5 * 5 + 31 + 1) & 0xff);
    });
  });

  Deno.test(`[${iso}] writes that follow on from a waiting post grow it, and the file is what the writes say`, async () => {
    await withHostDir(async (host) => {
      const { report: r, posts, posted } = await run(iso, ["grown", "/data"], host);
      assert.equal(r.bad, 0, "read back through a new fd");
      const bytes = await Deno.readFile(`${host}/grown.dat`);
      assert.equal(bytes.length, r.size);
      assert.equal(fnv(bytes), r.fnv, "the host's file holds the bytes written");
      // Every write was posted (none of them is small), and some posts carried several writes.
      assert.ok(posted >= r.size, `posted ${posted} bytes of ${r.size}`);
      assert.ok(posts < r.writes, `${posts} posts for ${r.writes} writes: none grew`);
    });
  });

  Deno.test(`[${iso}] a writer killed right after its posted writes returned loses none of them`, async () => {
    await withHostDir(async (host) => {
      const { report, posted } = await run(iso, ["killed", "/data"], host);
      assert.deepEqual(report, { signal: 9, bad: 0, size: BLOCKS * BLOCK });
      assert.ok(posted >= BLOCKS * BLOCK, `the writes were posted (${posted} bytes)`);
    });
  });

  Deno.test({
    name: `[${iso}] a posted write the host fails is reported once, by the next write or fsync`,
    ignore: FAR === null,
    fn: async () => {
      await withHostDir(async (host) => {
        const { report: r, posts } = await run(iso, ["deferred", "/data", String(FAR)], host);
        assert.ok(posts >= 1, "the first write was posted");
        assert.equal(r.first, "ok", "the posted write returned");
        assert.notEqual(r.small, "ok", "the host refuses the offset");
        // Exactly one of the next write and fsync reports it, as the synchronous write's error.
        const reported = [r.second, r.fsync].filter((x: string) => x !== "ok");
        assert.deepEqual(reported, [r.small], JSON.stringify(r));
        assert.equal(r.again, "ok", "reported once");
        assert.equal(r.close, "ok");
        assert.equal(r.gWrite, "ok", "another file is not touched");
        assert.equal(r.gClose, "ok");
        assert.equal(r.nearSize, BLOCK);
      });
    },
  });
}
