/** The control channel's own HMAC-SHA256 (sandbox/host/hmac.ts): FIPS 180-4 and RFC 4231 known
 * answers, and agreement with node:crypto on random keys and messages split at random. */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import { HmacSha256, sameBytes, Sha256, sha256 } from "../../sandbox/host/hmac.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const utf8 = (s: string) => new TextEncoder().encode(s);

Deno.test("sha256: FIPS 180-4 examples and the padding edges", () => {
  assert.equal(
    hex(sha256(utf8(""))),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    hex(sha256(utf8("abc"))),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    hex(sha256(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  // Around the block and length-field boundaries, against node:crypto.
  for (const n of [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 70_000]) {
    const m = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
    assert.equal(hex(sha256(m)), createHash("sha256").update(m).digest("hex"), `length ${n}`);
  }
});

Deno.test("hmac-sha256: RFC 4231 test cases 1, 2 and 6", () => {
  const mac = (key: Uint8Array, data: Uint8Array) => hex(new HmacSha256(key).mac(data));
  assert.equal(
    mac(new Uint8Array(20).fill(0x0b), utf8("Hi There")),
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
  );
  assert.equal(
    mac(utf8("Jefe"), utf8("what do ya want for nothing?")),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  // A key longer than a block is hashed first.
  assert.equal(
    mac(
      new Uint8Array(131).fill(0xaa),
      utf8("Test Using Larger Than Block-Size Key - Hash Key First"),
    ),
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  );
});

Deno.test("hmac-sha256 and sha256 agree with node:crypto (random keys, messages and splits)", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
      (key, parts) => {
        const node = createHmac("sha256", key);
        const whole = createHash("sha256");
        for (const p of parts) {
          node.update(p);
          whole.update(p);
        }
        assert.equal(hex(new HmacSha256(key).mac(...parts)), node.digest("hex"));
        const s = new Sha256();
        for (const p of parts) s.update(p);
        assert.equal(hex(s.digest()), whole.digest("hex"));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("sameBytes compares whole contents and lengths", () => {
  assert.ok(sameBytes(utf8("abc"), utf8("abc")));
  assert.ok(!sameBytes(utf8("abc"), utf8("abd")));
  assert.ok(!sameBytes(utf8("abc"), utf8("abcd")));
  assert.ok(sameBytes(new Uint8Array(0), new Uint8Array(0)));
});
