/** Unit tests of the shared description buffer and of refcounted host handle bindings. */
import assert from "node:assert/strict";
import {
  releaseIfHeld,
  SHARED_FILE_BYTES,
  SharedDescription,
} from "../../libos/proc/shared_file.ts";
import { closeHandle, type HostHandle, shareHandle } from "../../pal/host/handles.ts";

Deno.test("a shared description keeps one position and flags for every process mapping it", () => {
  const sab = new SharedArrayBuffer(SHARED_FILE_BYTES);
  const a = new SharedDescription(sab, 2), b = new SharedDescription(sab, 3);
  a.offset = 2 ** 40 + 3;
  a.flags = 0o2001;
  b.offsetAtEnd = true;
  assert.equal(b.offset, 2 ** 40 + 3);
  assert.equal(b.flags, 0o2001);
  assert.equal(a.offsetAtEnd, true);
  assert.equal(a.locked(() => a.locked(() => "re-entrant")), "re-entrant");
  assert.equal(new Int32Array(sab)[0], 0, "unlocked afterwards");
  assert.throws(() => new SharedDescription(new SharedArrayBuffer(8), 1), RangeError);
});

Deno.test("the host frees the lock of a dead holder, and only its own", () => {
  const sab = new SharedArrayBuffer(SHARED_FILE_BYTES);
  const word = new Int32Array(sab);
  word[0] = 5; // pid 5 died inside a read
  releaseIfHeld(sab, 6);
  assert.equal(word[0], 5);
  releaseIfHeld(sab, 5);
  assert.equal(word[0], 0);
  const d = new SharedDescription(sab, 7);
  assert.equal(d.locked(() => Atomics.load(word, 0)), 7);
});

Deno.test("a host handle bound in two tables is released by its last close only", () => {
  let closes = 0;
  const h = { kind: "file", file: { close: () => closes++ } } as unknown as HostHandle;
  shareHandle(h);
  shareHandle(h);
  closeHandle(h);
  closeHandle(h);
  assert.equal(closes, 0);
  closeHandle(h);
  assert.equal(closes, 1);
});
