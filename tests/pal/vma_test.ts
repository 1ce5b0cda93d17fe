import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { PalCode, PalError } from "../../pal/errors.ts";
import { AddressSpace, BASE_ADDR, PAGE_SIZE, Prot, Quota } from "../../pal/vma.ts";
import { spawn } from "./fixtures/spawn.ts";

type Reply<T = unknown> = { r: T; code?: number; other?: string };
const RW = Prot.READ | Prot.WRITE;

function throwsPal(fn: () => unknown, code: number): void {
  throws(fn, (e: unknown) => e instanceof PalError && e.code === code);
}

function space(maxBytes = 1 << 20, quota: Quota | null = null): AddressSpace {
  return AddressSpace.create({ maxBytes, quota });
}

Deno.test("alloc returns page-aligned zeroed memory; free unmaps; reuse is zeroed", () => {
  const as = space();
  const a = as.alloc(100, { prot: RW });
  strictEqual(a % PAGE_SIZE, 0);
  ok(a >= BASE_ADDR);
  deepStrictEqual(as.query(a + 50), {
    start: a,
    size: PAGE_SIZE,
    prot: RW,
    shared: false,
    file: false,
  });
  as.write(a + 10, new Uint8Array([1, 2, 3]));
  deepStrictEqual(as.read(a + 9, 5), new Uint8Array([0, 1, 2, 3, 0]));
  as.free(a, 100);
  strictEqual(as.query(a), null);
  throwsPal(() => as.read(a, 1), PalCode.FAULT);
  const b = as.alloc(PAGE_SIZE, { prot: RW });
  strictEqual(b, a, "first fit reuses the hole");
  deepStrictEqual(as.read(b + 9, 5), new Uint8Array(5));
});

Deno.test("alloc at a taken address fails with OVERLAP; a free one is honoured", () => {
  const as = space();
  const at = BASE_ADDR + 8 * PAGE_SIZE;
  strictEqual(as.alloc(2 * PAGE_SIZE, { addr: at, prot: RW }), at);
  throwsPal(() => as.alloc(PAGE_SIZE, { addr: at + PAGE_SIZE, prot: RW }), PalCode.OVERLAP);
  throwsPal(() => as.alloc(2 * PAGE_SIZE, { addr: at - PAGE_SIZE, prot: RW }), PalCode.OVERLAP);
  throwsPal(() => as.alloc(PAGE_SIZE, { addr: at + 1, prot: RW }), PalCode.INVAL);
  strictEqual(as.alloc(PAGE_SIZE, { addr: at + 2 * PAGE_SIZE, prot: RW }), at + 2 * PAGE_SIZE);
  throwsPal(() => space(2 * PAGE_SIZE).alloc(3 * PAGE_SIZE, { prot: RW }), PalCode.INVAL);
  const small = space(2 * PAGE_SIZE);
  small.alloc(PAGE_SIZE, { prot: RW });
  small.alloc(PAGE_SIZE, { prot: RW });
  throwsPal(() => small.alloc(PAGE_SIZE, { prot: RW }), PalCode.NO_MEM);
});

Deno.test("protect splits a mapping and read/write fault where prot forbids", () => {
  const as = space();
  const a = as.alloc(3 * PAGE_SIZE, { prot: RW });
  as.protect(a + PAGE_SIZE, PAGE_SIZE, Prot.READ);
  strictEqual(as.regions().length, 3);
  throwsPal(() => as.write(a + PAGE_SIZE - 1, new Uint8Array(2)), PalCode.FAULT);
  deepStrictEqual(as.read(a, 1), new Uint8Array(1), "a faulting write wrote nothing");
  as.write(a, new Uint8Array([9]));
  as.protect(a, PAGE_SIZE, Prot.NONE);
  throwsPal(() => as.read(a, 1), PalCode.FAULT);
  throwsPal(() => as.protect(a, 5 * PAGE_SIZE, RW), PalCode.FAULT);
  throwsPal(() => as.read(BASE_ADDR - 1, 1), PalCode.FAULT);
  as.free(a + PAGE_SIZE, PAGE_SIZE);
  throwsPal(() => as.read(a + 2 * PAGE_SIZE - 1, 2), PalCode.FAULT);
  as.protect(a, PAGE_SIZE, Prot.READ);
  strictEqual(as.read(a, 1)[0], 9);
});

