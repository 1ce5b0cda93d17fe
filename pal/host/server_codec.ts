/**
 * Wire codec of the call page, host side: decodes a request's arguments out of a slot (with
 * bounds, length and UTF-8/JSON checks; anything malformed throws a PalError) and encodes a
 * handler's result or error into the slot's response area (inline, or spilled to bulk).
 * The serve loop that drives it is `server.ts`.
 */
import type { ArgType } from "../abi.ts";
import { PalCode, PalError } from "../errors.ts";
import { copyOut, INT_BYTES, LOCATOR_BYTES, type PageGeometry, Where } from "../ring.ts";
import { encodeStat, STAT_BYTES } from "../stat_codec.ts";

/** Longest `str` argument (a path): 4096 bytes, as Linux PATH_MAX. */
export const MAX_STR_BYTES = 4096;
/** Longest `json` argument. */
export const MAX_JSON_BYTES = 64 * 1024;

const dec = new TextDecoder("utf-8", { fatal: true });
const enc = new TextEncoder();

/** One call slot of a page, as the host views it. */
export interface HostSlot {
  readonly index: number;
  readonly words: Int32Array;
  readonly data: Uint8Array;
  readonly view: DataView;
  /** `data` after a response locator: where an inline str/json response goes. */
  readonly payload: Uint8Array;
  /** Arguments of the call being served (for the trace). */
  args: unknown[] | null;
}

/** Decode a request from `req` (the private copy at the start of `view`'s buffer). With
 * `sharedData`, a bulk `bytes` argument stays a view of the page (`SHARED_DATA_CALLS` in
 * server.ts). */
export function decodeArgs(
  types: readonly ArgType[],
  req: Uint8Array,
  view: DataView,
  page: { bulk: Uint8Array },
  slot: HostSlot,
  sharedData: boolean,
): unknown[] {
  const args: unknown[] = [];
  let pos = 0;
  for (const t of types) {
    if (t === "int") {
      if (pos + INT_BYTES > req.length) throw new PalError(PalCode.INVAL, "request truncated");
      const v = view.getFloat64(pos, true);
      pos += INT_BYTES;
      if (!Number.isSafeInteger(v)) throw new PalError(PalCode.INVAL, "not an integer argument");
      args.push(v);
      continue;
    }
    if (pos + LOCATOR_BYTES > req.length) throw new PalError(PalCode.INVAL, "request truncated");
    const where = view.getUint8(pos);
    const off = view.getUint32(pos + 1, true);
    const len = view.getUint32(pos + 5, true);
    pos += LOCATOR_BYTES;
    if (where !== Where.INLINE && where !== Where.BULK) {
      throw new PalError(PalCode.INVAL, "bad locator");
    }
    const limit = where === Where.INLINE
      ? (t === "out" ? slot.data.length : req.length)
      : page.bulk.length;
    if (off > limit || len > limit - off) {
      throw new PalError(PalCode.FAULT, "locator out of bounds");
    }
    if (t === "out") {
      args.push((where === Where.INLINE ? slot.data : page.bulk).subarray(off, off + len));
      continue;
    }
    if (t === "str" && len > MAX_STR_BYTES) throw new PalError(PalCode.TOO_LONG, "string too long");
    if (t === "json" && len > MAX_JSON_BYTES) throw new PalError(PalCode.TOO_LONG, "json too long");
    if (t === "bytes" && sharedData && where === Where.BULK) {
      args.push(page.bulk.subarray(off, off + len)); // opaque data: no copy (SHARED_DATA_CALLS)
      continue;
    }
    // Inline bytes come from our private copy (strings decode from it in place; bytes get their
    // own copy, the handler may keep them); bulk bytes are copied out now (with `set`: `slice`
    // of a SharedArrayBuffer view copies byte by byte, several times slower).
    if (t === "bytes") {
      args.push(where === Where.INLINE ? req.slice(off, off + len) : copyOut(page.bulk, off, len));
      continue;
    }
    const bytes = where === Where.INLINE
      ? req.subarray(off, off + len)
      : copyOut(page.bulk, off, len);
    let text: string;
    try {
      text = dec.decode(bytes);
    } catch {
      throw new PalError(PalCode.INVAL, "string is not UTF-8");
    }
    if (t === "str") {
      args.push(text);
      continue;
    }
    try {
      args.push(JSON.parse(text));
    } catch {
      throw new PalError(PalCode.INVAL, "malformed JSON argument");
    }
  }
  return args;
}

