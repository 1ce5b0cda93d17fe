/**
 * FIFOs: mkfifo on tmpfs, Linux's open rendezvous between processes, O_NONBLOCK opens, EOF
 * after the last writer, EPIPE without readers, and the S_IFIFO type in stat.
 */
import assert from "node:assert/strict";
import { LEVELS, scenario } from "./_sb.ts";

for (const iso of LEVELS) {
  Deno.test(`[${iso}] a FIFO between processes: readers wait for writers, EOF after the last writer`, async () => {
    const { report: r } = await scenario(iso, "two-procs", { fixture: "fifo" });
    assert.deepEqual(r, {
      type: "10000",
      ltype: "10000",
      fdType: "10000",
      perm: "640",
      pieces: ["a0", "a1", "a2", "b0", "b1"],
      codes: [0, 0],
      exists: "EEXIST",
      listed: true,
    });
  });
}

Deno.test("[worker] FIFO O_NONBLOCK opens: ENXIO without a reader, a reader opens at once", async () => {
  const { report: r } = await scenario("worker", "nonblock", { fixture: "fifo" });
  assert.deepEqual(r, {
    noReader: "ENXIO",
    emptyRead: 0,
    got: "xyz",
    again: "EAGAIN",
    eof: 0,
    epipe: "EPIPE",
    rdwr: "EOPNOTSUPP",
  });
});

Deno.test("[worker] a guest create cannot forge a FIFO; mkfifo on a read-only chroot is EROFS", async () => {
  const { report: r } = await scenario("worker", "forge", { fixture: "fifo" });
  assert.deepEqual(r, { type: "100000", sticky: false, text: "data", chroot: "EROFS" });
});

Deno.test("[worker] shell: mkfifo /tmp/f; cat /tmp/f > /tmp/out & echo hi > /tmp/f; wait", async () => {
  const { report: r } = await scenario("worker", "shell", { fixture: "fifo" });
  assert.deepEqual(r, { code: 0, stdout: "hi\n" });
});
