// The host never trusts a call page: 100,000 random calls and raw slot contents are thrown at a
// real sandbox host; every one ends in a result or an error code, the host never throws, and a
// well-formed call still works afterwards.
import assert from "node:assert/strict";
import fc from "fast-check";
import { ABI, type ArgType } from "../../pal/abi.ts";
import { isPalCode } from "../../pal/errors.ts";
import { createPage, type PageGeometry, slotOffset, SlotState, SlotWord } from "../../pal/ring.ts";
import { manifestFromObject } from "../../sandbox/manifest.ts";
import { hostConfigFromManifest } from "../../sandbox/host/config_build.ts";
import { SandboxHost } from "../../sandbox/host/sandbox_host.ts";
import { HostProc } from "../../sandbox/host/proc.ts";

const G: PageGeometry = { slots: 1, inlineBytes: 512, bulkBytes: 4096 };
const CALLS = Object.values(ABI);
const URIS = [
  "file://1/a",
  "file://1/",
  "dir://1/",
  "dir://2/x",
  "file://2/../../etc/passwd",
  "file://9/x",
  "dev:null",
  "dev:zero",
  "dev:random",
  "dev:stdout",
  "tcp:127.0.0.1:9",
  "tcp.srv:0.0.0.0:1",
  "\u0000",
  "",
];

async function makeHost() {
  const dir = await Deno.makeTempDir({ prefix: "sandpiper-fuzz-" });
  await Deno.writeTextFile(`${dir}/app.js`, "");
  await Deno.mkdir(`${dir}/rw`);
  const m = manifestFromObject({
    loader: { entrypoint: "app.js" },
    fs: {
      mounts: [{ path: "/rw", uri: "file:rw" }, { path: "/t", type: "tmpfs", size: "1M" }],
    },
  }, { baseDir: dir });
  const events: string[] = [];
  const host = new SandboxHost(hostConfigFromManifest(m), (ev) => events.push(ev.type));
  return { dir, host, events };
}

const intArb = fc.oneof(
  fc.integer({ min: -5, max: 70000 }),
  fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e300, NaN, Infinity, -0),
  fc.double(),
);
const argArb = (t: ArgType): fc.Arbitrary<unknown> => {
  switch (t) {
    case "int":
    case "out":
      return intArb;
    case "str":
      return fc.oneof(fc.constantFrom(...URIS), fc.string({ maxLength: 300 }));
    case "bytes":
      return fc.uint8Array({ maxLength: 600 });
    case "json":
      return fc.jsonValue({ maxDepth: 3 });
  }
};

/** Encode a structurally plausible request, with random values and random locators. */
function writeStructured(
  data: DataView,
  bytes: Uint8Array,
  types: readonly ArgType[],
  args: unknown[],
  junkLocators: boolean,
): number {
  let pos = 0;
  let tail = 0;
  for (const t of types) tail += t === "int" ? 8 : 9;
  types.forEach((t, i) => {
    const a = args[i];
    if (t === "int") {
      if (pos + 8 <= data.byteLength) data.setFloat64(pos, a as number, true);
      pos += 8;
      return;
    }
    let payload: Uint8Array;
    if (t === "out") payload = new Uint8Array(0);
    else if (t === "bytes") payload = a as Uint8Array;
    else payload = new TextEncoder().encode(t === "str" ? String(a) : JSON.stringify(a));
    const len = t === "out" ? Math.abs(Math.trunc(Number(a))) % 5000 : payload.length;
    const fits = tail + payload.length <= bytes.length;
    if (pos + 9 > data.byteLength) return;
    data.setUint8(pos, junkLocators ? (i * 7) % 3 : 0);
    data.setUint32(pos + 1, junkLocators ? (len * 31) >>> 0 : (fits ? tail : 0), true);
    data.setUint32(pos + 5, junkLocators ? (len * 1_000_003) >>> 0 : len, true);
    if (fits && !junkLocators) bytes.set(payload, tail);
    if (fits) tail += payload.length;
    pos += 9;
  });
  return Math.min(tail, bytes.length);
}

function checkSlot(words: Int32Array, before: number): void {
  const state = Atomics.load(words, SlotWord.STATE);
  if (before !== SlotState.SUBMITTED) {
    assert.equal(state, before, "the host touched a slot that was not submitted");
    return;
  }
  assert.ok(state === SlotState.DONE || state === SlotState.SERVING, `state ${state}`);
  if (state === SlotState.DONE) {
    const r = words[SlotWord.RESULT]!;
    assert.ok(r >= 0 || isPalCode(-r), `result ${r} is not a PAL code`);
  }
}

Deno.test("the host answers 100,000 random calls and slot contents with results or error codes", async () => {
  const { dir, host } = await makeHost();
  const proc = new HostProc(1000, 0, host, 64);
  const port = new MessageChannel();
  try {
    const structured = fc.constantFrom(...CALLS).chain((call) =>
      fc.record({
        call: fc.constant(call),
        args: fc.tuple(...(call.args as readonly ArgType[]).map(argArb)),
        junk: fc.boolean(),
        reqLenDelta: fc.integer({ min: -20, max: 20 }),
      })
    );
    const raw = fc.record({
      words: fc.array(fc.integer(), { minLength: 8, maxLength: 8 }),
      data: fc.uint8Array({ maxLength: 512 }),
    });
    let served = 0;
    const run = (fill: (words: Int32Array, view: DataView, bytes: Uint8Array) => void) => {
      const page = createPage(G);
      const token = host.server.attach(page, G, proc, port.port1);
      const off = slotOffset(G, 0);
      const words = new Int32Array(page, off, 8);
      const bytes = new Uint8Array(page, off + 32, G.inlineBytes);
      fill(words, new DataView(page, off + 32, G.inlineBytes), bytes);
      const before = Atomics.load(words, SlotWord.STATE);
      served += host.server.serveAvailable();
      checkSlot(words, before);
      host.server.detach(token);
    };
    fc.assert(
      fc.property(structured, (s) => {
        run((words, view, bytes) => {
          const types = s.call.args as readonly ArgType[];
          const len = writeStructured(view, bytes, types, s.args as unknown[], s.junk);
          words[SlotWord.CALL] = s.call.num;
          words[SlotWord.REQ_LEN] = len + (s.junk ? s.reqLenDelta : 0);
          Atomics.store(words, SlotWord.STATE, SlotState.SUBMITTED);
        });
      }),
      { numRuns: 50_000 },
    );
    fc.assert(
      fc.property(raw, (r) => {
        run((words, _view, bytes) => {
          bytes.set(r.data);
          r.words.forEach((w, i) => (words[i] = w));
          if (r.words[0]! % 2 === 0) words[SlotWord.STATE] = SlotState.SUBMITTED;
        });
      }),
      { numRuns: 50_000 },
    );
    assert.ok(served > 40_000, `only ${served} calls were claimed`);
    // The host is still healthy: a well-formed call through a fresh page works.
    const page = createPage(G);
    host.server.attach(page, G, proc, port.port1);
    const words = new Int32Array(page, slotOffset(G, 0), 8);
    words[SlotWord.CALL] = ABI.null_call.num;
    words[SlotWord.REQ_LEN] = 0;
    Atomics.store(words, SlotWord.STATE, SlotState.SUBMITTED);
    assert.equal(host.server.serveAvailable(), 1);
    assert.equal(words[SlotWord.STATE], SlotState.DONE);
    assert.equal(words[SlotWord.RESULT], 0);
  } finally {
    port.port1.close();
    port.port2.close();
    await host.close();
    await Deno.remove(dir, { recursive: true });
  }
});
