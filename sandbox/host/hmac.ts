/**
 * HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256) in TypeScript, for the frames of the control
 * channel (framing.ts) when `node:crypto` is not loaded.
 *
 * Why not `node:crypto` alone: loading it is most of what Deno's Node layer costs a process that
 * imports nothing else of it, measured at ~17–29 ms (plus ~8–20 ms for the layer itself) of each
 * host process's and host Worker's start (`deno run` of the host graph: ~65 → ~30 ms without any
 * `node:` import). Web Crypto's HMAC is asynchronous and took ~97 µs a tag. This one takes ~6 µs
 * for a small frame and runs at ~100 MB/s; `node:crypto` (SHA-NI) runs at ~1.6 GB/s, so framing.ts
 * takes it for large frames once it is loaded (lazily, pal/host/lazy_node.ts). Both compute the same
 * function; tests/sandbox/hmac_test.ts checks this one against RFC 4231's vectors and `node:crypto`.
 * @module
 */

const K = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);
const IV = [
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
];
/** The message schedule, reused by every compression (one thread, never re-entered). */
const W = new Int32Array(64);

/** Compress the 64-byte blocks of `p` from `off`, `n` of them, into state `h`. */
function compress(h: Int32Array, p: Uint8Array, off: number, n: number): void {
  for (let b = 0; b < n; b++, off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + 4 * i;
      W[i] = (p[j]! << 24) | (p[j + 1]! << 16) | (p[j + 2]! << 8) | p[j + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const x = W[i - 15]!, y = W[i - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
    }
    let a = h[0]!, c1 = h[1]!, c2 = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
    for (let i = 0; i < 64; i++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (k + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (s0 + ((a & c1) ^ (a & c2) ^ (c1 & c2))) | 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c2;
      c2 = c1;
      c1 = a;
      a = (t1 + t2) | 0;
    }
    h[0] = h[0]! + a;
    h[1] = h[1]! + c1;
    h[2] = h[2]! + c2;
    h[3] = h[3]! + d;
    h[4] = h[4]! + e;
    h[5] = h[5]! + f;
    h[6] = h[6]! + g;
    h[7] = h[7]! + k;
  }
}

/** A SHA-256 computation: `update` with parts, then `digest` once. */
export class Sha256 {
  readonly #h: Int32Array;
  readonly #block = new Uint8Array(64);
  #fill = 0;
  #bytes = 0;

  constructor(state?: Int32Array, bytes = 0) {
    this.#h = state ? state.slice() : Int32Array.from(IV);
    this.#bytes = bytes;
  }

  /** Absorb `p`. */
  update(p: Uint8Array): this {
    let off = 0;
    this.#bytes += p.length;
    if (this.#fill > 0) {
      const take = Math.min(64 - this.#fill, p.length);
      this.#block.set(p.subarray(0, take), this.#fill);
      this.#fill += take;
      off = take;
      if (this.#fill < 64) return this;
      compress(this.#h, this.#block, 0, 1);
      this.#fill = 0;
    }
    const whole = (p.length - off) >> 6;
    compress(this.#h, p, off, whole);
    off += whole << 6;
    this.#block.set(p.subarray(off), 0);
    this.#fill = p.length - off;
    return this;
  }

  /** The state after whole blocks only (for HMAC's precomputed pads). */
  state(): { state: Int32Array; bytes: number } {
    if (this.#fill !== 0) throw new Error("sha256: state at a partial block");
    return { state: this.#h.slice(), bytes: this.#bytes };
  }

  /** The 32-byte digest. */
  digest(): Uint8Array {
    const bits = this.#bytes * 8;
    const pad = new Uint8Array(((this.#fill + 8) >> 6 === 0 ? 64 : 128) - this.#fill);
    pad[0] = 0x80;
    const v = new DataView(pad.buffer);
    v.setUint32(pad.length - 8, Math.floor(bits / 2 ** 32));
    v.setUint32(pad.length - 4, bits >>> 0);
    this.update(pad);
    const out = new Uint8Array(32);
    const ov = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) ov.setInt32(4 * i, this.#h[i]!);
    return out;
  }
}

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const s = new Sha256();
  for (const p of parts) s.update(p);
  return s.digest();
}

/** HMAC-SHA256 under one key, with the key's inner and outer pads absorbed once. */
export class HmacSha256 {
  readonly #inner: { state: Int32Array; bytes: number };
  readonly #outer: { state: Int32Array; bytes: number };

  constructor(key: Uint8Array) {
    const k = new Uint8Array(64);
    k.set(key.length > 64 ? sha256(key) : key);
    const ipad = k.map((b) => b ^ 0x36), opad = k.map((b) => b ^ 0x5c);
    this.#inner = new Sha256().update(ipad).state();
    this.#outer = new Sha256().update(opad).state();
  }

  /** The MAC of the concatenation of `parts`. */
  mac(...parts: Uint8Array[]): Uint8Array {
    const s = new Sha256(this.#inner.state, this.#inner.bytes);
    for (const p of parts) s.update(p);
    const inner = s.digest();
    return new Sha256(this.#outer.state, this.#outer.bytes).update(inner).digest();
  }
}

/** Whether `a` and `b` hold the same bytes, in time that depends on their length only. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
