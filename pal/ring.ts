/**
 * The call page: FlexSC-style exception-less calls over a SharedArrayBuffer.
 *
 * One call page per guest thread. The host creates it, keeps its own copy of the geometry and
 * never re-reads the header below from shared memory.
 *
 * Layout (byte offsets; all words are Int32, little-endian as on every Deno host):
 * ```
 * 0    page header, 64 bytes: [0] MAGIC  [1] slot count  [2] inline bytes per slot  [3] bulk bytes
 * 64   slot 0: 32-byte slot header + `inline` data bytes
 *      slot 1 …
 * end  bulk area: `bulk` bytes for payloads that do not fit inline (one call at a time)
 * ```
 * Slot header words:
 * ```
 * [0] state   FREE 0 → SUBMITTED 1 (guest) → SERVING 2 (host, by CAS) → DONE 3 (host) → FREE (guest)
 * [1] call number           [2] request length (inline bytes used)
 * [3] result: ≥0 ok, <0 = −PalCode          [4] response length
 * [5] response flags (bit 0: a message waits on the sync port; bit 1: response in bulk)
 * [6] sequence (guest)      [7] sequence echo (host)
 * ```
 * A separate sandbox-wide doorbell (Int32Array, word 0 a counter) wakes the host: a guest bumps
 * and notifies it after submitting. After its first 16 bytes the doorbell carries the file epoch
 * table (`EPOCH_WORDS` Int32 words, see `fileEpochs`). The host copies a request out of the slot
 * before it decodes or validates anything; a guest may rewrite the slot at any moment.
 *
 * Request encoding, argument by argument in table order:
 * - `int`: f64 (8 bytes).
 * - `str`, `json`, `bytes`, `out`: a 9-byte locator — u8 where (0 inline, 1 bulk), u32 offset,
 *   u32 length. Inline offsets count from the start of the slot's data; `out` names where the
 *   host writes the result bytes.
 * Response encoding by result type: `int` f64 at data[0]; `str`/`json` a locator at data[0]
 * whose bytes follow (inline) or sit in bulk; `bytes` written at the `out` locator, response
 * length = bytes written. An error carries `{m: message, d: detail}` JSON as a `json` response.
 */

export const MAGIC = 0x53504452;
export const PAGE_HEADER_BYTES = 64;
export const SLOT_HEADER_BYTES = 32;

export const SlotState = { FREE: 0, SUBMITTED: 1, SERVING: 2, DONE: 3 } as const;
export const SlotWord = {
  STATE: 0,
  CALL: 1,
  REQ_LEN: 2,
  RESULT: 3,
  RESP_LEN: 4,
  FLAGS: 5,
  SEQ: 6,
  SEQ_ECHO: 7,
} as const;
export const RespFlag = { PORT_MESSAGE: 1, BULK: 2 } as const;
export const Where = { INLINE: 0, BULK: 1 } as const;
export const LOCATOR_BYTES = 9;
export const INT_BYTES = 8;

/** Geometry of a call page (owned by the host; the guest receives a copy). */
export interface PageGeometry {
  readonly slots: number;
  readonly inlineBytes: number;
  readonly bulkBytes: number;
}

/** The default geometry: 8 slots of 4 KiB inline data and a 2 MiB bulk area (its synchronous
 * half holds a whole 1 MiB read or write: one call instead of two). */
export const DEFAULT_GEOMETRY: PageGeometry = { slots: 8, inlineBytes: 4096, bulkBytes: 2 << 20 };

/** Upper bounds the host enforces on a geometry it is asked to create. */
export const MAX_SLOTS = 64;
export const MAX_INLINE_BYTES = 64 * 1024;
export const MAX_BULK_BYTES = 16 << 20;

/** Byte offset of slot `i`'s header. */
export function slotOffset(g: PageGeometry, i: number): number {
  return PAGE_HEADER_BYTES + i * (SLOT_HEADER_BYTES + g.inlineBytes);
}

