/**
 * Hostile writes into the sandbox's signal table (libos/signal/shared.ts). A guest that maps it
 * can scribble over every slot: the host stays up, spawns and kills still work (through the host
 * once the slot locks are held), ESRCH stays right, and a neighbour sandbox — its own host, its
 * own table — receives nothing. A process that splits into a new sandbox keeps the old table
 * mapped but can no longer signal the old sandbox: not through the host (ESRCH), and nothing it
 * writes into the table is delivered (every process of the host stops trusting the table).
 */
import assert from "node:assert/strict";
import { LEVELS, scenario } from "./_sb.ts";

const FIXTURE = { fixture: "signal_table" };

for (const iso of LEVELS) {
  Deno.test(`[${iso}] a guest scribbling over the signal table: host and neighbours unaffected`, async () => {
    const [attacked, neighbour] = await Promise.all([
      scenario(iso, "scribble", FIXTURE),
      scenario(iso, "quiet", { ...FIXTURE, args: ["1500"] }),
    ]);
    assert.deepEqual(attacked.report, {
      scribbler: 0,
      ready: true,
      pings: 20,
      echoer: 0,
      spawn: 0,
      esrch: "ESRCH",
    });
    assert.deepEqual(neighbour.report, { received: 0, pending: 0 });
  });

  Deno.test(`[${iso}] a process that split away cannot signal its old sandbox, even raw`, async () => {
    const { report: r } = await scenario(iso, "split", FIXTURE);
    assert.deepEqual(r, {
      killOld: "ESRCH",
      killOldTerm: "ESRCH",
      received: 0,
      pending: 0,
      killSplit: "ESRCH",
      ready: true,
      pings: 5,
    });
  });
}
