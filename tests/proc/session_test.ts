/**
 * Sessions: setsid/getsid (the host keeps the sid in its process table) and the shell's exec
 * built-in, in a real sandbox (fixtures/session.ts).
 */
import assert from "node:assert/strict";
import { scenario } from "./_sb.ts";

Deno.test("[worker] setsid makes a forked child lead a new session; a group leader gets EPERM", async () => {
  const { report: r } = await scenario("worker", "setsid", { fixture: "session" });
  assert.deepEqual(r, {
    code: 0,
    childIsNewLeader: true,
    childBefore: true,
    childAgain: "EPERM",
    mine: true,
    leader: "EPERM",
    none: "ESRCH",
  });
});

Deno.test("[worker] sh exec replaces the shell: later commands never run; a missing program is 127", async () => {
  const { report: r } = await scenario("worker", "exec", { fixture: "session" });
  assert.deepEqual(r, { code: 0, out: "before\nreplaced\n", missing: 127 });
});
