/**
 * WASI sockets: a listening socket preopened per `net.listen` entry (after the mount preopens),
 * sock_accept, sock_recv/sock_send and sock_shutdown over the PAL's tcp.srv:/tcp: streams.
 * The peer is a host-side Deno.connect to 127.0.0.1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Sandbox } from "../../sandbox/sandbox.ts";
import { manifestFromObject } from "../../sandbox/manifest.ts";
import { freePort } from "../_net.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const dec = new TextDecoder();
const enc = new TextEncoder();

async function connectRetry(port: number): Promise<Deno.TcpConn> {
  for (let i = 0;; i++) {
    try {
      return await Deno.connect({ hostname: "127.0.0.1", port });
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function readAll(c: Deno.TcpConn): Promise<string> {
  const parts: string[] = [];
  const buf = new Uint8Array(1024);
  for (;;) {
    const n = await c.read(buf);
    if (n === null) return parts.join("");
    parts.push(dec.decode(buf.subarray(0, n)));
  }
}

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`sock_accept and sock_shutdown on a preopened listening socket (${isolation})`, async () => {
    const port = freePort();
    const dir = Deno.makeTempDirSync({ prefix: "wasi-sock-" });
    Deno.mkdirSync(join(dir, "tmp"));
    Deno.copyFileSync(join(FIXTURES, "sock_echo.wasm"), join(dir, "prog.wasm"));
    // One mount (fd 3), so the listening socket is fd 4.
    const m = manifestFromObject({
      loader: { entrypoint: "prog.wasm", argv: ["sock_echo", "4"] },
      fs: { mounts: [{ path: "/tmp", type: "tmpfs" }] },
      net: { listen: [`127.0.0.1:${port}`] },
      sys: { wall_time: "20s", isolation },
    }, { baseDir: dir });
    try {
      await using sb = await Sandbox.create(m);
      const running = sb.run();
      const c = await connectRetry(port);
      await c.write(enc.encode("hello"));
      // The guest half-closed: we read to EOF while our side is still open.
      assert.equal(await readAll(c), "HELLO");
      await c.write(enc.encode("still here"));
      await c.closeWrite();
      c.close();
      const out = await running;
      assert.equal(dec.decode(out.stderr), "", `code ${out.code}`);
      assert.equal(dec.decode(out.stdout), "after shutdown: still here\n");
      assert.equal(out.code, 0);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}
