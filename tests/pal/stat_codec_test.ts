/**
 * pal/stat_codec.ts: a stat crosses the call page in a fixed binary layout and comes back with
 * the shape JSON gave it; whatever a handler returns, the encoder writes a well-formed record or
 * refuses, and never writes past its bytes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeStat, encodeStat, STAT_BYTES, STAT_TYPES } from "../../pal/stat_codec.ts";

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const ns = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String);

Deno.test("stat codec: every stat round-trips as JSON would carry it", () => {
  fc.assert(
    fc.property(
      fc.record({
        type: fc.constantFrom(...STAT_TYPES),
        size: finite,
        ino: finite,
        nlink: finite,
        mode: finite,
        dev: finite,
        atimeMs: finite,
        mtimeMs: finite,
        ctimeMs: finite,
        atimeNs: fc.option(ns, { nil: undefined }),
        mtimeNs: fc.option(ns, { nil: undefined }),
        ctimeNs: fc.option(ns, { nil: undefined }),
      }),
      (st) => {
        const view = new DataView(new ArrayBuffer(STAT_BYTES));
        assert.equal(encodeStat(view, st), STAT_BYTES);
        const want = JSON.parse(JSON.stringify(st));
        // JSON writes -0 as 0; the binary form keeps it: compare as JSON does (ns as decimals).
        const got = JSON.stringify(
          decodeStat(view),
          (_k, v) => typeof v === "bigint" ? String(v) : v,
        );
        assert.deepEqual(JSON.parse(got), want);
      },
    ),
  );
});

Deno.test("stat codec: garbage from a handler is written as zeros and absent times, never past the record", () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.anything()), (o) => {
      const buf = new Uint8Array(STAT_BYTES + 16).fill(0xee);
      const view = new DataView(buf.buffer, 0, STAT_BYTES);
      encodeStat(view, o);
      assert.ok(buf.subarray(STAT_BYTES).every((b) => b === 0xee), "wrote past the record");
      const st = decodeStat(view);
      assert.ok(STAT_TYPES.includes(st.type));
      for (const k of ["size", "ino", "nlink", "mode", "dev", "atimeMs", "mtimeMs", "ctimeMs"]) {
        assert.ok(Number.isFinite(st[k as keyof typeof st]), k);
      }
      for (const k of ["atimeNs", "mtimeNs", "ctimeNs"] as const) {
        const v = st[k];
        if (v !== undefined) assert.ok(v >= 0n && v <= 2n ** 63n - 1n, `${k} ${v}`);
      }
    }),
  );
  for (const bad of [null, undefined, 7, "x"]) {
    assert.throws(() => encodeStat(new DataView(new ArrayBuffer(STAT_BYTES)), bad), TypeError);
  }
  const view = new DataView(new ArrayBuffer(STAT_BYTES));
  encodeStat(view, { type: "door", size: NaN, atimeNs: "-1", mtimeNs: "99999999999999999999" });
  assert.deepEqual(decodeStat(view), {
    type: "other",
    size: 0,
    ino: 0,
    nlink: 0,
    mode: 0,
    dev: 0,
    atimeMs: 0,
    mtimeMs: 0,
    ctimeMs: 0,
  });
});