Deno.test("the quota is charged on alloc, released on free, and fails with QUOTA", () => {
  const q = Quota.create(4 * PAGE_SIZE);
  const as = space(1 << 20, q);
  const a = as.alloc(3 * PAGE_SIZE, { prot: RW });
  strictEqual(q.usedBytes, 3 * PAGE_SIZE);
  throwsPal(() => as.alloc(2 * PAGE_SIZE, { prot: RW }), PalCode.QUOTA);
  strictEqual(q.usedBytes, 3 * PAGE_SIZE, "a failed alloc charges nothing");
  as.free(a + PAGE_SIZE, PAGE_SIZE);
  strictEqual(q.usedBytes, 2 * PAGE_SIZE);
  as.alloc(2 * PAGE_SIZE, { prot: RW });
  as.unmapAll();
  strictEqual(q.usedBytes, 0);
});

Deno.test("two Workers racing on one quota never overrun it together", async () => {
  const pages = 1000;
  const q = Quota.create(pages * PAGE_SIZE);
  const ws = [await spawn("vma_worker.ts"), await spawn("vma_worker.ts")];
  try {
    for (const w of ws) await w.call({ cmd: "init", maxBytes: 1 << 24, quota: q.sab });
    const got = await Promise.all(
      ws.map((w) => w.call<Reply<number>>({ cmd: "allocUntilQuota", size: PAGE_SIZE })),
    );
    strictEqual(got[0]!.r + got[1]!.r, pages);
    strictEqual(q.usedBytes, pages * PAGE_SIZE);
  } finally {
    ws.forEach((w) => w.terminate());
  }
});

Deno.test("a shared mapping exported by one Worker is the same memory in another", async () => {
  const a = await spawn("vma_worker.ts"), b = await spawn("vma_worker.ts");
  try {
    await a.call({ cmd: "init", maxBytes: 1 << 20 });
    await b.call({ cmd: "init", maxBytes: 1 << 20 });
    const made = await a.call<Reply<{ addr: number; region: unknown }>>({
      cmd: "makeShared",
      text: "from A",
    });
    const bAddr = (await b.call<Reply<number>>({ cmd: "mapShared", region: made.r.region })).r;
    strictEqual((await b.call<Reply>({ cmd: "read", addr: bAddr, len: 6 })).r, "from A");
    await b.call({ cmd: "write", addr: bAddr + 4096, text: "from B" });
    strictEqual(
      (await a.call<Reply>({ cmd: "read", addr: made.r.addr + 4096, len: 6 })).r,
      "from B",
    );
    const bad = { sab: new SharedArrayBuffer(4096), offset: 4096, size: 4096 };
    strictEqual((await b.call<Reply>({ cmd: "mapShared", region: bad })).code, PalCode.INVAL);
  } finally {
    a.terminate();
    b.terminate();
  }
});

Deno.test("file mappings: private copies in; shared writes back on flush and unmap", () => {
  const as = space();
  const file = new TextEncoder().encode("hello file");
  const p = as.mapFile({ contents: file, prot: Prot.READ });
  strictEqual(new TextDecoder().decode(as.read(p, file.length)), "hello file");
  throwsPal(() => as.write(p, new Uint8Array(1)), PalCode.FAULT);

  const writes: [number, string][] = [];
  const s = as.mapFile({
    contents: file,
    fileOffset: 100,
    prot: RW,
    shared: true,
    writeBack: (off, bytes) => writes.push([off, new TextDecoder().decode(bytes)]),
  });
  as.write(s, new TextEncoder().encode("J"));
  as.flush(s, PAGE_SIZE);
  deepStrictEqual(writes, [[100, "Jello file"]]);
  as.write(s + 6, new TextEncoder().encode("F"));
  as.free(s, PAGE_SIZE);
  deepStrictEqual(writes[1], [100, "Jello File"]);
  throwsPal(() => as.mapFile({ contents: file, prot: RW, shared: true }), PalCode.INVAL);
});
