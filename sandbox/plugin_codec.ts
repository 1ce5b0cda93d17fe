/**
 * The compact value encoding of the plugin fast path (sandbox/plugin_page.ts). It covers the
 * plain-data subset of structured clone — undefined, null, booleans, numbers, strings,
 * Uint8Array, dense arrays and plain objects — and refuses the rest (the caller then falls back
 * to postMessage). The decoder takes hostile bytes: every length is bounded by what is left,
 * depth is capped and `__proto__` keys become own properties, never prototypes.
 *
 * Encoding: one tag byte, then
 *   0 undefined · 1 null · 2 false · 3 true · 4 f64 (8 bytes LE) · 9 i32 (4 bytes LE)
 *   5 string: u32 byte length + UTF-8 · 6 Uint8Array: u32 length + bytes
 *   7 array: u32 count + items · 8 object: u32 count + (string without tag, value) pairs
 */

const enum Tag {
  Undefined = 0,
  Null = 1,
  False = 2,
  True = 3,
  F64 = 4,
  Str = 5,
  Bytes = 6,
  Arr = 7,
  Obj = 8,
  I32 = 9,
}

/** Deepest nesting either side accepts. */
export const MAX_DEPTH = 32;

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/** Thrown by `decodeValue` for bytes that are not a well-formed encoding. */
export class CodecError extends Error {
  override name = "CodecError";
}

/**
 * Encode `v` into `out`; returns the byte count, or -1 when `v` is outside the subset or does
 * not fit. `view` (a DataView over exactly `out`) may be passed to save making one per call.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeValue, encodeValue } from "./plugin_codec.ts";
 * const buf = new Uint8Array(256);
 * const n = encodeValue({ a: [1, "x", new Uint8Array([7])] }, buf);
 * assert.deepEqual(decodeValue(buf.subarray(0, n)), { a: [1, "x", new Uint8Array([7])] });
 * ```
 */
export function encodeValue(
  v: unknown,
  out: Uint8Array,
  view: DataView = new DataView(out.buffer, out.byteOffset, out.byteLength),
): number {
  try {
    return put(v, out, view, 0, 0);
  } catch (e) {
    if (e === NO) return -1;
    throw e;
  }
}

const NO = Symbol("not encodable");

function need(out: Uint8Array, at: number, n: number): void {
  if (at + n > out.length) throw NO;
}

function putStr(s: string, out: Uint8Array, view: DataView, at: number): number {
  need(out, at, 4);
  if (s.length * 3 > out.length - at - 4 && enc.encode(s).length > out.length - at - 4) throw NO;
  const r = enc.encodeInto(s, out.subarray(at + 4));
  view.setUint32(at, r.written, true);
  return at + 4 + r.written;
}

function put(v: unknown, out: Uint8Array, view: DataView, at: number, depth: number): number {
  if (depth > MAX_DEPTH) throw NO;
  need(out, at, 1);
  switch (typeof v) {
    case "undefined":
      out[at] = Tag.Undefined;
      return at + 1;
    case "boolean":
      out[at] = v ? Tag.True : Tag.False;
      return at + 1;
    case "number":
      if ((v | 0) === v && !Object.is(v, -0)) {
        need(out, at, 5);
        out[at] = Tag.I32;
        view.setInt32(at + 1, v, true);
        return at + 5;
      }
      need(out, at, 9);
      out[at] = Tag.F64;
      view.setFloat64(at + 1, v, true);
      return at + 9;
    case "string":
      out[at] = Tag.Str;
      return putStr(v, out, view, at + 1);
    case "object":
      return putObject(v, out, view, at, depth);
  }
  throw NO;
}

function putObject(
  v: object | null,
  out: Uint8Array,
  view: DataView,
  at: number,
  depth: number,
): number {
  if (v === null) {
    out[at] = Tag.Null;
    return at + 1;
  }
  if (v instanceof Uint8Array) {
    need(out, at, 5 + v.length);
    out[at] = Tag.Bytes;
    view.setUint32(at + 1, v.length, true);
    out.set(v, at + 5);
    return at + 5 + v.length;
  }
  if (Array.isArray(v)) {
    need(out, at, 5);
    out[at] = Tag.Arr;
    view.setUint32(at + 1, v.length, true);
    let p = at + 5;
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) throw NO; // holes survive structured clone, not this encoding
      p = put(v[i], out, view, p, depth + 1);
    }
    return p;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw NO;
  const keys = Object.keys(v);
  need(out, at, 5);
  out[at] = Tag.Obj;
  view.setUint32(at + 1, keys.length, true);
  let p = at + 5;
  for (const k of keys) {
    p = putStr(k, out, view, p);
    p = put((v as Record<string, unknown>)[k], out, view, p, depth + 1);
  }
  return p;
}

/**
 * Decode bytes produced by `encodeValue` (or by anyone: the bytes are untrusted). `view`, when
 * given, must be a DataView starting at `bytes[0]` (it may be longer than `bytes`).
 * @throws {CodecError} when the bytes are malformed, truncated, too deep or have trailing data.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CodecError, decodeValue } from "./plugin_codec.ts";
 * assert.throws(() => decodeValue(new Uint8Array([7, 255, 255, 255, 255])), CodecError);
 * ```
 */
export function decodeValue(
  bytes: Uint8Array,
  view: DataView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
): unknown {
  const r = new Reader(bytes, view);
  const v = r.value(0);
  if (r.at !== bytes.length) throw new CodecError("trailing bytes");
  return v;
}

class Reader {
  at = 0;
  readonly #view: DataView;
  constructor(readonly bytes: Uint8Array, view: DataView) {
    this.#view = view;
  }

  #need(n: number): void {
    if (n < 0 || this.at + n > this.bytes.length) throw new CodecError("truncated value");
  }

  #u32(): number {
    this.#need(4);
    const n = this.#view.getUint32(this.at, true);
    this.at += 4;
    return n;
  }

  str(): string {
    const n = this.#u32();
    this.#need(n);
    try {
      return dec.decode(this.bytes.subarray(this.at, this.at += n));
    } catch (_e) {
      throw new CodecError("invalid UTF-8");
    }
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new CodecError("nested too deep");
    this.#need(1);
    const tag = this.bytes[this.at++];
    switch (tag) {
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.I32:
        this.#need(4);
        this.at += 4;
        return this.#view.getInt32(this.at - 4, true);
      case Tag.F64:
        this.#need(8);
        this.at += 8;
        return this.#view.getFloat64(this.at - 8, true);
      case Tag.Str:
        return this.str();
      case Tag.Bytes: {
        const n = this.#u32();
        this.#need(n);
        return this.bytes.slice(this.at, this.at += n);
      }
      case Tag.Arr: {
        const n = this.#u32();
        this.#need(n); // every item takes at least one byte
        const a = new Array<unknown>(n);
        for (let i = 0; i < n; i++) a[i] = this.value(depth + 1);
        return a;
      }
      case Tag.Obj: {
        const n = this.#u32();
        this.#need(n * 5);
        const o: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const k = this.str();
          const v = this.value(depth + 1);
          Object.defineProperty(o, k, {
            value: v,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        }
        return o;
      }
    }
    throw new CodecError(`unknown tag ${tag}`);
  }
}
