/**
 * Deno.connect / Deno.listen inside a sandbox: TCP streams bound by the host against the
 * manifest's net.connect / net.listen, under both isolation levels. Network only on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { manifestFromObject } from "../../sandbox/manifest.ts";
import { freePort } from "../_net.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run guest `source` with `net` granted; `during` runs on the host while the guest does. */
async function runGuest(
  source: string,
  net: { connect?: string[]; listen?: string[] },
  isolation: "worker" | "process",
  during?: () => Promise<void>,
): Promise<Run> {
  const dir = Deno.makeTempDirSync({ prefix: "net-test-" });
  Deno.mkdirSync(join(dir, "code"));
  Deno.writeTextFileSync(join(dir, "code", "main.ts"), source);
  const m = manifestFromObject({
    loader: { entrypoint: "code/main.ts", argv: ["main"] },
    net: { connect: net.connect ?? [], listen: net.listen ?? [] },
    sys: { wall_time: "30s", isolation },
  }, { baseDir: dir });
  try {
    await using sb = await Sandbox.create(m);
    const [out] = await Promise.all([sb.run(), during?.()]);
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const ECHO = (port: number) => `
const listener = Deno.listen({ hostname: "127.0.0.1", port: ${port} });
console.log("addr", JSON.stringify(listener.addr));
const server = (async () => {
  for await (const conn of listener) {
    console.log("local", JSON.stringify(conn.localAddr));
    await conn.readable.pipeTo(conn.writable);
    listener.close();
  }
  console.log("server done");
})();
const conn = await Deno.connect({ hostname: "127.0.0.1", port: ${port} });
console.log("remote", JSON.stringify(conn.remoteAddr));
const big = new Uint8Array(200_000).map((_, i) => i % 251);
const writing = (async () => {
  await conn.write(new TextEncoder().encode("hello "));
  let off = 0;
  while (off < big.length) off += await conn.write(big.subarray(off));
  await conn.closeWrite();
})();
const chunks = [];
const buf = new Uint8Array(8192);
for (;;) {
  const n = await conn.read(buf);
  if (n === null) break;
  chunks.push(buf.slice(0, n));
}
await writing;
conn.close();
const all = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
let at = 0;
for (const c of chunks) { all.set(c, at); at += c.length; }
const head = new TextDecoder().decode(all.subarray(0, 6));
const ok = all.length === 200_006 && all.subarray(6).every((b, i) => b === i % 251);
console.log("echoed", JSON.stringify(head), all.length, ok);
await server;
`;

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`guest TCP echo server and client in one sandbox (${isolation})`, async () => {
    const port = freePort();
    const entry = `127.0.0.1:${port}`;
    const r = await runGuest(ECHO(port), { connect: [entry], listen: [entry] }, isolation);
    assert.equal(r.code, 0, r.stderr);
    // The server's and the client's lines interleave as the two sides run.
    const lines = r.stdout.trim().split("\n").sort();
    assert.deepEqual(
      lines,
      [
        `addr {"hostname":"127.0.0.1","port":${port},"transport":"tcp"}`,
        `remote {"hostname":"127.0.0.1","port":${port},"transport":"tcp"}`,
        `local {"hostname":"127.0.0.1","port":${port},"transport":"tcp"}`,
        `echoed "hello " 200006 true`,
        "server done",
      ].sort(),
    );
  });
}

Deno.test("connect and listen on unlisted ports fail with NotCapable naming the target", async () => {
  const [listed, other] = [freePort(), freePort()];
  const src = `
for (const [what, fn] of [
  ["connect", () => Deno.connect({ hostname: "127.0.0.1", port: ${other} })],
  ["listen", () => Deno.listen({ hostname: "127.0.0.1", port: ${other} })],
  ["connect example.com", () => Deno.connect({ hostname: "example.com", port: 80 })],
]) {
  try {
    await fn();
    console.log(what, "ALLOWED");
  } catch (e) {
    console.log(what, e.name, e instanceof Deno.errors.NotCapable, e.message);
  }
}
`;
  const entry = `127.0.0.1:${listed}`;
  const r = await runGuest(src, { connect: [entry], listen: [entry] }, "worker");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 3, r.stdout);
  assert.match(
    lines[0]!,
    new RegExp(`^connect NotCapable true .*127\\.0\\.0\\.1:${other}.*not granted`),
  );
  assert.match(
    lines[1]!,
    new RegExp(`^listen NotCapable true .*127\\.0\\.0\\.1:${other}.*not granted`),
  );
  assert.match(lines[2]!, /^connect example\.com NotCapable true .*example\.com:80/);
});

Deno.test("a guest talks to a host-side Deno.listen server on 127.0.0.1", async () => {
  const host = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (host.addr as Deno.NetAddr).port;
  const serving = (async () => {
    const c = await host.accept();
    const buf = new Uint8Array(64);
    const n = (await c.read(buf)) ?? 0;
    await c.write(enc.encode(`pong:${dec.decode(buf.subarray(0, n))}`));
    c.close();
  })();
  const src = `
using conn = await Deno.connect({ hostname: "127.0.0.1", port: ${port}, transport: "tcp" });
await conn.write(new TextEncoder().encode("ping"));
const text = await new Response(conn.readable).text();
console.log(text);
`;
  try {
    const r = await runGuest(src, { connect: [`127.0.0.1:${port}`] }, "worker");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "pong:ping\n");
    await serving;
  } finally {
    host.close();
  }
});

Deno.test("a listener with a pending accept keeps the process alive after the module ends", async () => {
  const port = freePort();
  const src = `
const l = Deno.listen({ hostname: "127.0.0.1", port: ${port} });
l.accept().then(async (c) => {
  await c.write(new TextEncoder().encode("late hello"));
  c.close();
  l.close();
});
`;
  let got = "";
  const during = async () => {
    await new Promise((r) => setTimeout(r, 700));
    for (let i = 0;; i++) {
      try {
        const c = await Deno.connect({ hostname: "127.0.0.1", port });
        got = await new Response(c.readable).text();
        return;
      } catch (e) {
        if (i > 40) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const r = await runGuest(src, { listen: [`127.0.0.1:${port}`] }, "worker", during);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(got, "late hello");
});
