/**
 * Encoding a call's request into its slot (pal/ring.ts layout): per argument an 8-byte f64 for an
 * `int`, else a 9-byte locator (where: inline or bulk; offset; length) whose bytes follow the
 * headers inline, or go to the given part of the bulk area when they do not fit. `out` arguments
 * reserve room for the result and note where (the guest's own copy of the locator).
 */
import { ABI, type ArgType, type HostCallName } from "../abi.ts";
import { PalCode, PalError } from "../errors.ts";
import { INT_BYTES, LOCATOR_BYTES, Where } from "../ring.ts";

const enc = new TextEncoder();

/** The parts of a slot a request is written to. */
export interface RequestSlot {
  readonly data: Uint8Array;
  readonly view: DataView;
  /** Where the pending call's `out` bytes go (guest-private copy of the locator). */
  out: { bulk: boolean; off: number; len: number };
}

/** Whether the arguments of `name` may not fit `inlineBytes` (they would need the bulk area). */
export function needsBulk(name: HostCallName, args: unknown[], inlineBytes: number): boolean {
  const types = ABI[name].args as readonly ArgType[];
  let inline = 0;
  types.forEach((t, i) => {
    const a = args[i];
    if (t === "int") inline += INT_BYTES;
    else if (t === "out") inline += (a as number) + LOCATOR_BYTES;
    else inline += LOCATOR_BYTES + byteLen(t, a);
  });
  return inline > inlineBytes;
}

/**
 * Write the request of `name(args)` into `slot`, using `bulk[bulkStart, bulkStart + bulkLen)` for
 * what does not fit inline; the request's inline length (the slot's REQ_LEN).
 * @throws {PalError} INVAL for a wrong argument, TOO_LONG when it does not fit the page
 */
export function encodeRequest(
  slot: RequestSlot,
  bulk: Uint8Array,
  name: HostCallName,
  args: unknown[],
  bulkStart: number,
  bulkLen: number,
): number {
  const spec = ABI[name];
  const types = spec.args as readonly ArgType[];
  if (args.length !== types.length) {
    throw new PalError(PalCode.INVAL, `${name}: expected ${types.length} arguments`);
  }
  const { data, view } = slot;
  const cap = data.length;
  // Headers first, blobs after: inline blobs are packed after the last header.
  let head = 0;
  for (const t of types) head += t === "int" ? INT_BYTES : LOCATOR_BYTES;
  let tail = head;
  let bulkPos = bulkStart;
  const bulkEnd = bulkStart + bulkLen;
  let pos = 0;
  for (let i = 0; i < types.length; i++) {
    const t = types[i]!;
    const a = args[i];
    if (t === "int") {
      if (typeof a !== "number") throw new PalError(PalCode.INVAL, `${name}: arg ${i} not int`);
      view.setFloat64(pos, a, true);
      pos += INT_BYTES;
      continue;
    }
    let where: number = Where.INLINE;
    let off: number;
    let len: number;
    if (t === "str" && typeof a === "string" && tail + a.length * 3 <= cap) {
      // A string that surely fits inline is encoded in place (no temporary copy).
      off = tail;
      len = enc.encodeInto(a, data.subarray(tail)).written;
      tail += len;
    } else {
      let bytes: Uint8Array | null = null;
      if (t === "out") {
        if (typeof a !== "number" || !Number.isInteger(a) || a < 0) {
          throw new PalError(PalCode.INVAL, `${name}: bad out length`);
        }
        len = a;
      } else {
        bytes = toBytes(t, a, name);
        len = bytes.length;
      }
      if (tail + len <= cap) {
        off = tail;
        tail += len;
        if (bytes) data.set(bytes, off);
      } else if (bulkPos + len <= bulkEnd) {
        where = Where.BULK;
        off = bulkPos;
        bulkPos += len;
        if (bytes) bulk.set(bytes, off);
      } else {
        throw new PalError(PalCode.TOO_LONG, `${name}: ${len} bytes do not fit the call page`);
      }
      if (t === "out") {
        const out = slot.out;
        out.bulk = where === Where.BULK;
        out.off = off;
        out.len = len;
      }
    }
    view.setUint8(pos, where);
    view.setUint32(pos + 1, off, true);
    view.setUint32(pos + 5, len, true);
    pos += LOCATOR_BYTES;
  }
  return tail;
}

function byteLen(t: ArgType, a: unknown): number {
  if (t === "bytes") return a instanceof Uint8Array ? a.length : 0;
  if (t === "str") return typeof a === "string" ? a.length * 3 : 0;
  return JSON.stringify(a ?? null).length * 3;
}

function toBytes(t: ArgType, a: unknown, name: string): Uint8Array {
  if (t === "bytes") {
    if (!(a instanceof Uint8Array)) throw new PalError(PalCode.INVAL, `${name}: expected bytes`);
    return a;
  }
  if (t === "str") {
    if (typeof a !== "string") throw new PalError(PalCode.INVAL, `${name}: expected string`);
    return enc.encode(a);
  }
  return enc.encode(JSON.stringify(a ?? null));
}
