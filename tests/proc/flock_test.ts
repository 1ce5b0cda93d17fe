/**
 * flock(2) among the processes of a sandbox (sandbox/host/file_locks.ts), on a tmpfs and on a
 * chroot mount: an exclusive lock makes another process wait (LOCK_NB: EAGAIN) until released;
 * shared locks coexist and keep an exclusive one out; a process's exit or death gives its locks
 * back; an inherited fd is the same open file description (its lock is the child's too); a
 * handled signal interrupts a waiting flock (EINTR); four processes incrementing a counter
 * under the lock lose no update; Deno's FsFile.lock waits without stopping the event loop.
 */
import assert from "node:assert/strict";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { fixtureManifest } from "./_sb.ts";

async function run(
  isolation: "worker" | "process",
  name: string,
  kind: "tmpfs" | "chroot",
): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "sp_flock_" });
  try {
    await Deno.mkdir(`${dir}/rw`);
    await Deno.writeTextFile(
      `${dir}/app.toml`,
      fixtureManifest("flock", isolation, [
        '{ path = "/tmp", type = "tmpfs", size = "4M" }',
        `{ path = "/rw", uri = "file:${dir}/rw" }`,
      ]),
    );
    const sb = await Sandbox.create(`${dir}/app.toml`, { isolation });
    try {
      const out = await sb.run({ argv: ["flock", name, kind === "tmpfs" ? "/tmp" : "/rw"] });
      const dec = new TextDecoder();
      const line = dec.decode(out.stdout).trim().split("\n").at(-1) ?? "";
      assert.equal(out.code, 0, dec.decode(out.stderr));
      return JSON.parse(line);
    } finally {
      await sb.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const kind of ["tmpfs", "chroot"] as const) {
  Deno.test(`flock (${kind}): an exclusive lock makes another process wait until released`, async () => {
    assert.deepEqual(await run("worker", "exclusive", kind), {
      nb: "EAGAIN",
      blocked: true,
      got: true,
      code: 0,
    });
  });
  Deno.test(`flock (${kind}): shared locks coexist and keep an exclusive one out`, async () => {
    assert.deepEqual(await run("worker", "shared", kind), { sh: "ok", exNb: "EAGAIN" });
  });
  Deno.test(`flock (${kind}): a process's exit, death or last close gives its lock back`, async () => {
    assert.deepEqual(await run("worker", "release", kind), {
      after_exit: "ok",
      held: "EAGAIN",
      after_kill: "ok",
      afterClose: "ok",
    });
  });
  Deno.test(`flock (${kind}): an inherited fd shares the lock, a new open does not`, async () => {
    assert.deepEqual(await run("worker", "inherited", kind), {
      sameDescription: "ok",
      ownOpen: "EAGAIN",
    });
  });
}

Deno.test("flock hostile: raw stream_lock calls with garbage get errors; the table stays sane", async () => {
  assert.deepEqual(await run("worker", "garbage", "tmpfs"), {
    badOp: "INVAL",
    noOp: "INVAL",
    float: "INVAL",
    forged: "BAD_HANDLE",
    notInt: "INVAL",
    ex: "ok",
    other: "EAGAIN",
    un: "ok",
    after: "ok",
  });
});

Deno.test("flock: a handled signal interrupts a waiting flock with EINTR", async () => {
  assert.deepEqual(await run("worker", "eintr", "tmpfs"), { flock: "EINTR", handled: 1 });
});

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`flock (${isolation}): four processes count to 100 under the lock, no update lost`, async () => {
    assert.deepEqual(await run(isolation, "counter", "chroot"), { count: 100 });
  });
}

Deno.test("flock: Deno's FsFile.lock waits without stopping the event loop", async () => {
  assert.deepEqual(await run("worker", "deno", "chroot"), { ticked: true, shared: "ok" });
});
