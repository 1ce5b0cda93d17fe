/**
 * FIFOs: mkfifo on tmpfs, Linux's open rendezvous between processes, O_NONBLOCK opens, EOF
 * after the last writer, EPIPE without readers, the S_IFIFO type in stat, and O_RDWR opens (both
 * ends in one fd: never blocking, releasing blocked openers, inherited across fork and spawn).
 */
import assert from "node:assert/strict";
import { NONBLOCK_RESULT } from "./fixtures/fifo_common.ts";
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
  assert.deepEqual(r, NONBLOCK_RESULT);
});

Deno.test("[worker] FIFO O_RDWR: opens at once, reads back its own writes, EAGAIN (not EOF) when empty", async () => {
  const { report: r } = await scenario("worker", "rdwr", { fixture: "fifo" });
  assert.deepEqual(r, {
    fdType: "10000",
    acc: 2,
    self: "self",
    empty: "EAGAIN",
    fromW: "w",
    afterW: "EAGAIN",
    noEpipe: "ok",
    z: "z",
    shared: "two",
    full: "EAGAIN",
    released: "ENXIO",
  });
});

Deno.test("[worker] FIFO opens past the libOS: bad flags and half-held O_RDWR specs refused", async () => {
  const { report: r } = await scenario("worker", "hostile", { fixture: "fifo" });
  assert.deepEqual(r, {
    str: "INVAL",
    none: "INVAL",
    frac: "INVAL",
    huge: "INVAL",
    side: "both",
    bogusEnd: "INVAL",
    halfBoth: "BAD_HANDLE",
    closedTwice: "BAD_HANDLE",
    alive: "alive",
  });
});

for (const iso of LEVELS) {
  Deno.test(`[${iso}] FIFO O_RDWR releases a reader blocked in open; its close gives that reader EOF`, async () => {
    const { report: r } = await scenario(iso, "rdwr-wakes-reader", { fixture: "fifo" });
    assert.deepEqual(r, { code: 0, got: "to-child" });
  });

  Deno.test(`[${iso}] FIFO O_RDWR releases a writer blocked in open and reads its bytes`, async () => {
    const { report: r } = await scenario(iso, "rdwr-wakes-writer", { fixture: "fifo" });
    assert.deepEqual(r, { code: 0, got: "hi", after: "EAGAIN" });
  });

  Deno.test(`[${iso}] a FIFO O_RDWR fd crosses fork and spawn as one fd with both ends`, async () => {
    const { report: r } = await scenario(iso, "rdwr-inherit", { fixture: "fifo" });
    assert.deepEqual(r, {
      code: 0,
      back: "child:p",
      child: { acc: 2, type: "10000" },
      echoCode: 0,
      echoed: "hi\n",
      after: "EAGAIN",
      released: "ENXIO",
    });
  });
}

Deno.test("[worker] a guest create cannot forge a FIFO; mkfifo on a read-only chroot is EROFS", async () => {
  const { report: r } = await scenario("worker", "forge", { fixture: "fifo" });
  assert.deepEqual(r, { type: "100000", sticky: false, text: "data", chroot: "EROFS" });
});

Deno.test("[worker] shell: mkfifo /tmp/f; cat /tmp/f > /tmp/out & echo hi > /tmp/f; wait", async () => {
  const { report: r } = await scenario("worker", "shell", { fixture: "fifo" });
  assert.deepEqual(r, { code: 0, stdout: "hi\n" });
});
