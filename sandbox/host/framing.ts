/**
 * Frames on the pipe between the embedding app and a host process (`process` isolation).
 *
 * Frame layout: u32 LE `rest` (bytes after this word) | u32 LE `jsonLen` | JSON (UTF-8) |
 * binary payload (`rest - 4 - jsonLen` bytes). A message with a `data` Uint8Array field carries
 * it as the binary payload (the JSON has `"data": true`, or `null` for EOF).
 */

/** Largest frame either side accepts. */
export const MAX_FRAME_BYTES = 32 << 20;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encode a message as one frame. */
export function encodeFrame(msg: Record<string, unknown>): Uint8Array {
  const data = msg.data instanceof Uint8Array ? msg.data : null;
  const json = enc.encode(JSON.stringify(data ? { ...msg, data: true } : msg));
  const rest = 4 + json.length + (data?.length ?? 0);
  const out = new Uint8Array(4 + rest);
  const v = new DataView(out.buffer);
  v.setUint32(0, rest, true);
  v.setUint32(4, json.length, true);
  out.set(json, 8);
  if (data) out.set(data, 8 + json.length);
  return out;
}

/** Incremental decoder: feed chunks, get messages. Throws on a malformed frame. */
export class FrameDecoder {
  #buf = new Uint8Array(0);

  /** Add bytes; returns every complete message. */
  push(chunk: Uint8Array): unknown[] {
    const merged = new Uint8Array(this.#buf.length + chunk.length);
    merged.set(this.#buf);
    merged.set(chunk, this.#buf.length);
    this.#buf = merged;
    const out: unknown[] = [];
    for (;;) {
      if (this.#buf.length < 8) break;
      const v = new DataView(this.#buf.buffer, this.#buf.byteOffset);
      const rest = v.getUint32(0, true);
      const jsonLen = v.getUint32(4, true);
      if (rest > MAX_FRAME_BYTES || jsonLen + 4 > rest) throw new RangeError("malformed frame");
      if (this.#buf.length < 4 + rest) break;
      const msg = JSON.parse(dec.decode(this.#buf.subarray(8, 8 + jsonLen)));
      if (typeof msg === "object" && msg !== null && msg.data === true) {
        msg.data = this.#buf.slice(8 + jsonLen, 4 + rest);
      }
      out.push(msg);
      this.#buf = this.#buf.subarray(4 + rest);
    }
    return out;
  }
}
