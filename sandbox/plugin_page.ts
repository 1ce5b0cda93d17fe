/**
 * The plugin fast-call page (worker isolation only): one SharedArrayBuffer per plugin, shared by
 * the embedding app and the plugin's picoprocess, carrying one small call at a time without a
 * message round trip. Layout (owned here):
 *
 *   Int32 words at byte 0 (64-byte header):
 *     0 STATE   IDLE 0 → REQUEST 1 (app) → RESPONSE 2 (plugin) → IDLE (app, after copying out)
 *     1 SEQ     call id of the request (app)
 *     2 ECHO    call id the response answers (plugin)
 *     3 LEN     bytes used in the data area (request: app; response: plugin)
 *     4 STATUS  response: OK 0 (value) · THREW 1 ({name, message}) · VIA_PORT 2 (the answer comes
 *               as a port message with this id, because it was too big or not plain data)
 *     5 FN      request: index of the function in the plugin's function list
 *   data: 4096 bytes at byte 64, a value in sandbox/plugin_codec.ts encoding.
 *
 * The app writes a request, notifies STATE, then spins briefly and falls back to
 * `Atomics.waitAsync` (its thread must never block). The plugin's Worker may block: it spins,
 * then waits. The plugin can write anything here at any time, so the app reads a response once,
 * copies it out, and checks ECHO, LEN and STATUS before decoding.
 */
import { PLUGIN_PAGE_BYTES } from "./host/protocol.ts";
import { decodeValue, encodeValue } from "./plugin_codec.ts";

/** Page geometry and word indices. */
export const Page = {
  HEADER_BYTES: 64,
  DATA_BYTES: 4096,
  BYTES: PLUGIN_PAGE_BYTES,
  STATE: 0,
  SEQ: 1,
  ECHO: 2,
  LEN: 3,
  STATUS: 4,
  FN: 5,
} as const;

/** Values of the STATE word. */
export const PageState = { IDLE: 0, REQUEST: 1, RESPONSE: 2 } as const;
/** Values of the STATUS word. */
export const PageStatus = { OK: 0, THREW: 1, VIA_PORT: 2 } as const;

/** How long the app spins for a response before yielding to its event loop. */
const APP_SPIN_US = 40;

/** A response as read from the page (already copied out of shared memory). */
export type PageResponse =
  | { readonly status: 0; readonly value: unknown }
  | { readonly status: 1; readonly value: unknown }
  | { readonly status: 2 };

/** The page was misused by the plugin; the message says how. */
export class PageViolation extends Error {
  override name = "PageViolation";
}

/**
 * The embedding app's side of a fast-call page.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FastPage, Page, PageState } from "./plugin_page.ts";
 * const p = new FastPage();
 * assert.ok(p.request(1, 0, ["hi"]));
 * assert.equal(Atomics.load(p.words, Page.STATE), PageState.REQUEST);
 * ```
 */
export class FastPage {
  readonly sab: SharedArrayBuffer = new SharedArrayBuffer(Page.BYTES);
  readonly words = new Int32Array(this.sab, 0, 16);
  readonly #data = new Uint8Array(this.sab, Page.HEADER_BYTES, Page.DATA_BYTES);
  readonly #dataView = new DataView(this.sab, Page.HEADER_BYTES, Page.DATA_BYTES);
  /** Private copy of a response: decoded only after it has left shared memory. */
  readonly #scratch = new Uint8Array(Page.DATA_BYTES);
  readonly #scratchView = new DataView(this.#scratch.buffer);
  /** A call is using the page (only the app writes this field). */
  busy = false;

  /**
   * Post a request for call `seq` of function `fn` when `args` fit; returns false otherwise
   * (and leaves the page untouched).
   */
  request(seq: number, fn: number, args: readonly unknown[]): boolean {
    if (this.busy) return false;
    const n = encodeValue(args, this.#data, this.#dataView);
    if (n < 0) return false;
    this.busy = true;
    const w = this.words;
    w[Page.SEQ] = seq;
    w[Page.FN] = fn;
    w[Page.LEN] = n;
    Atomics.store(w, Page.STATE, PageState.REQUEST);
    Atomics.notify(w, Page.STATE);
    return true;
  }

  /**
   * Spin briefly for the response to `seq`. Returns it, or null when it has not come yet.
   * @throws {PageViolation} when the plugin wrote a malformed response.
   */
  poll(seq: number): PageResponse | null {
    const w = this.words;
    const t0 = performance.now();
    for (let i = 0;; i++) {
      if (Atomics.load(w, Page.STATE) === PageState.RESPONSE) return this.#take(seq);
      if ((i & 63) === 63 && (performance.now() - t0) * 1000 > APP_SPIN_US) return null;
    }
  }

  /** Resolves when the STATE word may have changed, or after `timeoutMs`. */
  async changed(timeoutMs: number): Promise<void> {
    const w = this.words;
    const s = Atomics.load(w, Page.STATE);
    if (s === PageState.RESPONSE) return;
    const r = Atomics.waitAsync(w, Page.STATE, s, Math.max(1, timeoutMs));
    if (r.async) await r.value;
  }

  /** Take the response of `seq` off the page if one is there (no spinning). */
  take(seq: number): PageResponse | null {
    return Atomics.load(this.words, Page.STATE) === PageState.RESPONSE ? this.#take(seq) : null;
  }

  /** Release the page after a call ended without a response (the plugin is being ended). */
  abandon(): void {
    this.busy = false;
  }

  #take(seq: number): PageResponse {
    const w = this.words;
    const echo = Atomics.load(w, Page.ECHO);
    const status = Atomics.load(w, Page.STATUS);
    const len = Atomics.load(w, Page.LEN);
    if (echo !== seq) throw new PageViolation(`response to call ${echo}, expected ${seq}`);
    if (status !== 0 && status !== 1 && status !== 2) {
      throw new PageViolation(`unknown status ${status}`);
    }
    if (status === PageStatus.VIA_PORT) {
      this.#release();
      return { status };
    }
    if (len < 0 || len > Page.DATA_BYTES) throw new PageViolation(`length ${len} out of range`);
    const bytes = this.#scratch.subarray(0, len);
    bytes.set(this.#data.subarray(0, len)); // copy before decoding: the plugin may still write
    this.#release();
    try {
      return { status, value: decodeValue(bytes, this.#scratchView) };
    } catch (e) {
      throw new PageViolation(`undecodable response: ${(e as Error).message}`);
    }
  }

  #release(): void {
    Atomics.store(this.words, Page.STATE, PageState.IDLE);
    this.busy = false;
  }
}
