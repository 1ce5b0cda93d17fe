// The guest side of the PAL (pal/guest/pal.ts) in real sandboxes: every guest-served call in
// both forms, VMAs with faults and the host-enforced quota, and threads (extra Workers of a
// picoprocess sharing its VMAs, events and host handles), under both isolation levels; and the
// shared address space (pal/vma_shared.ts) directly.
import assert from "node:assert/strict";
import { join } from "node:path";
import { sandboxHost } from "./conformance.ts";
import { PalCode, PalError } from "../../pal/errors.ts";
import { PAGE_SIZE, Prot } from "../../pal/vma.ts";
import { SharedAddressSpace } from "../../pal/vma_shared.ts";

function throwsPal(fn: () => unknown, code: number): void {
  assert.throws(fn, (e: unknown) => e instanceof PalError && e.code === code);
}

async function world(argv: string[]): Promise<{ root: string; manifest: string }> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "sandpiper-gpal-" }));
  await Deno.mkdir(join(root, "app"));
  for (
    const [from, to] of [["conformance_guest_local.ts", "guest.ts"], [
      "thread_fns.ts",
      "thread_fns.ts",
    ]] as const
  ) {
    await Deno.copyFile(
      new URL(`./fixtures/${from}`, import.meta.url),
      join(root, "app", to),
    );
  }
  const manifest = join(root, "app", "gpal.toml");
  await Deno.writeTextFile(
    manifest,
    `[loader]
entrypoint = "guest.ts"
argv = ${JSON.stringify(["guest", ...argv])}

[[fs.mounts]]
path = "/t"
type = "tmpfs"
size = "1M"

[sys]
max_threads = 3
vma_quota = "1M"
`,
  );
  return { root, manifest };
}

for (const isolation of ["worker", "process"] as const) {
  Deno.test(`GuestPal: every guest call, VMAs and threads (${isolation} isolation)`, async (t) => {
    const { root, manifest } = await world([]);
    try {
      const out = await sandboxHost(isolation).run(manifest);
      assert.equal(out.code, 0, `guest exited ${out.code}: ${out.stdout}${out.stderr}`);
      const results = out.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assert.ok(results.length >= 18, `only ${results.length} checks reported`);
      for (const r of results) {
        await t.step({ name: r.name, fn: () => assert.ok(r.ok, r.detail) });
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

Deno.test("GuestPal: an uncaught error in a thread ends its process with code 1", async () => {
  const { root, manifest } = await world(["crash"]);
  try {
    const out = await sandboxHost("worker").run(manifest);
    assert.equal(out.code, 1, out.stdout);
    assert.match(out.stderr, /Uncaught in thread 1: .*thread crashed on purpose/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("SharedAddressSpace: a second view over the same buffers sees every change", () => {
  const a = SharedAddressSpace.create({ maxBytes: 1 << 20, maxRegions: 8, quota: null });
  const b = SharedAddressSpace.attach(a.buffers, null);
  const p = a.alloc(2 * PAGE_SIZE, { prot: Prot.READ | Prot.WRITE });
  b.write(p + 5, new Uint8Array([9]));
  assert.deepEqual(a.read(p + 4, 2), new Uint8Array([0, 9]));
  b.protect(p + PAGE_SIZE, PAGE_SIZE, Prot.READ);
  assert.equal(a.regions().length, 2);
  throwsPal(() => a.write(p + PAGE_SIZE, new Uint8Array(1)), PalCode.FAULT);
  a.free(p, 2 * PAGE_SIZE);
  throwsPal(() => b.read(p, 1), PalCode.FAULT);
  assert.equal(b.query(p), null);
});

Deno.test("SharedAddressSpace: quota hooks are charged before mapping and refunded on failure", () => {
  let charged = 0;
  const quota = {
    charge(n: number) {
      if (charged + n > 3 * PAGE_SIZE) throw new PalError(PalCode.QUOTA, "quota");
      charged += n;
    },
    release(n: number) {
      charged -= n;
    },
  };
  const as = SharedAddressSpace.create({ maxBytes: 1 << 20, maxRegions: 2, quota });
  const p = as.alloc(PAGE_SIZE, { prot: Prot.READ });
  throwsPal(() => as.alloc(3 * PAGE_SIZE, { prot: Prot.READ }), PalCode.QUOTA);
  throwsPal(() => as.alloc(PAGE_SIZE, { addr: p, prot: Prot.READ }), PalCode.OVERLAP);
  as.alloc(PAGE_SIZE, { prot: Prot.READ });
  throwsPal(() => as.alloc(PAGE_SIZE, { prot: Prot.READ }), PalCode.NO_MEM); // table full
  assert.equal(charged, 2 * PAGE_SIZE);
  as.free(p, PAGE_SIZE);
  assert.equal(charged, PAGE_SIZE);
});

Deno.test("SharedAddressSpace: garbage in the shared table makes accesses fault, never throw", () => {
  const as = SharedAddressSpace.create({ maxBytes: 1 << 20, maxRegions: 8, quota: null });
  const p = as.alloc(PAGE_SIZE, { prot: Prot.READ | Prot.WRITE });
  const w = new Int32Array(as.buffers.table);
  for (const bad of [[-5, 1e9], [2 ** 30, 3], [0, -1]]) {
    w[8] = bad[0]!;
    w[9] = bad[1]!;
    throwsPal(() => as.read(p, 1), PalCode.FAULT);
    as.regions(); // garbage records are dropped
  }
  w[2] = 1e9; // count beyond capacity
  throwsPal(() => as.write(p, new Uint8Array(1)), PalCode.FAULT);
  throwsPal(
    () => SharedAddressSpace.attach({ table: new SharedArrayBuffer(64), heap: as.heap }, null),
    PalCode.BAD_MESSAGE,
  );
});
