/**
 * The guest side of a plugin: after the libOS has booted (libos/boot.ts), import the plugin
 * module, hand its `init(host)` a capability object whose methods are exactly the functions the
 * embedding app exposed, list its exported functions and serve calls — from the port
 * (sandbox/plugin_wire.ts messages) and, in `worker` isolation, from the fast-call page
 * (sandbox/plugin_page.ts), which this Worker serves by spinning briefly, then `waitAsync`.
 * Nothing here is trusted by the host: the embedding app checks every message it sends.
 */
import { deserialize, serialize } from "node:v8";
import type { PluginInit } from "./init.ts";
import { decodeValue, encodeValue } from "../sandbox/plugin_codec.ts";
import { Page, PageState, PageStatus } from "../sandbox/plugin_page.ts";
import {
  type FromPlugin,
  isFunctionName,
  type RemoteError,
  type ToPlugin,
  toRemoteError,
} from "../sandbox/plugin_wire.ts";

/** What the plugin boot needs from the libOS. */
export interface PluginOs {
  readonly live: { hold(): () => void };
  fatal(err: unknown, inPromise?: boolean): never;
}

type Fn = (...args: unknown[]) => unknown;

/** How long the plugin's Worker spins for the next fast call before yielding. */
const GUEST_SPIN_US = 200;

/**
 * Run a plugin module and serve its calls until the host ends the picoprocess.
 * @param os the booted libOS (liveness is held forever: a plugin ends only when the host says).
 * @param p the plugin part of the init message.
 * @param entry the plugin module's URL.
 * @example
 * ```ts ignore
 * // libos/boot.ts, when init.plugin is set:
 * os.installDenoPersonality();
 * await servePlugin(os, init.plugin, init.entry);
 * ```
 */
export async function servePlugin(os: PluginOs, p: PluginInit, entry: string): Promise<void> {
  os.live.hold();
  globalThis.addEventListener("error", (e) => {
    e.preventDefault();
    os.fatal(e.error ?? e.message);
  });
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    os.fatal(e.reason, true);
  });
  const wire = new Wire(p.port, p.wire);
  const host = hostProxy(p.expose, wire);
  let table: Map<string, Fn>;
  try {
    const specifier = String(entry);
    const mod = await import(specifier) as Record<string, unknown>;
    if (typeof mod.init === "function") await mod.init(host);
    table = exportedFunctions(mod);
    if (table.size === 0) throw new TypeError("the plugin module exports no function");
  } catch (e) {
    wire.send({ t: "load-failed", error: toRemoteError(e) });
    return;
  }
  const fns = [...table.keys()];
  wire.onCall = (id, name, args) => {
    const f = table.get(name);
    if (!f) return void wire.send(threw(id, new TypeError(`no exported function ${name}`)));
    void run(f, args).then((r) => wire.send(r.ok ? ok(id, r.value) : threw(id, r.error)));
  };
  wire.send({ t: "ready", functions: fns });
  if (p.page) void serveFastPage(p.page, fns.map((n) => table.get(n)!), wire);
}

function exportedFunctions(mod: Record<string, unknown>): Map<string, Fn> {
  const table = new Map<string, Fn>();
  for (const name of Object.keys(mod).sort()) {
    const f = mod[name];
    if (name !== "init" && typeof f === "function" && isFunctionName(name)) {
      table.set(name, f as Fn);
    }
  }
  return table;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === "object" && v !== null &&
    typeof (v as { then?: unknown }).then === "function";
}

async function run(f: Fn, args: unknown[]): Promise<Outcome> {
  try {
    let v = f(...args);
    if (isThenable(v)) v = await v;
    return { ok: true, value: v };
  } catch (e) {
    return { ok: false, error: e };
  }
}

function ok(id: number, value: unknown): FromPlugin {
  return { t: "result", id, ok: true, value };
}

function threw(id: number, e: unknown): FromPlugin {
  return { t: "result", id, ok: false, error: toRemoteError(e) };
}

/** The port to the embedding app (or, in process isolation, to the host's bridge). */
class Wire {
  onCall: (id: number, name: string, args: unknown[]) => void = () => {};
  readonly #replies = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #next = 0;

  constructor(readonly port: MessagePort, readonly kind: "clone" | "v8") {
    port.onmessage = (e) => this.#receive(e.data);
  }

