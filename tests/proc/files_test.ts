/**
 * Open file descriptions shared across picoprocesses: one position for a parent and child
 * writing in turns through an inherited fd, and O_APPEND records from several processes intact.
 */
import assert from "node:assert/strict";
import { LEVELS, scenario } from "./_sb.ts";

for (const iso of LEVELS) {
  Deno.test(`[${iso}] parent and child writing in turns through an inherited fd share one offset`, async () => {
    const { report: r } = await scenario(iso, "shared-offset", { fixture: "files" });
    const text = "start;p0;c0;p1;c1;p2;c2;p3;c3;p4;c4;end";
    assert.equal(r.text, text);
    assert.equal(r.offset, text.length);
    // Each side sees the position the other left: 6 + 3 per write.
    assert.deepEqual(r.childSaw, [9, 15, 21, 27, 33]);
    assert.deepEqual(r.parentSaw, [12, 18, 24, 30, 36]);
    assert.equal(r.code, 0);
  });
}

Deno.test("[worker] O_APPEND writes of 5 processes through one description: every record intact", async () => {
  const { report: r } = await scenario("worker", "append-many", { fixture: "files" });
  assert.deepEqual(r, { codes: [0, 0, 0, 0], lines: 300, good: 300, distinct: 300 });
});

for (const iso of LEVELS) {
  Deno.test(`[${iso}] exec replaces the program: same pid, fds without cloexec (shared offset), ignored signals, umask, cwd`, async () => {
    const { report: r } = await scenario(iso, "exec", { fixture: "files" });
    const got = r.got as Record<string, unknown>;
    assert.equal(r.wpid, r.c);
    assert.equal(r.code, 7);
    assert.equal(r.head, "before;child;ENOENT;");
    assert.deepEqual(got, {
      pid: r.c,
      argv: [String(3), String(4)],
      env: "exec",
      offset: (r.head as string).length,
      cloexec: "EBADF",
      usr1: "ignore",
      usr2: "string",
      umask: 0o027,
      cwd: "/tmp",
    });
    assert.equal(r.after, r.size);
  });
}

Deno.test("[worker] fork-with-state inherits the current env, umask, cwd, the mask and ignored signals; handlers become default", async () => {
  const { report: r } = await scenario("worker", "fork-inherit", { fixture: "files" });
  assert.deepEqual(r, {
    env: "set-after-start",
    umask: 0o077,
    cwd: "/tmp",
    usr1: "ignore",
    int: "default",
    mask: 1 << 12,
  });
});
