// The fast-path codec takes hostile bytes: it decodes what it encoded, and anything else either
// decodes to plain data or throws CodecError — never another error, never a prototype change.
import assert from "node:assert/strict";
import fc from "fast-check";
import { CodecError, decodeValue, encodeValue } from "../../sandbox/plugin_codec.ts";

const plain = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(undefined, null, true, false),
    fc.double(),
    fc.integer(),
    fc.string(),
    fc.uint8Array({ maxLength: 16 }),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie("v"), { maxKeys: 4 }),
  ),
})).v;

Deno.test("encodeValue/decodeValue agree with structuredClone on plain data", () => {
  const buf = new Uint8Array(1 << 16);
  fc.assert(fc.property(plain, (v) => {
    const n = encodeValue(v, buf);
    assert.ok(n >= 0);
    assert.deepEqual(decodeValue(buf.subarray(0, n)), structuredClone(v));
  }));
});

Deno.test("decodeValue throws only CodecError on random bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        decodeValue(bytes);
      } catch (e) {
        assert.ok(e instanceof CodecError, String(e));
      }
    }),
    { numRuns: 5000 },
  );
});

Deno.test("a __proto__ key becomes an own property, not a prototype", () => {
  const buf = new Uint8Array(256);
  const o = JSON.parse('{"__proto__": {"polluted": true}}');
  const v = decodeValue(buf.subarray(0, encodeValue(o, buf))) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.ok(Object.hasOwn(v, "__proto__"));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("values outside the subset or too big are refused with -1", () => {
  const buf = new Uint8Array(64);
  assert.equal(encodeValue(new Map(), buf), -1);
  assert.equal(encodeValue(new Date(), buf), -1);
  assert.equal(encodeValue("x".repeat(100), buf), -1);
  // deno-lint-ignore no-sparse-arrays
  assert.equal(encodeValue([1, , 3], buf), -1);
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  assert.equal(encodeValue(deep, new Uint8Array(4096)), -1);
});
