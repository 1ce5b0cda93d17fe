/**
 * The libOS's Sys (libos/signal/signals.ts `wrapSys`): each method is a signal safe point
 * (pending signals run after it; EPIPE raises SIGPIPE), made when first read, and still so when
 * the method is taken off the object and called alone.
 */
import assert from "node:assert/strict";
import { scenario } from "./_sb.ts";

Deno.test("Sys methods taken off the object are safe points too (signals, SIGPIPE)", async () => {
  const { report, stderr, code } = await scenario("worker", "x", { fixture: "sys_wrap" });
  assert.equal(code, 0, stderr);
  assert.deepEqual(report, {
    afterKill: 1,
    errno: "EPIPE",
    afterWrite: 1,
    same: true,
    has: true,
  });
});