/** Byte offset of the bulk area. */
export function bulkOffset(g: PageGeometry): number {
  return slotOffset(g, g.slots);
}

/** Total bytes of a page. */
export function pageBytes(g: PageGeometry): number {
  return bulkOffset(g) + g.bulkBytes;
}

/** Allocate and stamp a call page. */
export function createPage(g: PageGeometry): SharedArrayBuffer {
  if (
    !Number.isInteger(g.slots) || g.slots < 1 || g.slots > MAX_SLOTS ||
    !Number.isInteger(g.inlineBytes) || g.inlineBytes < 256 || g.inlineBytes > MAX_INLINE_BYTES ||
    g.inlineBytes % 8 !== 0 ||
    !Number.isInteger(g.bulkBytes) || g.bulkBytes < 0 || g.bulkBytes > MAX_BULK_BYTES
  ) {
    throw new RangeError(`bad call page geometry ${JSON.stringify(g)}`);
  }
  const sab = new SharedArrayBuffer(pageBytes(g));
  const h = new Int32Array(sab, 0, 4);
  h[0] = MAGIC;
  h[1] = g.slots;
  h[2] = g.inlineBytes;
  h[3] = g.bulkBytes;
  return sab;
}

/** Read a geometry from a page header (guest side; the host never does this). */
export function readGeometry(sab: SharedArrayBuffer): PageGeometry {
  const h = new Int32Array(sab, 0, 4);
  if (h[0] !== MAGIC) throw new RangeError("not a call page");
  const g = { slots: h[1]!, inlineBytes: h[2]!, bulkBytes: h[3]! };
  if (pageBytes(g) !== sab.byteLength) throw new RangeError("call page geometry mismatch");
  return g;
}

/** Words of the file epoch table: word 0 is the sandbox-wide epoch (bumped on a revocation),
 * words 1… count changes to the files whose identity hashes there (`FileEpochs`). */
export const EPOCH_WORDS = 1024;
const EPOCH_OFFSET = 16;

/** Create a doorbell (sandbox-wide), with its file epoch table. */
export function createDoorbell(): SharedArrayBuffer {
  return new SharedArrayBuffer(EPOCH_OFFSET + 4 * EPOCH_WORDS);
}

/**
 * The file epoch table of a doorbell, or null when the doorbell has none. The host bumps a
 * file's word before every change to its content; a guest that read part of a file ahead keeps
 * using it only while the file's word and word 0 are what they were before it asked. Guests can
 * write these words too: a process can make another process of its own sandbox trust stale
 * bytes, no more than it could by writing the file itself; the host never reads them.
 */
export function fileEpochs(doorbell: SharedArrayBuffer): Int32Array | null {
  if (doorbell.byteLength < EPOCH_OFFSET + 4 * EPOCH_WORDS) return null;
  return new Int32Array(doorbell, EPOCH_OFFSET, EPOCH_WORDS);
}

/**
 * A thread's write-behind buffer (`stream_post_open`, pal/host/stream_cache.ts) starts with a
 * control area of `POST_WORDS` Int32 *extension words*; file data follows it. A posted
 * `stream_write_from` names one word: the guest sets it to 0 before it posts and may then add
 * bytes to the post by compare-and-swap on it; the host takes its value and seals it
 * (`POST_SEALED`) in one exchange when it runs the post.
 */
export const POST_WORDS = 64;
/** Bytes of a write-behind buffer's control area. */
export const POST_CTL_BYTES = 4 * POST_WORDS;
/** An extension word the host has taken: its post can no longer grow. */
export const POST_SEALED = -1;

/** A private copy of `len` bytes at `off` of shared memory (`new` + `set`: `slice` of a
 * SharedArrayBuffer view copies byte by byte, several times slower for large blocks). */
export function copyOut(src: Uint8Array, off: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  out.set(src.subarray(off, off + len));
  return out;
}
