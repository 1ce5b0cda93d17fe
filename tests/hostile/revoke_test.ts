// Visible revocation and the abort protocol: a cooperative libOS gives a revoked mount back in
// its grace period (nothing repossessed); a guest that ignores the event loses the resource by
// force (recorded in the repossession log, later uses fail with REVOKED/ENOTCAPABLE), and the
// host and a neighbour carry on.
import assert from "node:assert/strict";
import { PalCode } from "../../pal/errors.ts";
import { SandboxError } from "../../sandbox/errors_runtime.ts";
import { parseCommand } from "../../sandbox/host/protocol.ts";
import { Sandbox, type SandboxProcess } from "../../sandbox/sandbox.ts";
import { assertHostAlive, makeWorld, neighbour, RAW_BOOT } from "./_world.ts";

/** Read `p`'s stdout until a line satisfies `pred`; returns the rest of the stream's text. */
async function untilLine(
  p: SandboxProcess,
  pred: (l: string) => boolean,
): Promise<() => Promise<string>> {
  const reader = p.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before the line: ${buf}`);
    buf += value;
    const lines = buf.split("\n");
    const i = lines.findIndex(pred);
    if (i >= 0) {
      let rest = lines.slice(i + 1).join("\n");
      return async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) return rest;
          rest += r.value;
        }
      };
    }
  }
}

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`revoke: a cooperative libOS gives a mount back in time (${isolation})`, async () => {
    const w = await makeWorld();
    try {
      const m = await w.manifest("revoke_coop.ts", { isolation });
      await using sb = await Sandbox.create(m);
      const p = await sb.spawn();
      const rest = await untilLine(p, (l) => l === "opened");
      const [outcome] = await Promise.all([
        sb.revoke({ kind: "mount", path: "/data" }, { graceMs: 5000 }),
        neighbour(),
      ]);
      assert.equal(outcome.returned, true);
      assert.deepEqual(outcome.repossessed, []);
      assert.deepEqual(sb.repossessions, []);
      const report = JSON.parse((await rest()).trim());
      assert.deepEqual(report, {
        capability: "mount:/data",
        oldFile: "BadResource",
        reopen: "NotCapable",
      });
      assert.equal((await p.wait()).code, 0);
      await assertHostAlive(sb);
    } finally {
      await w.dispose();
    }
  });

  Deno.test(`revoke: a guest ignoring revocation loses the file by force (${isolation})`, async () => {
    const w = await makeWorld();
    try {
      const m = await w.manifest("revoke_ignore.ts", { isolation });
      await using sb = await Sandbox.create(m, { bootUrl: RAW_BOOT });
      const p = await sb.spawn({ argv: ["revoke_ignore.ts", "file://1/data.txt"] });
      const rest = await untilLine(p, (l) => l.startsWith('{"opened"'));
      const t0 = performance.now();
      const [outcome] = await Promise.all([
        sb.revoke({ kind: "mount", path: "/data" }, { graceMs: 300 }),
        neighbour(),
      ]);
      assert.ok(performance.now() - t0 >= 250, "taken before the deadline");
      assert.equal(outcome.returned, false);
      assert.equal(outcome.repossessed.length, 1);
      const rec = outcome.repossessed[0]!;
      assert.equal(rec.capability, "mount:/data");
      assert.equal(rec.uri, "file://1/data.txt");
      assert.equal(rec.pid, p.pid);
      assert.deepEqual(sb.repossessions, outcome.repossessed);
      const report = JSON.parse((await rest()).trim());
      assert.equal(report.useErr, PalCode.REVOKED);
      assert.equal(report.reopen, PalCode.REVOKED);
      assert.equal(report.closeErr, PalCode.REVOKED);
      assert.equal(report.reuse, PalCode.BAD_HANDLE); // closing forgot the tombstone
      assert.deepEqual(report.repo, [rec]);
      await assertHostAlive(sb);
    } finally {
      await w.dispose();
    }
  });
}

Deno.test("revoke: a listener on a revoked net grant is closed by force", async () => {
  const w = await makeWorld();
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  try {
    const m = await w.manifest("revoke_ignore.ts", {
      isolation: "worker",
      extra: `[net]\nlisten = ["127.0.0.1:${port}"]`,
    });
    await using sb = await Sandbox.create(m, { bootUrl: RAW_BOOT });
    const p = await sb.spawn({ argv: ["revoke_ignore.ts", `tcp.srv:127.0.0.1:${port}`] });
    const rest = await untilLine(p, (l) => l.startsWith('{"opened"'));
    (await Deno.connect({ hostname: "127.0.0.1", port })).close(); // it listens
    const outcome = await sb.revoke({ kind: "net", entry: `127.0.0.1:${port}` }, { graceMs: 100 });
    assert.equal(outcome.repossessed.length, 1);
    assert.equal(outcome.repossessed[0]!.uri, `tcp.srv:127.0.0.1:${port}`);
    await assert.rejects(() => Deno.connect({ hostname: "127.0.0.1", port }));
    const report = JSON.parse((await rest()).trim());
    assert.equal(report.useErr, PalCode.REVOKED);
    assert.equal(report.reopen, PalCode.REVOKED);
  } finally {
    await w.dispose();
  }
});

Deno.test("revoke: a capability the sandbox never had is refused", async () => {
  const w = await makeWorld();
  try {
    const m = await w.manifest("revoke_coop.ts");
    await using sb = await Sandbox.create(m);
    await assert.rejects(
      () => sb.revoke({ kind: "mount", path: "/nope" }),
      (e: Error) => e instanceof SandboxError && /no mount at \/nope/.test(e.message),
    );
    await assert.rejects(
      () => sb.revoke({ kind: "net", entry: "example.com:443" }),
      (e: Error) => e instanceof SandboxError && /not in the manifest/.test(e.message),
    );
  } finally {
    await w.dispose();
  }
});

/** Spawn a raw guest and wait for its first JSON line; returns it and the rest of its output. */
async function started(
  sb: Sandbox,
  argv: string[],
): Promise<{ p: SandboxProcess; first: Record<string, unknown>; rest: () => Promise<string> }> {
  const p = await sb.spawn({ argv });
  let first: Record<string, unknown> = {};
  const rest = await untilLine(p, (l) => {
    if (!l.startsWith("{")) return false;
    first = JSON.parse(l);
    return true;
  });
  return { p, first, rest };
}

/** The JSON lines of a process's remaining output. */
async function jsonLines(rest: () => Promise<string>): Promise<Record<string, unknown>[]> {
  return (await rest()).split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`revoke: cooperative RPC peers give a name back in time (${isolation})`, async () => {
    const w = await makeWorld();
    try {
      const m = await w.manifest("revoke_rpc.ts", { isolation });
      await using sb = await Sandbox.create(m, { bootUrl: RAW_BOOT });
      const srv = await started(sb, ["revoke_rpc.ts", "server", "coop"]);
      const cli = await started(sb, ["revoke_rpc.ts", "client", "coop"]);
      assert.equal(cli.first.connected, "echo ping");
      const [outcome] = await Promise.all([
        sb.revoke({ kind: "rpc", name: "svc" }, { graceMs: 5000 }),
        neighbour(),
      ]);
      assert.equal(outcome.capability, "rpc:svc");
      assert.equal(outcome.returned, true);
      assert.deepEqual(outcome.repossessed, []);
      for (const side of [srv, cli]) {
        const [report] = await jsonLines(side.rest);
        assert.equal(report!.gaveBack, "rpc:svc");
        assert.deepEqual(report!.handles, report!.mine, "the host named every handle on svc");
        assert.equal(report!.reconnect, PalCode.REVOKED);
        assert.equal((await side.p.wait()).code, 0);
      }
      const probe = await sb.run({ argv: ["revoke_rpc.ts", "probe"] });
      const line = JSON.parse(new TextDecoder().decode(probe.stdout).trim());
      assert.deepEqual(line, { connect: PalCode.REVOKED, listen: PalCode.REVOKED });
      assert.deepEqual(sb.repossessions, []);
      await assertHostAlive(sb);
    } finally {
      await w.dispose();
    }
  });

  Deno.test(`revoke: RPC peers ignoring revocation are ended (${isolation})`, async () => {
    const w = await makeWorld();
    try {
      const m = await w.manifest("revoke_rpc.ts", { isolation });
      await using sb = await Sandbox.create(m, { bootUrl: RAW_BOOT });
      const srv = await started(sb, ["revoke_rpc.ts", "server", "ignore"]);
      const cli = await started(sb, ["revoke_rpc.ts", "client", "ignore"]);
      assert.equal(cli.first.connected, "echo ping");
      const t0 = performance.now();
      const [outcome] = await Promise.all([
        sb.revoke({ kind: "rpc", name: "svc" }, { graceMs: 300 }),
        neighbour(),
      ]);
      assert.ok(performance.now() - t0 >= 250, "taken before the deadline");
      assert.equal(outcome.returned, false);
      // server: its listener and its accepted connection; client: its connection.
      const taken = outcome.repossessed.map((r) => `${r.pid} ${r.uri} ${r.ended}`).sort();
      assert.deepEqual(
        taken,
        [`${srv.p.pid} rpc:svc true`, `${srv.p.pid} rpc:svc true`, `${cli.p.pid} rpc:svc true`]
          .sort(),
      );
      assert.deepEqual(sb.repossessions, outcome.repossessed);
      for (const side of [srv, cli]) {
        const st = await side.p.wait();
        assert.equal(st.signal, "SIGKILL");
      }
      const probe = await sb.run({ argv: ["revoke_rpc.ts", "probe"] });
      const line = JSON.parse(new TextDecoder().decode(probe.stdout).trim());
      assert.deepEqual(line, { connect: PalCode.REVOKED, listen: PalCode.REVOKED });
      await assertHostAlive(sb);
    } finally {
      await w.dispose();
    }
  });

  Deno.test(`revoke: a shm holder detaching in time keeps running (${isolation})`, async () => {
    const w = await makeWorld();
    try {
      const m = await w.manifest("revoke_shm.ts", { isolation });
      await using sb = await Sandbox.create(m, { bootUrl: RAW_BOOT });
      const a = await started(sb, ["revoke_shm.ts", "coop"]);
      const id = a.first.id as number;
      const [outcome] = await Promise.all([
        sb.revoke({ kind: "shm", id }, { graceMs: 5000 }),
        neighbour(),
      ]);
      assert.equal(outcome.capability, `shm:${id}`);
      assert.equal(outcome.returned, true);
      assert.deepEqual(outcome.repossessed, []);
      const [report] = await jsonLines(a.rest);
      assert.deepEqual(report, { gaveBack: `shm:${id}`, attached: 1, reattach: PalCode.REVOKED });
      assert.equal((await a.p.wait()).code, 0);
      await assertHostAlive(sb);
    } finally {
      await w.dispose();
    }
  });

  Deno.test(`revoke: shm holders ignoring revocation are ended (${isolation})`, async () => {
    const w = await makeWorld();
    try {
      const m = await w.manifest("revoke_shm.ts", { isolation });
      await using sb = await Sandbox.create(m, { bootUrl: RAW_BOOT });
      const a = await started(sb, ["revoke_shm.ts", "ignore"]);
      const b = await started(sb, ["revoke_shm.ts", "ignore"]);
      const id = a.first.id as number;
      assert.equal(b.first.id, id);
      const [outcome] = await Promise.all([
        sb.revoke({ kind: "shm", id }, { graceMs: 200 }),
        neighbour(),
      ]);
      assert.equal(outcome.returned, false);
      const taken = outcome.repossessed.map((r) => `${r.pid} ${r.uri} ${r.handle} ${r.ended}`);
      assert.deepEqual(
        taken.sort(),
        [`${a.p.pid} shm:${id} 0 true`, `${b.p.pid} shm:${id} 0 true`].sort(),
      );
      for (const p of [a.p, b.p]) assert.equal((await p.wait()).signal, "SIGKILL");
      await assert.rejects(() => sb.revoke({ kind: "shm", id }), SandboxError); // gone now
      await assertHostAlive(sb);
    } finally {
      await w.dispose();
    }
  });
}

Deno.test("revoke: an RPC name or shm segment nobody uses is refused", async () => {
  const w = await makeWorld();
  try {
    const m = await w.manifest("revoke_rpc.ts");
    await using sb = await Sandbox.create(m, { bootUrl: RAW_BOOT });
    await assert.rejects(
      () => sb.revoke({ kind: "rpc", name: "svc" }),
      (e: Error) => e instanceof SandboxError && /no RPC name svc/.test(e.message),
    );
    await assert.rejects(
      () => sb.revoke({ kind: "shm", id: 1 }),
      (e: Error) => e instanceof SandboxError && /no shared memory segment 1/.test(e.message),
    );
  } finally {
    await w.dispose();
  }
});

Deno.test("revoke: malformed rpc and shm capabilities are refused by the command parser", () => {
  const cmd = (capability: unknown) =>
    parseCommand({ type: "revoke", reqId: 1, graceMs: 0, capability });
  for (
    const bad of [
      { kind: "rpc", name: "" },
      { kind: "rpc", name: "a\0b" },
      { kind: "rpc", name: "x".repeat(256) },
      { kind: "rpc", name: 7 },
      { kind: "shm", id: 0 },
      { kind: "shm", id: -3 },
      { kind: "shm", id: 1.5 },
      { kind: "shm", id: "1" },
      { kind: "vma", id: 1 },
    ]
  ) assert.equal(cmd(bad), null, JSON.stringify(bad));
  assert.deepEqual(cmd({ kind: "rpc", name: "svc", extra: 1 }), {
    type: "revoke",
    reqId: 1,
    capability: { kind: "rpc", name: "svc" },
    graceMs: 0,
  });
  assert.deepEqual(cmd({ kind: "shm", id: 3 })?.type, "revoke");
});
