import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { PalCode, PalError } from "../../pal/errors.ts";
import { Interrupt } from "../../pal/futex.ts";
import { PIPE_BUF } from "../../pal/pipe_ends.ts";
import { HEADER_BYTES, PipeRing } from "../../pal/pipe_ring.ts";
import { spawn } from "./fixtures/spawn.ts";

const enc = (s: string) => new TextEncoder().encode(s);
type Reply = { n?: number; data?: Uint8Array; code?: number; other?: string };

function throwsPal(fn: () => unknown, code: number): void {
  throws(fn, (e: unknown) => e instanceof PalError && e.code === code);
}

Deno.test("a blocked reader in one Worker wakes when another Worker writes", async () => {
  const ring = PipeRing.create(PIPE_BUF);
  const keep = ring.openWriter();
  ring.openReader(); // handed to the reader worker
  const reader = await spawn("pipe_worker.ts"), writer = await spawn("pipe_worker.ts");
  try {
    const got = reader.call<Reply>({ cmd: "read", sab: ring.sab, len: 64 });
    deepStrictEqual(await reader.settleWithin(got, 50), "pending");
    await writer.call({ cmd: "write", sab: ring.sab, data: enc("hello"), close: true });
    const r = await got;
    deepStrictEqual(new TextDecoder().decode(r.data), "hello");
  } finally {
    keep.close();
    reader.terminate();
    writer.terminate();
  }
});

Deno.test("a reader gets all data then EOF (0) when the last writer closes", async () => {
  const ring = PipeRing.create(PIPE_BUF);
  const mine = ring.openWriter();
  ring.openReader();
  const reader = await spawn("pipe_worker.ts"), writer = await spawn("pipe_worker.ts");
  try {
    const all = reader.call<Reply>({ cmd: "readAll", sab: ring.sab });
    await writer.call({ cmd: "write", sab: ring.sab, data: enc("abc"), close: true });
    deepStrictEqual(await reader.settleWithin(all, 50), "pending"); // one writer is still open
    mine.write(enc("def"));
    mine.close();
    deepStrictEqual(new TextDecoder().decode((await all).data), "abcdef");
  } finally {
    reader.terminate();
    writer.terminate();
  }
});

Deno.test("a blocked writer fails with BROKEN_PIPE when the last reader closes", async () => {
  const ring = PipeRing.create(PIPE_BUF);
  const r = ring.openReader();
  const w = ring.openWriter();
  w.write(new Uint8Array(PIPE_BUF)); // full
  const writer = await spawn("pipe_worker.ts");
  try {
    const res = writer.call<Reply>({ cmd: "write", sab: ring.sab, data: enc("x") });
    deepStrictEqual(await writer.settleWithin(res, 50), "pending");
    r.close();
    strictEqual((await res).code, PalCode.BROKEN_PIPE);
    throwsPal(() => w.write(enc("y")), PalCode.BROKEN_PIPE);
  } finally {
    writer.terminate();
  }
});

Deno.test("a writer blocks while the ring is full and resumes as the reader drains", async () => {
  const ring = PipeRing.create(PIPE_BUF);
  const r = ring.openReader();
  const data = Uint8Array.from({ length: 65536 }, (_, i) => (i * 7) & 255);
  const writer = await spawn("pipe_worker.ts");
  try {
    const res = writer.call<Reply>({ cmd: "write", sab: ring.sab, data, close: true });
    deepStrictEqual(await writer.settleWithin(res, 50), "pending");
    const st = ring.poll();
    ok(st.readable && !st.writable, "ring is full while the writer waits");
    const got = new Uint8Array(data.length);
    let off = 0;
    while (off < got.length) off += r.read(got.subarray(off, off + 1000));
    deepStrictEqual((await res).n, data.length);
    deepStrictEqual(got, data);
    deepStrictEqual(r.read(new Uint8Array(1)), 0);
  } finally {
    writer.terminate();
  }
});

Deno.test("writes of at most PIPE_BUF bytes from two Workers never interleave", async () => {
  const ring = PipeRing.create(2 * PIPE_BUF);
  ring.openReader();
  ring.openWriter();
  ring.openWriter();
  const size = 3000, count = 300;
  const ws = [await spawn("pipe_worker.ts"), await spawn("pipe_worker.ts")];
  const reader = await spawn("pipe_worker.ts");
  try {
    const all = reader.call<Reply>({ cmd: "readAll", sab: ring.sab });
    await Promise.all(
      ws.map((w, i) => w.call({ cmd: "records", sab: ring.sab, count, size, tag: i + 1 })),
    );
    const data = (await all).data!;
    deepStrictEqual(data.length, 2 * size * count);
    for (let off = 0; off < data.length; off += size) {
      const rec = data.subarray(off, off + size);
      ok(rec.every((b) => b === rec[0]), `record at ${off} is interleaved`);
    }
  } finally {
    [...ws, reader].forEach((w) => w.terminate());
  }
});

