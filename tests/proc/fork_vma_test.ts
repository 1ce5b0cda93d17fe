/**
 * fork-with-state and memory: the child starts with a copy of the parent's private regions
 * (contents and protections; later writes on either side stay private) and maps the parent's
 * shared regions to the same memory (writes on either side are seen by the other).
 */
import assert from "node:assert/strict";
import { LEVELS, scenario } from "./_sb.ts";
import { type SegmentHooks, SharedAddressSpace } from "../../pal/vma_shared.ts";
import { restoreSpace } from "../../pal/vma_snapshot.ts";
import { AddressSpace, Prot, Quota } from "../../pal/vma.ts";
import { PalCode, PalError } from "../../pal/errors.ts";

for (const iso of LEVELS) {
  Deno.test(`[${iso}] a fork child sees the parent's private memory at fork time; later writes are private`, async () => {
    const { report: r } = await scenario(iso, "private", { fixture: "fork_vma" });
    const a = r.a as number, b = r.b as number;
    assert.equal(r.code, 0);
    assert.deepEqual(r.child, {
      a: "hello-world",
      b: [9, 8, 7, 6],
      regionA: { start: a, size: 4096, prot: 3, shared: false, file: false },
      regionB: { start: b, size: 3 * 4096, prot: 1, shared: false, file: false },
      fresh: "CHILD-WROTE",
      roWrite: "PalError",
    });
    assert.equal(r.parentAfter, "hello-world", "the child's write did not reach the parent");
  });
}

for (const iso of LEVELS) {
  Deno.test(`[${iso}] a fork child maps the parent's shared memory itself; private stays private`, async () => {
    const { report: r } = await scenario(iso, "shared", { fixture: "fork_vma" });
    const a = r.a as number, sh = r.sh as number;
    assert.equal(r.code, 0);
    assert.deepEqual(r.child, {
      go: 1,
      fromParent: "from-parent",
      atFork: "at-fork",
      a: "hello-world",
      regionSh: { start: sh, size: 2 * 4096, prot: 3, shared: true, file: false },
      regionA: { start: a, size: 4096, prot: 3, shared: false, file: false },
    }, "the child saw the parent's write made after the fork (one memory, not a copy)");
    assert.equal(r.parentSeesChild, "from-child", "the parent saw the child's write");
    assert.equal(r.parentPrivate, "hello-world", "the child's private write stayed private");
    assert.equal(r.parentSecondPage, "at-fork", "the child's munmap left the parent's mapping");
    assert.deepEqual(r.regionSh, { start: sh, size: 2 * 4096, prot: 3, shared: true, file: false });
  });
}

Deno.test("[process] a process reaches only the shared segments it made or inherited", async () => {
  const { report: r, stdout } = await scenario("process", "guard", { fixture: "fork_vma" });
  assert.deepEqual(r, { code: 7, sh: true });
  const child = JSON.parse(stdout.split("\n").find((l) => l.includes('"attach"'))!);
  assert.deepEqual(child, {
    attach: `PalError:${PalCode.BAD_HANDLE}`,
    odd: `PalError:${PalCode.INVAL}`,
    huge: `PalError:${PalCode.QUOTA}`,
  });
});

Deno.test("[worker] a fork child of a process without an address space maps fresh memory", async () => {
  const { report: r } = await scenario("worker", "none", { fixture: "fork_vma" });
  assert.deepEqual(r, { code: 0 });
});

/** Host-side segments for a SharedAddressSpace outside a sandbox (what vma_segment does). */
function fakeSegments() {
  const segs = new Map<number, SharedArrayBuffer>();
  const log: string[] = [];
  let next = 1;
  const hooks: SegmentHooks = {
    create(bytes) {
      const id = next++;
      segs.set(id, new SharedArrayBuffer(bytes));
      log.push(`create ${id}`);
      return { id, sab: segs.get(id)! };
    },
    attach(id) {
      log.push(`attach ${id}`);
      const sab = segs.get(id);
      if (!sab) throw new PalError(PalCode.BAD_HANDLE, `no segment ${id}`);
      return sab;
    },
    drop(id) {
      log.push(`drop ${id}`);
    },
  };
  return { hooks, log };
}

