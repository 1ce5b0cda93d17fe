/**
 * Frames on the pipes between the embedding app and a host process (`process` isolation).
 *
 * Frame layout: u32 LE `rest` (bytes after this word) | u32 LE `jsonLen` | JSON (UTF-8) |
 * binary payload | tag. A message with a `data` Uint8Array field carries it as the binary
 * payload (the JSON has `"data": true`, or `null` for EOF).
 *
 * Authentication. Guest Workers run in the host process, and Deno gives every Worker handles on the
 * process's stdin and stdout: the libOS closes a picoprocess's own (pal/guest/seal.ts), but a
 * Worker a guest starts through `node:worker_threads` has them again. So a guest could write bytes
 * into the host's stdout, between or inside the host's frames, or read frames off its stdin. Every
 * frame after the first therefore ends with a {@link TAG_BYTES}-byte tag, HMAC-SHA256 under a
 * per-process key of the direction, the frame's sequence number (per direction, from 0) and all its
 * bytes before the tag. The embedding app draws the key and sends it in the first frame on stdin
 * (the configuration, untagged): no guest exists before the host has read it, and none can read the
 * host's memory. A guest can then neither forge nor replay a frame: anything it writes or takes
 * breaks a tag or the sequence, and the reader ends the sandbox.
 *
 * The HMAC is hmac.ts's for frames under NODE_FRAME_BYTES, and `node:crypto`'s for larger ones
 * once it is loaded: the first large frame starts loading it (pal/host/lazy_node.ts), so a host
 * that only ever sends small frames never pays for `node:crypto`'s load (~20–30 ms of its start).
 */
import { HmacSha256, sameBytes } from "./hmac.ts";
import { loadNodeCrypto, nodeCryptoIfLoaded } from "../../pal/host/lazy_node.ts";

/** Largest frame either side accepts. */
export const MAX_FRAME_BYTES = 32 << 20;
/** Bytes of a frame's tag. */
export const TAG_BYTES = 16;
/** Bytes of a channel key. */
export const KEY_BYTES = 32;
/** Frames from this size on are tagged by `node:crypto` once it is loaded (~1.6 GB/s with SHA
 * instructions against ~100 MB/s for hmac.ts; hmac.ts is the faster for small frames: ~6 µs
 * against ~15 µs for a 200-byte frame). */
const NODE_FRAME_BYTES = 4096;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The two directions: a frame taken from one never passes in the other. */
export type Direction = "to-host" | "to-app";

/** One direction of an authenticated channel: the key, the direction and the next number. */
export class FrameAuth {
  #seq = 0n;
  readonly #key: Uint8Array;
  readonly #dir: Uint8Array;
  readonly #hmac: HmacSha256;

  constructor(key: Uint8Array, direction: Direction) {
    if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
      throw new RangeError("a channel key is 32 bytes");
    }
    this.#key = key.slice();
    this.#dir = enc.encode(direction);
    this.#hmac = new HmacSha256(this.#key);
  }

  /** The tag of the next frame, whose bytes before the tag are `body` (advances the number). */
  next(body: Uint8Array): Uint8Array {
    const seq = new Uint8Array(8);
    new DataView(seq.buffer).setBigUint64(0, this.#seq++, true);
    if (body.length >= NODE_FRAME_BYTES) {
      const node = nodeCryptoIfLoaded();
      if (node) {
        const mac = node.createHmac("sha256", this.#key).update(this.#dir).update(seq)
          .update(body).digest();
        return new Uint8Array(mac.buffer, mac.byteOffset, TAG_BYTES);
      }
      void loadNodeCrypto(); // for the large frames to come
    }
    return this.#hmac.mac(this.#dir, seq, body).subarray(0, TAG_BYTES);
  }
}

/** A fresh random channel key. */
export function newChannelKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}

/** Encode a message as one frame, tagged when `auth` is given. */
export function encodeFrame(msg: Record<string, unknown>, auth?: FrameAuth): Uint8Array {
  const data = msg.data instanceof Uint8Array ? msg.data : null;
  const json = enc.encode(JSON.stringify(data ? { ...msg, data: true } : msg));
  const tag = auth ? TAG_BYTES : 0;
  const rest = 4 + json.length + (data?.length ?? 0) + tag;
  const out = new Uint8Array(4 + rest);
  const v = new DataView(out.buffer);
  v.setUint32(0, rest, true);
  v.setUint32(4, json.length, true);
  out.set(json, 8);
  if (data) out.set(data, 8 + json.length);
  if (auth) out.set(auth.next(out.subarray(0, out.length - TAG_BYTES)), out.length - TAG_BYTES);
  return out;
}

/**
 * Incremental decoder: feed chunks, get messages. Frames are untagged until `authenticate`,
 * then each must carry the right tag. Throws on a malformed or unauthenticated frame (the
 * stream is then unusable).
 */
export class FrameDecoder {
  #buf = new Uint8Array(0);
  #auth: FrameAuth | null = null;
  #broken = false;

  constructor(auth?: FrameAuth) {
    this.#auth = auth ?? null;
  }

  /** Check the tag of every frame from now on. */
  authenticate(auth: FrameAuth): void {
    this.#auth = auth;
  }

  /** Add bytes; returns every complete message (up to `max`: the rest stay buffered). */
  push(chunk: Uint8Array, max = Infinity): unknown[] {
    if (this.#broken) throw new Error("the frame stream is broken");
    const merged = new Uint8Array(this.#buf.length + chunk.length);
    merged.set(this.#buf);
    merged.set(chunk, this.#buf.length);
    this.#buf = merged;
    const out: unknown[] = [];
    try {
      while (out.length < max) {
        if (this.#buf.length < 8) break;
        const v = new DataView(this.#buf.buffer, this.#buf.byteOffset);
        const rest = v.getUint32(0, true);
        const jsonLen = v.getUint32(4, true);
        const tag = this.#auth ? TAG_BYTES : 0;
        if (rest > MAX_FRAME_BYTES || jsonLen + 4 + tag > rest) {
          throw new RangeError("malformed frame");
        }
        if (this.#buf.length < 4 + rest) break;
        const end = 4 + rest - tag;
        if (this.#auth) {
          const want = this.#auth.next(this.#buf.subarray(0, end));
          if (!sameBytes(want, this.#buf.subarray(end, end + TAG_BYTES))) {
            throw new Error("a frame failed authentication (bytes not written by its peer)");
          }
        }
        const msg = JSON.parse(dec.decode(this.#buf.subarray(8, 8 + jsonLen)));
        if (typeof msg === "object" && msg !== null && msg.data === true) {
          msg.data = this.#buf.slice(8 + jsonLen, end);
        }
        out.push(msg);
        this.#buf = this.#buf.subarray(4 + rest);
      }
    } catch (e) {
      this.#broken = true;
      throw e;
    }
    return out;
  }
}