Deno.test("nonblocking read with no data fails with TRY_AGAIN; nonblocking full write too", () => {
  const ring = PipeRing.create(PIPE_BUF);
  const r = ring.openReader(), w = ring.openWriter();
  throwsPal(() => r.read(new Uint8Array(8), { nonblocking: true }), PalCode.TRY_AGAIN);
  throwsPal(() => r.read(new Uint8Array(8), { timeoutMs: 5 }), PalCode.TIMED_OUT);
  deepStrictEqual(w.write(new Uint8Array(PIPE_BUF - 10)), PIPE_BUF - 10);
  throwsPal(() => w.write(new Uint8Array(100), { nonblocking: true }), PalCode.TRY_AGAIN);
  deepStrictEqual(w.write(new Uint8Array(PIPE_BUF + 100), { nonblocking: true }), 10);
  w.close();
  deepStrictEqual(r.read(new Uint8Array(PIPE_BUF)), PIPE_BUF);
  deepStrictEqual(r.read(new Uint8Array(8), { nonblocking: true }), 0);
});

Deno.test("interrupt() wakes a reader blocked in another Worker with INTERRUPTED", async (t) => {
  const ring = PipeRing.create(PIPE_BUF);
  const keep = ring.openWriter();
  ring.openReader();
  const reader = await spawn("pipe_worker.ts");
  try {
    await t.step("with a kick of the ring", async () => {
      const token = Interrupt.create();
      const res = reader.call<Reply>({ cmd: "read", sab: ring.sab, len: 8, intr: token.sab });
      deepStrictEqual(await reader.settleWithin(res, 50), "pending");
      ring.interrupt(token);
      strictEqual((await res).code, PalCode.INTERRUPTED);
    });
    await t.step("by the token alone, within the poll period", async () => {
      const token = Interrupt.create();
      const res = reader.call<Reply>({ cmd: "read", sab: ring.sab, len: 8, intr: token.sab });
      deepStrictEqual(await reader.settleWithin(res, 50), "pending");
      token.raise();
      strictEqual((await reader.settleWithin(res, 500) as Reply).code, PalCode.INTERRUPTED);
    });
  } finally {
    keep.close();
    reader.terminate();
  }
});

Deno.test("forceClose after a writer Worker is terminated gives the blocked reader EOF", async () => {
  const ring = PipeRing.create(PIPE_BUF);
  ring.openReader();
  const holder = await spawn("pipe_worker.ts"), reader = await spawn("pipe_worker.ts");
  try {
    await holder.call({ cmd: "holdWriter", sab: ring.sab });
    const res = reader.call<Reply>({ cmd: "read", sab: ring.sab, len: 8 });
    holder.terminate();
    deepStrictEqual(await reader.settleWithin(res, 100), "pending");
    ring.forceClose("writers", 1);
    deepStrictEqual((await res).n, 0);
  } finally {
    reader.terminate();
  }
});

Deno.test("attach() rejects a garbage buffer with BAD_MESSAGE", () => {
  throwsPal(() => PipeRing.attach(new SharedArrayBuffer(HEADER_BYTES + 4096)), PalCode.BAD_MESSAGE);
  throwsPal(() => PipeRing.attach(new SharedArrayBuffer(100)), PalCode.BAD_MESSAGE);
  const bogus = new ArrayBuffer(8) as unknown as SharedArrayBuffer;
  throwsPal(() => PipeRing.attach(bogus), PalCode.BAD_MESSAGE);
});

Deno.test("garbage header words make read/write fail only with PalError, never hang", async () => {
  const op = fc.record({
    word: fc.nat(15),
    value: fc.oneof(fc.integer(), fc.constantFrom(0, 1, 2, -1, 4096, 8192, 2 ** 31 - 1)),
    act: fc.constantFrom("read", "write", "bigWrite", "poll", "readAsync", "writeAsync"),
    nonblocking: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
      const ring = PipeRing.create(PIPE_BUF);
      const r = ring.openReader(), w = ring.openWriter();
      w.write(enc("seed"));
      for (const o of ops) {
        Atomics.store(ring.i32, o.word, o.value);
        const opts = o.nonblocking ? { nonblocking: true } : { timeoutMs: 2 };
        const t0 = performance.now();
        try {
          const buf = new Uint8Array(o.act === "bigWrite" ? 3 * PIPE_BUF : 100);
          let n = 0;
          if (o.act === "read") n = r.read(buf, opts);
          else if (o.act === "readAsync") n = await r.readAsync(buf, opts);
          else if (o.act === "writeAsync") n = await w.writeAsync(buf, opts);
          else if (o.act === "poll") ring.poll();
          else n = w.write(buf, opts);
          ok(n >= 0 && n <= buf.length, `count ${n} out of range`);
        } catch (e) {
          if (!(e instanceof PalError)) throw e;
        }
        ok(performance.now() - t0 < 1000, "operation took too long");
      }
    }),
    { numRuns: 300 },
  );
});
