/** TmpFs: the conformance suite plus its own promises (space cap, unlinked open files). */
import assert from "node:assert/strict";
import { PalCode } from "../../pal/errors.ts";
import { TmpFs } from "../../pal/host/tmpfs.ts";
import { runFsConformance } from "./fs_conformance.ts";
import { assertPal, bytes, readText, writeText } from "./fs_conformance_util.ts";

runFsConformance({
  name: "tmpfs",
  makeFs: ({ readonly }) =>
    Promise.resolve({ fs: new TmpFs({ sizeBytes: 16 << 20, readonly }), cleanup: () => {} }),
});

Deno.test("tmpfs: a write that would exceed the size cap is NO_SPACE and writes nothing", () => {
  const fs = new TmpFs({ sizeBytes: 4096 });
  writeText(fs, "f", "keep");
  const used = fs.statfs().usedBytes;
  const f = fs.open("f", { read: true, write: true }, 0);
  assertPal(() => f.pwrite(new Uint8Array(8192).fill(1), 0), PalCode.NO_SPACE);
  assertPal(() => f.append(new Uint8Array(8192).fill(1)), PalCode.NO_SPACE);
  assertPal(() => f.truncate(1 << 20), PalCode.NO_SPACE);
  assertPal(() => fs.truncate("f", 1 << 20), PalCode.NO_SPACE);
  assert.equal(f.stat().size, 4);
  assert.equal(readText(fs, "f"), "keep");
  assert.equal(fs.statfs().usedBytes, used);
  f.close();
});

Deno.test("tmpfs: names and inodes are charged, so empty files cannot fill memory", () => {
  const fs = new TmpFs({ sizeBytes: 64 * 1024 });
  let made = 0;
  assertPal(() => {
    for (;; made++) fs.mkdir(`d${made}`, 0o755);
  }, PalCode.NO_SPACE);
  assert.ok(made > 10 && made < 1000, `made ${made}`);
  assert.ok(fs.statfs().usedBytes <= fs.statfs().totalBytes);
  for (let i = 0; i < made; i++) fs.rmdir(`d${i}`);
  assert.equal(fs.statfs().usedBytes, 0);
});

Deno.test("tmpfs: an unlinked open file keeps its data and space until the last close", () => {
  const fs = new TmpFs({ sizeBytes: 1 << 20 });
  writeText(fs, "f", "x".repeat(1000));
  const a = fs.open("f", { read: true, write: true }, 0);
  const b = fs.open("f", { read: true }, 0);
  fs.unlink("f");
  assert.equal(a.stat().nlink, 0);
  a.append(bytes("tail"));
  const buf = new Uint8Array(4);
  b.pread(buf, 1000);
  assert.equal(new TextDecoder().decode(buf), "tail");
  assert.ok(fs.statfs().usedBytes >= 1004);
  a.close();
  assert.ok(fs.statfs().usedBytes >= 1004);
  b.close();
  assert.equal(fs.statfs().usedBytes, 0);
});

Deno.test("tmpfs: a sparse truncate-up costs no memory beyond the charge", () => {
  const fs = new TmpFs({ sizeBytes: 2 ** 40 });
  fs.open("big", { write: true, create: true }, 0o644).close();
  fs.truncate("big", 2 ** 39);
  const f = fs.open("big", { read: true }, 0);
  const buf = new Uint8Array(16).fill(9);
  assert.equal(f.pread(buf, 2 ** 39 - 8), 8);
  assert.deepEqual([...buf.subarray(0, 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
  f.close();
});

Deno.test("tmpfs: mode bits are kept exactly (no umask)", () => {
  const fs = new TmpFs({ sizeBytes: 1 << 20 });
  fs.mkdir("d", 0o1777);
  assert.equal(fs.lstat("d").mode, 0o1777);
});