Deno.test("SharedAddressSpace: shared regions live in segments every thread and a fork child reach", () => {
  const { hooks, log } = fakeSegments();
  const charged: number[] = [];
  const quota = {
    charge: (n: number) => charged.push(n),
    release: (n: number) => charged.push(-n),
  };
  const as = SharedAddressSpace.create({
    maxBytes: 1 << 20,
    maxRegions: 16,
    quota,
    segments: hooks,
  });
  const priv = as.alloc(4096, { prot: Prot.READ | Prot.WRITE });
  const sh = as.alloc(3 * 4096, { prot: Prot.READ | Prot.WRITE, shared: true });
  assert.deepEqual(as.query(sh), { start: sh, size: 3 * 4096, prot: 3, shared: true, file: false });
  as.write(sh + 4090, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])); // across a page edge
  // Another thread of the process: the same table, the segment fetched on first use.
  const thread = SharedAddressSpace.attach(as.buffers, quota, hooks);
  assert.deepEqual(Array.from(thread.read(sh + 4090, 10)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok(log.includes("attach 1"));
  // Futex words of a shared region are words of the segment.
  const w1 = as.word(sh + 8), w2 = thread.word(sh + 8);
  Atomics.store(w1.i32, w1.index, 42);
  assert.equal(Atomics.load(w2.i32, w2.index), 42);
  assert.notEqual(w1.i32.buffer, as.heap);
  // A protection change in the middle splits the region and keeps the segment offsets.
  as.protect(sh + 4096, 4096, Prot.READ);
  assert.throws(() => as.write(sh + 4096, new Uint8Array([1])), /violates protection/);
  as.write(sh + 2 * 4096, new Uint8Array([77]));
  // fork: the private region is copied, the shared one named.
  const snap = as.snapshot();
  assert.equal(snap.regions.length, 1);
  assert.deepEqual(snap.shared?.map((r) => [r.addr - sh, r.size, r.prot, r.seg, r.segPage]), [
    [0, 4096, 3, 1, 0],
    [4096, 4096, 1, 1, 1],
    [8192, 4096, 3, 1, 2],
  ]);
  const before = charged.length;
  const child = restoreSpace(snap, quota, hooks);
  assert.deepEqual(charged.slice(before), [4096], "only the private copy is charged to the child");
  assert.equal(child.read(sh + 2 * 4096, 1)[0], 77);
  child.write(sh + 2 * 4096, new Uint8Array([88]));
  assert.equal(as.read(sh + 2 * 4096, 1)[0], 88, "the parent sees the child's write");
  child.write(priv, new Uint8Array([5]));
  assert.equal(as.read(priv, 1)[0], 0, "private stays private");
  // The child unmaps: the inherited pages are not released (it never paid), the segment is
  // dropped once no region maps it.
  const n = charged.length;
  child.free(sh, 2 * 4096);
  assert.ok(!log.includes("drop 1"));
  child.free(sh + 2 * 4096, 4096);
  assert.deepEqual(charged.slice(n), []);
  assert.ok(log.includes("drop 1"));
  assert.equal(as.read(sh + 2 * 4096, 1)[0], 88, "the parent's mapping is intact");
  // Without segment hooks there are no shared mappings.
  const plain = SharedAddressSpace.create({ maxBytes: 1 << 20, maxRegions: 4, quota: null });
  assert.throws(() => plain.alloc(4096, { prot: 3, shared: true }), PalError);
});

Deno.test("AddressSpace.fork: private mappings copied, anonymous and file-backed shared ones the same SAB", () => {
  const quota = Quota.create(1 << 20);
  const as = AddressSpace.create({ maxBytes: 1 << 20, quota });
  const file = new Uint8Array(4096 + 10);
  const wrote: [number, string][] = [];
  const priv = as.alloc(4096, { prot: Prot.READ | Prot.WRITE });
  const anon = as.alloc(4096, { prot: Prot.READ | Prot.WRITE, shared: true });
  const mapped = as.mapFile({
    prot: Prot.READ | Prot.WRITE,
    shared: true,
    contents: file,
    writeBack: (off, b) => wrote.push([off, new TextDecoder().decode(b.subarray(0, 5))]),
  });
  as.write(priv, new TextEncoder().encode("priv"));
  const used = quota.usedBytes;
  const child = as.fork();
  assert.equal(quota.usedBytes, used + 4096, "only the private copy is charged again");
  assert.deepEqual(child.regions().map((r) => [r.start, r.shared, r.file]), [
    [priv, false, false],
    [anon, true, false],
    [mapped, true, true],
  ]);
  assert.equal(new TextDecoder().decode(child.read(priv, 4)), "priv");
  child.write(priv, new TextEncoder().encode("CHLD"));
  assert.equal(new TextDecoder().decode(as.read(priv, 4)), "priv", "private stays private");
  child.write(anon, new Uint8Array([1, 2, 3]));
  as.write(anon + 3, new Uint8Array([4]));
  assert.deepEqual(Array.from(as.read(anon, 4)), [1, 2, 3, 4]);
  assert.deepEqual(Array.from(child.read(anon, 4)), [1, 2, 3, 4]);
  assert.equal(child.share(anon).sab, as.share(anon).sab);
  child.write(mapped, new TextEncoder().encode("hello"));
  assert.equal(new TextDecoder().decode(as.read(mapped, 5)), "hello");
  as.flush(mapped, 4096);
  assert.deepEqual(wrote, [[0, "hello"]]);
  child.unmapAll();
  assert.equal(quota.usedBytes, used, "the child gave back only what it was charged");
  assert.equal(new TextDecoder().decode(as.read(mapped, 5)), "hello");
});