/** Encode a result; a negative return means "length, and the bytes are in bulk". */
export function encodeResult(
  type: string,
  value: unknown,
  slot: HostSlot,
  page: { bulk: Uint8Array; geometry: PageGeometry },
): number {
  switch (type) {
    case "void":
      return 0;
    case "int":
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new PalError(PalCode.INVAL, "handler returned a non-number");
      }
      slot.view.setFloat64(0, value, true);
      return INT_BYTES;
    case "bytes":
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
        throw new PalError(PalCode.INVAL, "handler returned a bad count");
      }
      return value;
    case "str":
    case "json": {
      const text = type === "str" ? String(value) : JSON.stringify(value ?? null);
      return writeText(text ?? "", slot, page);
    }
    case "stat":
      if (slot.data.length < STAT_BYTES) throw new PalError(PalCode.TOO_LONG, "slot too small");
      try {
        return encodeStat(slot.view, value);
      } catch {
        throw new PalError(PalCode.INVAL, "handler returned a bad stat");
      }
  }
  throw new PalError(PalCode.INVAL, `unknown result type ${type}`);
}

/** Write a str/json response: encoded straight into the slot when it surely fits (at most 3
 * UTF-8 bytes per UTF-16 unit), else through `writeBlob`. */
function writeText(
  text: string,
  slot: HostSlot,
  page: { bulk: Uint8Array; geometry: PageGeometry },
): number {
  if (text.length * 3 <= slot.payload.length) {
    const n = enc.encodeInto(text, slot.payload).written;
    slot.view.setUint8(0, Where.INLINE);
    slot.view.setUint32(1, LOCATOR_BYTES, true);
    slot.view.setUint32(5, n, true);
    return LOCATOR_BYTES + n;
  }
  return writeBlob(enc.encode(text), slot, page);
}

function writeBlob(
  bytes: Uint8Array,
  slot: HostSlot,
  page: { bulk: Uint8Array; geometry: PageGeometry },
): number {
  if (LOCATOR_BYTES + bytes.length <= slot.data.length) {
    slot.view.setUint8(0, Where.INLINE);
    slot.view.setUint32(1, LOCATOR_BYTES, true);
    slot.view.setUint32(5, bytes.length, true);
    slot.data.set(bytes, LOCATOR_BYTES);
    return LOCATOR_BYTES + bytes.length;
  }
  // Only the synchronous slot may spill into (the first half of) the bulk area.
  if (slot.index === 0 && bytes.length <= page.geometry.bulkBytes >> 1) {
    slot.view.setUint8(0, Where.BULK);
    slot.view.setUint32(1, 0, true);
    slot.view.setUint32(5, bytes.length, true);
    page.bulk.set(bytes, 0);
    return LOCATOR_BYTES;
  }
  throw new PalError(PalCode.TOO_LONG, "response too large for the call page");
}

export function encodeError(err: PalError, slot: HostSlot): number {
  let info = JSON.stringify({ m: err.message.slice(0, 1000), d: err.detail ?? null });
  if (info.length > slot.data.length - LOCATOR_BYTES) {
    info = JSON.stringify({ m: err.message.slice(0, 500), d: null });
  }
  const bytes = enc.encode(info);
  slot.view.setUint8(0, Where.INLINE);
  slot.view.setUint32(1, LOCATOR_BYTES, true);
  slot.view.setUint32(5, bytes.length, true);
  slot.data.set(bytes, LOCATOR_BYTES);
  return LOCATOR_BYTES + bytes.length;
}
