/**
 * Read-ahead (libos/vfs/readahead.ts): a sequential reader gets file bytes the host read ahead,
 * and must still see every change made inside the sandbox meanwhile, on chroot and tmpfs, under
 * both isolation levels; `readahead = false` turns it off. The trace proves the read-ahead ran.
 */
import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { fixtureManifest, LEVELS } from "./_sb.ts";

async function run(
  isolation: "worker" | "process",
  args: string[],
  opts: {
    readahead?: boolean;
    readCache?: string;
    during?: (host: string) => Promise<void>;
    host?: string;
  } = {},
) {
  const dir = await Deno.makeTempDir({ prefix: "sp_ra_" });
  const host = opts.host ?? await Deno.makeTempDir({ prefix: "sp_ra_data_" });
  const ra = opts.readahead === false ? ", readahead = false" : "";
  const toml = fixtureManifest(
    "readahead",
    isolation,
    [
      `{ path = "/tmp", type = "tmpfs", size = "16M"${ra} }`,
      `{ path = "/data", uri = "file:${host}"${ra} }`,
    ],
    opts.readCache === undefined ? [] : [`read_cache = "${opts.readCache}"`],
  );
  await Deno.writeTextFile(`${dir}/app.toml`, toml);
  const calls: string[] = [];
  const sb = await Sandbox.create(`${dir}/app.toml`, {
    isolation,
    trace: (l) => {
      if (/stream_(prefetch|cache_key|read|attr_query|open_cached|close)\(/.test(l)) calls.push(l);
    },
  });
  try {
    const [out] = await Promise.all([
      sb.run({ argv: ["readahead", ...args] }),
      opts.during?.(host),
    ]);
    const stdout = new TextDecoder().decode(out.stdout);
    const line = stdout.trim().split("\n").at(-1) ?? "";
    if (out.code !== 0 || !line.startsWith("{")) {
      throw new Error(
        `guest failed (${out.code}): ${stdout}${new TextDecoder().decode(out.stderr)}`,
      );
    }
    const prefetched = calls.filter((l) => /^.*stream_prefetch\(.*\) = [1-9]/.test(l)).length;
    return { report: JSON.parse(line), prefetched, calls };
  } finally {
    await sb.close();
    await Deno.remove(dir, { recursive: true });
    if (!opts.host) await Deno.remove(host, { recursive: true });
  }
}

for (const iso of LEVELS) {
  for (const dir of ["/data", "/tmp"]) {
    Deno.test(`[${iso}] ${dir}: a reader that is read ahead sees writes by another fd and another process, a truncate and an append`, async () => {
      const { report: r, prefetched } = await run(iso, ["coherent", dir]);
      assert.ok(prefetched >= 3, `the read-ahead ran (${prefetched} prefetches)`);
      assert.deepEqual(r, {
        headBad: -1,
        status: 0,
        first: { end: 2 * 1024 * 1024 + 100, firstBad: -1 },
        more: { end: 2 * 1024 * 1024 + 100 + 777, firstBad: -1 },
      });
    });
  }
}

Deno.test("[worker] a write through the reader's own fd ahead of it voids what was read ahead", async () => {
  const { report: r, prefetched } = await run("worker", ["same-fd", "/data"]);
  assert.ok(prefetched >= 3, `the read-ahead ran (${prefetched} prefetches)`);
  assert.deepEqual(r, { bad: -1 });
});

Deno.test("[worker] a reader that stops part-way leaves the thread's asynchronous calls their slots", async () => {
  const { report: r, prefetched } = await run("worker", ["then-async", "/data"]);
  assert.ok(prefetched >= 1);
  assert.deepEqual(r, { all: true, n: 24 });
});

/** Host side of the `external` scenario: rewrite the file in place once the guest says so. */
function rewriter(ms = 20_000) {
  return async (host: string) => {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      try {
        if (await Deno.readTextFile(`${host}/go`) === "1") break;
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Deno.writeFile(`${host}/ext.dat`, new Uint8Array(3 << 20).fill(0x5a));
    await Deno.writeTextFile(`${host}/done`, "1");
  };
}

/** Run `scenario` on a host directory holding a 3 MiB `ext.dat` that the rewriter replaces
 * when the guest asks. */
async function runRewritten(scenario: string, opts: { readahead?: boolean } = {}) {
  const host = await Deno.makeTempDir({ prefix: "sp_ra_ext_" });
  try {
    await Deno.writeFile(`${host}/ext.dat`, new Uint8Array(3 << 20).fill(1));
    return await run("worker", [scenario, "/data"], { ...opts, host, during: rewriter() });
  } finally {
    await Deno.remove(host, { recursive: true });
  }
}

Deno.test("[worker] readahead = false: no read-ahead, and an in-place rewrite by a host program shows at once", async () => {
  const { report: r, prefetched, calls } = await runRewritten("external", { readahead: false });
  assert.equal(prefetched, 0);
  assert.ok(calls.some((l) => /stream_cache_key\(.*\) = -1/.test(l)), calls.join("\n"));
  assert.deepEqual(r, { stale: 0 });
});

Deno.test("[worker] readahead on: a rewrite by a host program shows within the read-ahead buffer (4 MiB)", async () => {
  const { report: r, prefetched } = await runRewritten("external");
  assert.ok(prefetched >= 1);
  assert.ok(r.stale <= 4 << 20, `stale bytes ${r.stale}`);
});

/** Host reads (`stream_read`, `stream_prefetch`) before `below` (the end of the 3 MiB file)
 * in the trace after the `pass-2` mark. */
function readsAfterMark(calls: string[], below = 3 << 20): number {
  const mark = calls.findIndex((l) => l.includes("pass-2"));
  assert.ok(mark >= 0, "the guest marked its second pass");
  return calls.slice(mark).filter((l) => {
    const m = /stream_(read|prefetch)\(\d+, (\d+)/.exec(l);
    return m !== null && Number(m[2]) < below;
  }).length;
}

const REREAD = {
  first: { end: 3 * 1024 * 1024, firstBad: -1 },
  second: { end: 3 * 1024 * 1024, firstBad: -1 },
};

for (const iso of LEVELS) {
  Deno.test(`[${iso}] a file read again through a new open comes from the read cache: no host read`, async () => {
    const { report: r, calls } = await run(iso, ["reread", "/data"]);
    assert.deepEqual(r, REREAD);
    assert.equal(readsAfterMark(calls), 0, calls.join("\n"));
    // Not at its end either: the file's size came with its version.
    assert.equal(readsAfterMark(calls, Infinity), 0, calls.join("\n"));
    // The second open asked for the version with the open: one host call, no second one.
    const mark = calls.findIndex((l) => l.includes("pass-2"));
    const after = calls.slice(mark);
    assert.equal(
      after.filter((l) => l.includes("stream_open_cached(")).length,
      1,
      after.join("\n"),
    );
    assert.equal(after.filter((l) => l.includes("stream_cache_key(")).length, 0, after.join("\n"));
    // The first pass's close (detached: it rang no doorbell) ran before the mark's call.
    const closes = calls.slice(0, mark).filter((l) => l.includes("stream_close("));
    assert.ok(closes.length >= 1, calls.join("\n"));
  });
}

Deno.test("[worker] read_cache smaller than the file: kept blocks are replaced, every byte still right", async () => {
  // 1 MiB keeps two of the file's six blocks: the second pass moves each block out of staging
  // into a kept buffer taken from the least recently used one.
  const { report: r } = await run("worker", ["reread", "/data"], { readCache: "1M" });
  assert.deepEqual(r, REREAD);
});

Deno.test("[worker] read_cache = 0: nothing is kept, the second pass reads the host again", async () => {
  const { report: r, calls } = await run("worker", ["reread", "/tmp"], { readCache: "0" });
  assert.deepEqual(r, REREAD);
  assert.ok(readsAfterMark(calls) >= 4, "the second pass had to read again");
});

/** Host reads of `path` (a 1 MiB + 305 byte file) at its end between two marks of the trace. */
function endReads(calls: string[], from: string, to: string, at: number): number {
  const a = calls.findIndex((l) => l.includes(from));
  const b = calls.findIndex((l) => l.includes(to));
  assert.ok(a >= 0 && b > a, `the guest marked ${from} and ${to}`);
  return calls.slice(a, b).filter((l) => {
    const m = /stream_(read|prefetch)\(\d+, (\d+)/.exec(l);
    return m !== null && Number(m[2]) === at;
  }).length;
}

for (const iso of LEVELS) {
  Deno.test(`[${iso}] end of file from the read cache: once per position; appends inside and outside the sandbox show`, async () => {
    const host = await Deno.makeTempDir({ prefix: "sp_ra_tail_" });
    const appender = async () => {
      for (const t0 = Date.now(); Date.now() - t0 < 20_000;) {
        try {
          if (await Deno.readTextFile(`${host}/go`) === "1") break;
        } catch { /* not yet */ }
        await new Promise((r) => setTimeout(r, 5));
      }
      using f = await Deno.open(`${host}/tail.dat`, { append: true });
      await f.write(new Uint8Array(200).fill(0x5a));
      await Deno.writeTextFile(`${host}/done`, "1");
    };
    try {
      const { report: r, calls } = await run(iso, ["tail", "/data"], { host, during: appender });
      const size = (1 << 20) + 5;
      assert.deepEqual(r, {
        cached: { end: size, firstBad: -1 },
        inside: { n: 300, ok: true },
        insideEnd: null,
        end: size + 300,
        outside: { n: 200, ok: true },
        after: null,
      });
      // The new reader's end: answered in the guest, no host read at it before the append.
      assert.equal(endReads(calls, "pass-3", "ext-append", size + 300), 0, calls.join("\n"));
    } finally {
      await Deno.remove(host, { recursive: true });
    }
  });
}

Deno.test("[worker] a rewrite by a host program between two opens shows at the second open", async () => {
  const { report: r, prefetched } = await runRewritten("reread-external");
  assert.ok(prefetched >= 1);
  assert.deepEqual(r, { stale: 0, total: 3 << 20 });
});
