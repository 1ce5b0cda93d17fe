/**
 * Signals through the sandbox's signal table (libos/signal/shared.ts): exact delivery, masks and
 * pending, ESRCH, default actions; a freed slot reused at once never gets the dead pid's
 * signals; EINTR of pipe reads, waitpid and FIFO opens; a guest scribbling over the table (the
 * host and the other processes carry on, a neighbour sandbox sees nothing); a process that
 * splits away can no longer signal its old sandbox, through the host or the table.
 */
import assert from "node:assert/strict";
import { LEVELS, scenario } from "./_sb.ts";

const FIXTURE = { fixture: "signal_table" };

for (const iso of LEVELS) {
  Deno.test(`[${iso}] signals through the table: counts, mask, pending, ESRCH, defaults`, async () => {
    const { report: r } = await scenario(iso, "semantics", FIXTURE);
    assert.deepEqual(r, {
      ready: true,
      pings: 200,
      echoer: 0,
      extra: 0,
      mapped: true,
      pendingWhileBlocked: true,
      inSlot: true,
      ranWhileBlocked: false,
      ranOnUnblock: 1,
      ignored: "ok",
      esrch: "ESRCH",
      term: "ok",
      termStatus: 15,
    });
  });

  Deno.test(`[${iso}] a reused slot never receives the dead pid's signals`, async () => {
    const { report: r } = await scenario(iso, "reuse", FIXTURE);
    assert.deepEqual(r, { aCount: 1, sameSlot: true, oldPid: "ESRCH", bCount: 0 });
  });

  Deno.test(`[${iso}] a handled signal from another process: EINTR for pipe read and waitpid`, async () => {
    const { report: r } = await scenario(iso, "eintr", FIXTURE);
    assert.deepEqual(r, {
      read: "EINTR",
      handlerAfterRead: 1,
      reaped: true,
      wait: "EINTR",
      handlerAfterWait: 2,
      waitAgain: true,
    });
  });

  Deno.test(`[${iso}] a handled signal interrupts a blocked FIFO open (EINTR)`, async () => {
    const { report: r } = await scenario(iso, "fifo-open", FIXTURE);
    assert.deepEqual(r, {
      openRead: "EINTR",
      fast: true,
      usr1: 1,
      noReader: "ENXIO",
      openWrite: "EINTR",
      fastWrite: true,
      chld: true,
      after: "hi",
    });
  });
}
