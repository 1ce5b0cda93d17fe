/**
 * FIFOs on chroot mounts: mkfifo stores an emulated FIFO in a real host directory
 * (pal/host/chrootfs_fifo.ts); processes rendezvous on it as on Linux (also through a hard
 * link, after a rename, and through a read-only mount of the same directory: the host file's
 * dev+ino is the key), O_NONBLOCK rules, EINTR, S_IFIFO in stat and readdir, no forgery by a
 * guest file holding the magic bytes, real host FIFOs refused without blocking the host, EROFS.
 */
import assert from "node:assert/strict";
import { NONBLOCK_RESULT } from "./fixtures/fifo_common.ts";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { FIFO_HOST_MODE, FIFO_MAGIC } from "../../pal/host/chrootfs_fifo.ts";
import { LEVELS } from "./_sb.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

/** Run scenario `name` with /data (rw) and /ro (ro) over one fresh host directory. */
async function run(
  iso: "worker" | "process",
  name: string,
  opts: { args?: string[]; setup?: (data: string) => Promise<void> | void } = {},
): Promise<{ report: Record<string, unknown>; data: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "sp_fifo_chroot_" });
  const data = `${dir}/data`;
  await Deno.mkdir(data);
  await opts.setup?.(data);
  const toml = [
    "[loader]",
    `entrypoint = "${FIXTURES}fifo_chroot.ts"`,
    'argv = ["fifo_chroot"]',
    "[fs]",
    'root = "/"',
    "mounts = [" + [
      '{ path = "/tmp", type = "tmpfs", size = "4M" }',
      `{ path = "/code", uri = "file:${FIXTURES}", readonly = true }`,
      `{ path = "/data", uri = "file:${data}" }`,
      `{ path = "/ro", uri = "file:${data}", readonly = true }`,
    ].join(", ") + "]",
    "[sys]",
    `isolation = "${iso}"`,
    "max_processes = 16",
    'wall_time = "60s"',
  ].join("\n");
  await Deno.writeTextFile(`${dir}/app.toml`, toml);
  const sb = await Sandbox.create(`${dir}/app.toml`, { isolation: iso });
  const cleanup = () => Deno.remove(dir, { recursive: true });
  try {
    const out = await sb.run({ argv: ["fifo_chroot", name, ...(opts.args ?? [])] });
    const stdout = new TextDecoder().decode(out.stdout);
    const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1);
    if (!line) {
      const stderr = new TextDecoder().decode(out.stderr);
      throw new Error(`no report (code ${out.code}): ${stdout}\n${stderr}`);
    }
    return { report: JSON.parse(line), data, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  } finally {
    await sb.close();
  }
}

for (const iso of LEVELS) {
  Deno.test(`[${iso}] a chroot FIFO between processes: hard link, rename while open, ro mount`, async () => {
    const { report: r, data, cleanup } = await run(iso, "two-procs");
    try {
      assert.deepEqual(r, {
        type: "10000",
        ltype: "10000",
        fdType: "10000",
        perm: "640",
        size: 0,
        dirent: "10000",
        pieces: ["a0", "a1", "a2", "b0", "b1"],
        codes: [0, 0],
        exists: "EEXIST",
        truncate: "EINVAL",
        rdwr: "loop",
        unlink: "ok",
        gone: "ENOENT",
        hlType: "10000",
      });
      // On the host it is a small regular file with the marker mode and the magic line.
      const st = Deno.lstatSync(`${data}/hl`);
      assert.ok(st.isFile);
      assert.equal((st.mode ?? 0) & 0o7777, FIFO_HOST_MODE);
      assert.ok(Deno.readTextFileSync(`${data}/hl`).startsWith(FIFO_MAGIC));
    } finally {
      await cleanup();
    }
  });
}

Deno.test("[worker] chroot FIFO O_NONBLOCK opens: ENXIO without a reader, EAGAIN, EOF, EPIPE", async () => {
  const { report: r, cleanup } = await run("worker", "nonblock");
  await cleanup();
  assert.deepEqual(r, NONBLOCK_RESULT);
});

Deno.test("[worker] a blocked open of a chroot FIFO ends with EINTR for a handled signal", async () => {
  const { report: r, cleanup } = await run("worker", "eintr");
  await cleanup();
  assert.deepEqual(r, { openRead: "EINTR", fast: true, usr1: 1, noReader: "ENXIO" });
});

Deno.test("[worker] guest files with the FIFO magic, in any mode, stay regular files", async () => {
  const body = `${FIFO_MAGIC}0644\n`; // exactly what mkfifo writes
  const { report: r, data, cleanup } = await run("worker", "forge", {
    args: [body],
    setup(d) {
      Deno.writeTextFileSync(`${d}/hostmagic`, body); // the magic without the marker mode
      Deno.writeTextFileSync(`${d}/hoststicky`, "plain");
      Deno.chmodSync(`${d}/hoststicky`, 0o1400); // the marker mode without the magic
    },
  });
  try {
    const file = { type: "100000", sticky: false, dirent: "100000", text: true };
    assert.deepEqual(r, {
      "1400": file,
      "7777": file,
      "1444": file,
      "400": file,
      raw1400: { type: "100000", sticky: false },
      raw7777: { type: "100000", sticky: false },
      hostmagic: { type: "100000", sticky: false },
      hoststicky: { type: "100000", sticky: false },
    });
    // The guest's modes never reached the host with the sticky bit.
    for (const m of ["forged1400", "forged7777", "forged1444", "forged400", "raw1400", "raw7777"]) {
      assert.equal((Deno.lstatSync(`${data}/${m}`).mode ?? 0) & 0o1000, 0, m);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("[worker] a real host FIFO in a chroot mount is refused without blocking the host", async () => {
  let watchdog: Deno.ChildProcess | undefined;
  const t0 = performance.now();
  const { report: r, cleanup } = await run("worker", "hostfifo", {
    async setup(d) {
      const made = await new Deno.Command("mkfifo", { args: [`${d}/real`] }).output();
      assert.equal(made.code, 0, "mkfifo(1) failed");
      // If the host ever opened the FIFO it would block; after 10 s these repeated O_RDWR
      // opens release every such open (and read), so the test fails on time instead of hanging.
      watchdog = new Deno.Command("sh", {
        args: ["-c", `sleep 10; while :; do : <>"${d}/real"; sleep 0.2; done`],
        stdout: "null",
        stderr: "null",
      }).spawn();
    },
  });
  const ms = performance.now() - t0;
  try {
    watchdog!.kill("SIGKILL");
  } catch (_e) {
    // Already gone.
  }
  await watchdog!.status;
  await cleanup();
  assert.ok(ms < 8000, `the host was blocked (${Math.round(ms)} ms)`);
  assert.deepEqual(r, {
    lstat: "ok",
    rd: "EOPNOTSUPP",
    rdNb: "EOPNOTSUPP",
    wr: "EOPNOTSUPP",
    rw: "EOPNOTSUPP",
    listed: true,
  });
});

Deno.test("[worker] mkfifo on a read-only chroot mount is EROFS", async () => {
  const { report: r, cleanup } = await run("worker", "erofs");
  await cleanup();
  assert.deepEqual(r, { ro: "EROFS", roExists: "ENOENT", rw: "ok" });
});

Deno.test("[worker] shell: mkfifo /data/sf; cat /data/sf > /tmp/out & echo hi > /data/sf", async () => {
  const { report: r, cleanup } = await run("worker", "shell");
  await cleanup();
  assert.deepEqual(r, { code: 0, stdout: "hi\n" });
});
