/**
 * Messages between the embedding app and a plugin's picoprocess, and the embedding app's check
 * of every message that comes from the plugin (which is hostile input: shape, names and sizes
 * are checked before anything is used; shared memory and ports from the plugin are refused).
 *
 * App → plugin: `call {id, name, args}` and `reply {id, ok, value | error}` (the answer to a
 * host-function call). Plugin → app: `ready {functions}`, `load-failed {error}`,
 * `result {id, ok, value | error}` and `hcall {id, name, args}`.
 * In `worker` isolation they travel as structured clones on a MessagePort; in `process`
 * isolation each is a `node:v8` serialization in one framed-pipe message.
 */

/** An error as it crosses the boundary: a name and a message, never a stack. */
export interface RemoteError {
  readonly name: string;
  readonly message: string;
}

/** Messages the app sends. */
export type ToPlugin =
  | { readonly t: "call"; readonly id: number; readonly name: string; readonly args: unknown[] }
  | { readonly t: "reply"; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly t: "reply"; readonly id: number; readonly ok: false; readonly error: RemoteError };

/** Messages the plugin sends. */
export type FromPlugin =
  | { readonly t: "ready"; readonly functions: readonly string[] }
  | { readonly t: "load-failed"; readonly error: RemoteError }
  | { readonly t: "result"; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly t: "result"; readonly id: number; readonly ok: false; readonly error: RemoteError }
  | { readonly t: "hcall"; readonly id: number; readonly name: string; readonly args: unknown[] };

/** Bounds on names and messages. */
export const WireLimits = {
  NAME_CHARS: 128,
  FUNCTIONS: 1024,
  ERROR_MESSAGE_CHARS: 8192,
  /** Default bound on one message's payload (see `valueBytes`). */
  MESSAGE_BYTES: 16 << 20,
} as const;

const NAME = /^[A-Za-z_$][\w$]*$/;

/**
 * Whether `s` is a usable function name (an identifier, bounded).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isFunctionName } from "./plugin_wire.ts";
 * assert.ok(isFunctionName("count") && !isFunctionName("__proto__ x"));
 * ```
 */
export function isFunctionName(s: unknown): s is string {
  return typeof s === "string" && s.length <= WireLimits.NAME_CHARS && NAME.test(s);
}

/**
 * Turn anything thrown into a `RemoteError` (name and message only).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toRemoteError } from "./plugin_wire.ts";
 * assert.deepEqual(toRemoteError(new TypeError("x")), { name: "TypeError", message: "x" });
 * ```
 */
export function toRemoteError(e: unknown): RemoteError {
  if (e instanceof Error) {
    return { name: String(e.name).slice(0, 128), message: String(e.message).slice(0, 8192) };
  }
  return { name: "Error", message: String(e).slice(0, 8192) };
}

/**
 * Check a message from the plugin. Returns it, re-built from checked fields, or a string saying
 * what is wrong.
 * @param v the message as received.
 * @param maxBytes bound on the payload (`valueBytes`).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFromPlugin } from "./plugin_wire.ts";
 * assert.equal(parseFromPlugin({ t: "result", id: -1, ok: true }, 1024), "bad call id");
 * assert.deepEqual(parseFromPlugin({ t: "ready", functions: ["f"] }, 1024), {
 *   t: "ready",
 *   functions: ["f"],
 * });
 * ```
 */
export function parseFromPlugin(v: unknown, maxBytes: number): FromPlugin | string {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "not an object";
  const m = v as Record<string, unknown>;
  switch (m.t) {
    case "ready": {
      const f = m.functions;
      if (!Array.isArray(f) || f.length > WireLimits.FUNCTIONS) return "bad function list";
      const functions: string[] = [];
      for (const name of f) {
        if (!isFunctionName(name) || functions.includes(name)) return "bad function name";
        functions.push(name);
      }
      return { t: "ready", functions };
    }
    case "load-failed": {
      const error = parseRemoteError(m.error);
      return error ? { t: "load-failed", error } : "bad error";
    }
    case "result": {
      if (!isId(m.id)) return "bad call id";
      if (m.ok === true) {
        const n = valueBytes(m.value, maxBytes);
        if (typeof n === "string") return n;
        return { t: "result", id: m.id, ok: true, value: m.value };
      }
      if (m.ok !== false) return "bad result flag";
      const error = parseRemoteError(m.error);
      return error ? { t: "result", id: m.id, ok: false, error } : "bad error";
    }
    case "hcall": {
      if (!isId(m.id)) return "bad call id";
      if (typeof m.name !== "string" || m.name.length > WireLimits.NAME_CHARS) return "bad name";
      if (!Array.isArray(m.args)) return "bad arguments";
      const n = valueBytes(m.args, maxBytes);
      if (typeof n === "string") return n;
      return { t: "hcall", id: m.id, name: m.name, args: m.args };
    }
  }
  return "unknown message type";
}

function isId(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/**
 * Check an error description from the plugin; null when it is not one.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRemoteError } from "./plugin_wire.ts";
 * assert.equal(parseRemoteError({ name: "E", message: "m" })?.message, "m");
 * assert.equal(parseRemoteError({ name: 1 }), null);
 * ```
 */
export function parseRemoteError(v: unknown): RemoteError | null {
  if (typeof v !== "object" || v === null) return null;
  const e = v as Record<string, unknown>;
  if (typeof e.name !== "string" || typeof e.message !== "string") return null;
  return {
    name: e.name.slice(0, WireLimits.NAME_CHARS),
    message: e.message.slice(0, WireLimits.ERROR_MESSAGE_CHARS),
  };
}

/**
 * Estimate the size of a structured-clone value without recursion, refusing what a plugin must
 * not hand the app: shared memory (SharedArrayBuffer, views on one), ports and anything that is
 * not plain data. Returns the estimate in bytes or a string saying what was refused.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { valueBytes } from "./plugin_wire.ts";
 * assert.equal(valueBytes({ a: "xy" }, 1024), 30);
 * assert.equal(valueBytes(new SharedArrayBuffer(8), 1024), "shared memory refused");
 * ```
 */
export function valueBytes(root: unknown, maxBytes: number): number | string {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  let total = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    total += 8;
    if (typeof v === "string") total += v.length * 2;
    else if (typeof v === "object" && v !== null && !seen.has(v)) {
      seen.add(v);
      const r = objectBytes(v, stack);
      if (typeof r === "string") return r;
      total += r;
    }
    if (total > maxBytes) return `message larger than ${maxBytes} bytes`;
  }
  return total;
}

function objectBytes(v: object, stack: unknown[]): number | string {
  if (v instanceof SharedArrayBuffer) return "shared memory refused";
  if (v instanceof ArrayBuffer) return v.byteLength;
  if (ArrayBuffer.isView(v)) {
    return v.buffer instanceof SharedArrayBuffer ? "shared memory refused" : v.byteLength;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) stack.push(k, x);
    return 0;
  }
  if (v instanceof Set) {
    for (const x of v) stack.push(x);
    return 0;
  }
  if (v instanceof Date || v instanceof RegExp) return 16;
  if (v instanceof Error) {
    stack.push(v.message, v.name);
    return 0;
  }
  const proto = Object.getPrototypeOf(v);
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) {
    return `refused a ${Object.prototype.toString.call(v)}`;
  }
  for (const k of Object.keys(v)) stack.push(k, (v as Record<string, unknown>)[k]);
  return 0;
}