  send(msg: FromPlugin): void {
    try {
      this.#post(msg);
    } catch (e) {
      // The value cannot be cloned (a function, a class instance with private state, …).
      if (msg.t !== "result") throw e;
      this.#post({ t: "result", id: msg.id, ok: false, error: toRemoteError(e) });
    }
  }

  /** Call a host-exposed function. */
  hostCall(name: string, args: unknown[]): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#replies.set(id, { resolve, reject });
      this.send({ t: "hcall", id, name, args });
    });
  }

  #post(msg: FromPlugin): void {
    if (this.kind === "clone") return this.port.postMessage(msg);
    const b = serialize(msg);
    const u = new Uint8Array(b.length);
    u.set(b);
    this.port.postMessage(u, [u.buffer]);
  }

  #receive(data: unknown): void {
    const m = (this.kind === "v8" ? deserialize(data as Uint8Array) : data) as ToPlugin;
    if (m.t === "call") return this.onCall(m.id, m.name, m.args);
    const r = this.#replies.get(m.id);
    if (!r) return;
    this.#replies.delete(m.id);
    if (m.ok) r.resolve(m.value);
    else r.reject(remoteError(m.error));
  }
}

function remoteError(e: RemoteError): Error {
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/** The capability object `init(host)` receives: one async method per exposed name, no more. */
function hostProxy(names: readonly string[], wire: Wire): Readonly<Record<string, Fn>> {
  const host: Record<string, Fn> = Object.create(null);
  for (const name of names) host[name] = (...args: unknown[]) => wire.hostCall(name, args);
  return Object.freeze(host);
}

/** Serve fast calls from the page forever (the host ends the Worker). */
async function serveFastPage(sab: SharedArrayBuffer, fns: Fn[], wire: Wire): Promise<void> {
  const w = new Int32Array(sab, 0, 16);
  const data = new Uint8Array(sab, Page.HEADER_BYTES, Page.DATA_BYTES);
  const view = new DataView(sab, Page.HEADER_BYTES, Page.DATA_BYTES);
  for (;;) {
    if (!spinFor(w)) {
      const s = Atomics.load(w, Page.STATE);
      if (s !== PageState.REQUEST) {
        const r = Atomics.waitAsync(w, Page.STATE, s);
        if (r.async) await r.value;
        continue;
      }
    }
    const seq = w[Page.SEQ]!, fn = fns[w[Page.FN]!], len = w[Page.LEN]!;
    let out: Outcome;
    try {
      if (!fn) throw new TypeError("no such function");
      // In place: only the app writes requests, and it waits for the response.
      const args = decodeValue(data.subarray(0, Math.max(0, Math.min(len, Page.DATA_BYTES))), view);
      const r = runFast(fn, args as unknown[]);
      out = r instanceof Promise ? await r : r;
    } catch (e) {
      out = { ok: false, error: e };
    }
    const value = out.ok ? out.value : toRemoteError(out.error);
    const n = encodeValue(value, data, view);
    w[Page.ECHO] = seq;
    w[Page.STATUS] = n < 0 ? PageStatus.VIA_PORT : out.ok ? PageStatus.OK : PageStatus.THREW;
    w[Page.LEN] = Math.max(n, 0);
    Atomics.store(w, Page.STATE, PageState.RESPONSE);
    Atomics.notify(w, Page.STATE);
    // The page says VIA_PORT before the port message leaves, so the app sees them in order.
    if (n < 0) wire.send(out.ok ? ok(seq, out.value) : threw(seq, out.error));
  }
}

/** Like `run`, but without a microtask hop when the function returns a plain value. */
function runFast(f: Fn, args: unknown[]): Outcome | Promise<Outcome> {
  try {
    const v = f(...args);
    return isThenable(v) ? run(() => v, []) : { ok: true, value: v };
  } catch (e) {
    return { ok: false, error: e };
  }
}

function spinFor(w: Int32Array): boolean {
  const t0 = performance.now();
  for (let i = 0;; i++) {
    if (Atomics.load(w, Page.STATE) === PageState.REQUEST) return true;
    if ((i & 63) === 63 && (performance.now() - t0) * 1000 > GUEST_SPIN_US) return false;
  }
}
