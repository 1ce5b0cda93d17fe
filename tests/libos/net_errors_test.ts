/**
 * Deno.listen and Deno.connect in a sandbox answer as in Deno: the address's shape, the error
 * classes and messages of a port in use and of a refused connection (AddrInUse,
 * ConnectionRefused: no address in the message), Deno's checks of a port (RangeError out of
 * range, TypeError for a non-integer, a string of digits taken as its number), and a listener
 * that `break` out of `for await` closes. One fixture, run directly and in a sandbox whose
 * manifest grants the two ports. Network only on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { freePort } from "../_net.ts";
import { runDirect, runGuest } from "./_sandbox.ts";

const fixture = new URL("./fixtures/net_errors.ts", import.meta.url).pathname;

Deno.test("deno personality: Deno.listen and Deno.connect answer as in Deno", async () => {
  const port = freePort();
  let closed = freePort();
  while (closed === port) closed = freePort();
  const args = [String(port), String(closed)];
  const direct = await runDirect([`--allow-net=127.0.0.1`, fixture, ...args]);
  assert.equal(direct.stderr, "");
  assert.match(direct.stdout, /listen on a port in use !> AddrInUse/);
  assert.match(direct.stdout, /connect where nobody listens !> ConnectionRefused/);
  const got = await runGuest({
    entry: fixture,
    mounts: [],
    argv: args,
    extra: [
      "[net]",
      `listen = ["127.0.0.1:${port}"]`,
      `connect = ["127.0.0.1:${port}", "127.0.0.1:${closed}"]`,
    ].join("\n"),
  });
  assert.deepEqual(got, direct);
});
