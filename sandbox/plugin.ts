/**
 * The plugin hosting API: a plugin is a sandbox (one manifest, one host) running one
 * picoprocess whose entrypoint module exports functions. The embedding app calls them with
 * typed RPC; the plugin reaches the app only through the functions the app exposes.
 *
 * The plugin channel's reference monitor is the `Plugin` object itself, on the embedding side:
 * every message and every fast-page response from the plugin is checked here (sandbox/
 * plugin_wire.ts, plugin_page.ts) before it is used. In `worker` isolation the app's
 * MessagePort goes straight to the plugin (app → host Worker → picoprocess; the host checks it
 * is a port, nothing more) and a fast-call page carries small calls; in `process` isolation the
 * host process bridges the plugin's port to the pipe (sandbox/plugin_bridge.ts).
 */
import { deserialize, serialize } from "node:v8";
import type { Isolation, Manifest } from "./manifest.ts";
import type { CallOptions, HostFunction, PluginApi, PluginOptions } from "./plugin_types.ts";
import { loadManifest } from "./manifest.ts";
import { checkCodeDir } from "./code_check.ts";
import { hostConfigFromManifest } from "./host/config_build.ts";
import { type HostEvent, type LimitName, PLUGIN_MSG_MAX_BYTES } from "./host/protocol.ts";
import { type HostLink, startProcessHost, startWorkerHost } from "./link.ts";
import {
  PluginCallError,
  PluginCrashError,
  type PluginError,
  PluginLimitError,
  PluginLoadError,
  PluginProtocolError,
  PluginTimeoutError,
  PluginUsageError,
} from "./plugin_errors.ts";
import { FastPage, type PageResponse, PageViolation } from "./plugin_page.ts";
import {
  type FromPlugin,
  isFunctionName,
  parseFromPlugin,
  parseRemoteError,
  type ToPlugin,
  toRemoteError,
  WireLimits,
} from "./plugin_wire.ts";

export type { CallOptions, HostFunction, PluginApi, PluginOptions } from "./plugin_types.ts";

interface Pending {
  readonly fn: string;
  readonly fast: boolean;
  readonly timeoutMs: number;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const DEFAULT_CALL_TIMEOUT_MS = 10_000;
const DEFAULT_LOAD_TIMEOUT_MS = 20_000;
const STDERR_TAIL_CHARS = 2000;

/**
 * A loaded plugin.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Plugin } from "./plugin.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/p.ts`, "export const add = (a: number, b: number) => a + b;");
 * await Deno.writeTextFile(`${dir}/p.toml`, '[loader]\nentrypoint = "p.ts"\n');
 * await using p = await Plugin.load(`${dir}/p.toml`, { isolation: "worker" });
 * assert.deepEqual(p.functions, ["add"]);
 * assert.equal(await p.call("add", 2, 3), 5);
 * ```
 */
export class Plugin {
  /** The plugin's name in errors: its entrypoint's file name. */
  readonly name: string;
  /** The isolation level in force. */
  readonly isolation: Isolation;
  /** Resolves with the error that ended the plugin (a `PluginUsageError` after `close()`). */
  readonly ended: Promise<PluginError>;
  readonly #manifest: Manifest;
  readonly #opts: PluginOptions;
  readonly #expose = new Map<string, HostFunction>();
  readonly #pending = new Map<number, Pending>();
  readonly #page: FastPage | null;
  readonly #maxBytes: number;
  #link!: HostLink;
  #port: MessagePort | null = null;
  #pid = -1;
  #seq = 0;
  #functions: readonly string[] = [];
  #loaded = false;
  #load!: { resolve: () => void; reject: (e: Error) => void };
  #error: PluginError | null = null;
  #endedResolve!: (e: PluginError) => void;
  #limit: { readonly limit: LimitName; readonly message: string } | null = null;
  #stderrTail = "";

  private constructor(manifest: Manifest, opts: PluginOptions) {
    this.#manifest = manifest;
    this.#opts = opts;
    this.name = manifest.loader.entrypoint.split("/").pop() ?? "plugin";
    this.isolation = opts.isolation ?? manifest.sys.isolation;
    this.#maxBytes = opts.maxMessageBytes ?? WireLimits.MESSAGE_BYTES;
    this.#page = this.isolation === "worker" && opts.fastPath !== false ? new FastPage() : null;
    this.ended = new Promise((r) => (this.#endedResolve = r));
    for (const [k, f] of Object.entries(opts.expose ?? {})) {
      if (!isFunctionName(k) || typeof f !== "function") {
        throw new TypeError(`expose.${k}: expected a function with an identifier name`);
      }
      this.#expose.set(k, f);
    }
  }

  /**
   * Load a plugin: start its sandbox, boot the libOS, import its module and run its `init(host)`.
   * @param manifest the plugin's manifest (a path, a `file:` URL or a loaded `Manifest`).
   * @param opts isolation, exposed host functions, deadlines, output sink.
   * @returns the loaded plugin, with `functions` listing what it exports.
   * @throws {ManifestError} when the manifest is invalid.
   * @throws {PluginLoadError} when the module fails to load or exports no function.
   */
  static async load(manifest: Manifest | string | URL, opts: PluginOptions = {}): Promise<Plugin> {
    const m = typeof manifest === "string" || manifest instanceof URL
      ? await loadManifest(manifest instanceof URL ? manifest.pathname : manifest, {
        ...(opts.hostEnv ? { hostEnv: opts.hostEnv } : {}),
      })
      : manifest;
    checkCodeDir(m.loader.codeDir);
    const p = new Plugin(m, opts);
    await p.#start();
    return p;
  }

  /** The names of the functions the plugin exports (sorted). */
  get functions(): readonly string[] {
    return this.#functions;
  }

  /** The error that ended the plugin, or null while it runs. */
  get error(): PluginError | null {
    return this.#error;
  }

  /**
   * Call an exported function. Arguments and the result are structured clones.
   * @param name the function.
   * @param args its arguments.
   * @returns what the function returned (awaited).
   * @throws {PluginCallError} when the function threw (the plugin's message, no plugin stack).
   * @throws {PluginTimeoutError} past the deadline (the plugin is then ended).
   * @throws {PluginCrashError | PluginLimitError | PluginProtocolError} when the plugin died.
   */
  call<R = unknown>(name: string, ...args: unknown[]): Promise<R> {
    return this.callWith<R>(name, args);
  }

  /**
   * `call` with options: a deadline for this call and objects to transfer. (A trailing options
   * argument to `call` could not be told apart from a plain-object argument, hence two methods.)
   * @param name the function.
   * @param args its arguments.
   * @param opts deadline and transfer list.
   */
  callWith<R = unknown>(
    name: string,
    args: readonly unknown[],
    opts: CallOptions = {},
  ): Promise<R> {
    if (this.#error) return Promise.reject(this.#error);
    const fn = this.#functions.indexOf(name);
    if (fn < 0) {
      return Promise.reject(new PluginUsageError(this.name, `${this.name} exports no ${name}()`));
    }
    const id = ++this.#seq;
    const timeoutMs = opts.timeoutMs ?? this.#opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const page = this.#page;
    if (page && !opts.transfer?.length && page.request(id, fn, args)) {
      let r: PageResponse | null;
      try {
        r = page.poll(id);
      } catch (e) {
        return Promise.reject(this.#violation(e));
      }
      if (r && r.status !== 2) {
        const out = this.#pageOutcome(name, r);
        return (out.ok ? Promise.resolve(out.value) : Promise.reject(out.error)) as Promise<R>;
      }
      const p = this.#register(id, name, timeoutMs, true);
      if (!r) void this.#watchPage(page, id);
      return p as Promise<R>;
    }
    const p = this.#register(id, name, timeoutMs, false);
    try {
      this.#send({ t: "call", id, name, args: [...args] }, opts.transfer);
    } catch (e) {
      this.#settle(id, (x) => x.reject(e instanceof Error ? e : new Error(String(e))));
    }
    return p as Promise<R>;
  }

  /**
   * A typed view of the plugin: one async method per exported function.
   * @returns an object whose methods call the plugin.
   * @example
   * ```ts ignore
   * const words = plugin.api<{ count(text: string): number }>();
   * const n: number = await words.count("a b c");
   * ```
   */
  api<T>(): PluginApi<T> {
    const o: Record<string, (...a: unknown[]) => Promise<unknown>> = Object.create(null);
    for (const name of this.#functions) o[name] = (...a: unknown[]) => this.call(name, ...a);
    return Object.freeze(o) as unknown as PluginApi<T>;
  }

  /** End the plugin and its sandbox; pending calls reject with `PluginUsageError`. */
  async close(): Promise<void> {
    if (!this.#link) return;
    if (!this.#error) this.#end(new PluginUsageError(this.name, `${this.name} is closed`), true);
    await this.#link.gone;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- loading

  #start(): Promise<void> {
    const base = hostConfigFromManifest(this.#manifest);
    const cfg = this.#opts.bootUrl ? { ...base, bootUrl: this.#opts.bootUrl } : base;
    const loaded = new Promise<void>((resolve, reject) => (this.#load = { resolve, reject }));
    const onEvent = (ev: HostEvent) => this.#event(ev);
    this.#link = this.isolation === "process"
      ? startProcessHost(cfg, onEvent)
      : startWorkerHost(cfg, onEvent);
    const ms = this.#opts.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS;
    const timer = setTimeout(
      () => this.#end(new PluginLoadError(this.name, `${this.name} did not load within ${ms} ms`)),
      ms,
    );
    return loaded.finally(() => clearTimeout(timer));
  }

  #spawn(): void {
    const expose = [...this.#expose.keys()];
    if (this.isolation === "process") {
      this.#link.send({ type: "plugin-spawn", reqId: 1, expose });
      return;
    }
    const ch = new MessageChannel();
    this.#port = ch.port1;
    ch.port1.onmessage = (e) => this.#receive(e.data);
    ch.port1.onmessageerror = () => this.#protocol("undeserializable message");
    const page = this.#page ? { page: this.#page.sab } : {};
    this.#link.send({ type: "plugin-spawn", reqId: 1, expose, port: ch.port2, ...page }, [
      ch.port2,
    ]);
  }

  // ---- events from the host and messages from the plugin

  #event(ev: HostEvent): void {
    switch (ev.type) {
      case "ready":
        return this.#spawn();
      case "spawned":
        this.#pid = ev.pid;
        return;
      case "spawn-failed":
        return this.#end(new PluginLoadError(this.name, ev.message));
      case "output":
        return this.#output(ev.fd, ev.data);
      case "limit":
        this.#limit = { limit: ev.limit, message: ev.message };
        return;
      case "exit":
        if (ev.pid === this.#pid) {
          this.#end(this.#deathError(`exited with code ${ev.code}`, ev.code));
        }
        return;
      case "plugin-msg":
        if (ev.pid === this.#pid) this.#receiveBytes(ev.data);
        return;
      case "closed":
        return this.#end(this.#deathError("its sandbox closed", null));
    }
  }

  #output(fd: 1 | 2, data: Uint8Array): void {
    if (fd === 2) {
      this.#stderrTail = (this.#stderrTail + new TextDecoder().decode(data)).slice(
        -STDERR_TAIL_CHARS,
      );
    }
    if (this.#opts.onOutput) this.#opts.onOutput(fd, data);
    else (fd === 1 ? Deno.stdout : Deno.stderr).writeSync(data);
  }

  #deathError(what: string, code: number | null): PluginError {
    const l = this.#limit;
    if (l) return new PluginLimitError(this.name, l.limit, l.message);
    // The libOS reports an uncaught error as "error: Uncaught …" then the stack: keep that line.
    const lines = this.#stderrTail.trim().split("\n");
    const line = lines.findLast((l) => l.startsWith("error:")) ?? lines.at(-1) ?? "";
    return new PluginCrashError(this.name, `${this.name} ${what}${line ? `: ${line}` : ""}`, code);
  }

  #receiveBytes(data: Uint8Array | null): void {
    if (data === null) return void this.#protocol("a message that is not a bounded byte string");
    if (data.length > this.#maxBytes) return void this.#protocol("an oversized message");
    let v: unknown;
    try {
      v = deserialize(data);
    } catch (_e) {
      return void this.#protocol("an undecodable message");
    }
    this.#receive(v);
  }

  #receive(raw: unknown): void {
    if (this.#error) return;
    const m = parseFromPlugin(raw, this.#maxBytes);
    if (typeof m === "string") return void this.#protocol(m);
    switch (m.t) {
      case "ready":
        if (this.#loaded) return void this.#protocol("a second ready message");
        this.#functions = Object.freeze([...m.functions]);
        this.#loaded = true;
        return this.#load.resolve();
      case "load-failed":
        return this.#end(new PluginLoadError(this.name, `${m.error.name}: ${m.error.message}`));
      case "result":
        return this.#result(m);
      case "hcall":
        void this.#hostCall(m.id, m.name, m.args);
        return;
    }
  }

  #result(m: FromPlugin & { t: "result" }): void {
    const p = this.#pending.get(m.id);
    if (!p) return void this.#protocol(`a result for call ${m.id}, which is not pending`);
    if (p.fast && this.#page?.busy) {
      try {
        this.#page.take(m.id); // the page said VIA_PORT before this message left
      } catch (e) {
        return void this.#violation(e);
      }
    }
    this.#settle(
      m.id,
      (x) => m.ok ? x.resolve(m.value) : x.reject(this.#callError(x.fn, m.error)),
    );
  }

  async #hostCall(id: number, name: string, args: unknown[]): Promise<void> {
    const f = this.#expose.get(name);
    let reply: ToPlugin;
    if (!f) {
      const error = { name: "PluginUsageError", message: `host function ${name} is not exposed` };
      reply = { t: "reply", id, ok: false, error };
    } else {
      try {
        reply = { t: "reply", id, ok: true, value: await f(...args) };
      } catch (e) {
        reply = { t: "reply", id, ok: false, error: toRemoteError(e) };
      }
    }
    if (this.#error) return;
    try {
      this.#send(reply);
    } catch (e) {
      this.#send({ t: "reply", id, ok: false, error: toRemoteError(e) });
    }
  }

  #send(msg: ToPlugin, transfer?: Transferable[]): void {
    if (this.#port) return this.#port.postMessage(msg, transfer ?? []);
    const b = serialize(msg);
    if (b.length > PLUGIN_MSG_MAX_BYTES) {
      throw new RangeError(`message larger than ${PLUGIN_MSG_MAX_BYTES} bytes`);
    }
    this.#link.send({ type: "plugin-msg", pid: this.#pid, data: b });
  }

  // ---- calls

  #register(id: number, fn: string, timeoutMs: number, fast: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const p: Pending = { fn, fast, timeoutMs, resolve, reject, timer: undefined };
      if (Number.isFinite(timeoutMs)) {
        p.timer = setTimeout(() => this.#timeout(id), Math.max(0, timeoutMs));
      }
      this.#pending.set(id, p);
    });
  }

  #settle(id: number, how: (p: Pending) => void): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    how(p);
  }

  #timeout(id: number): void {
    const p = this.#pending.get(id);
    if (!p) return;
    const err = new PluginTimeoutError(this.name, p.fn, p.timeoutMs);
    this.#settle(id, (x) => x.reject(err));
    this.#end(err);
  }

  async #watchPage(page: FastPage, id: number): Promise<void> {
    while (this.#pending.has(id) && !this.#error) {
      await page.changed(1000);
      if (!this.#pending.has(id) || this.#error) return;
      let r: PageResponse | null;
      try {
        r = page.take(id);
      } catch (e) {
        return void this.#violation(e);
      }
      if (!r) continue;
      if (r.status === 2) return; // the answer comes on the port
      const out = this.#pageOutcome(this.#pending.get(id)!.fn, r);
      this.#settle(id, (x) => out.ok ? x.resolve(out.value) : x.reject(out.error));
      return;
    }
  }

  #pageOutcome(
    fn: string,
    r: PageResponse,
  ): { ok: true; value: unknown } | { ok: false; error: Error } {
    if (r.status === 0) return { ok: true, value: r.value };
    const e = r.status === 1 ? parseRemoteError(r.value) : null;
    if (e) return { ok: false, error: this.#callError(fn, e) };
    return { ok: false, error: this.#violation(new PageViolation("malformed error response")) };
  }

  #callError(fn: string, e: { name: string; message: string }): PluginCallError {
    const err = new PluginCallError(this.name, fn, e.name, e.message);
    err.stack = `${err.name}: ${err.message}\n    at ${this.name} ${fn}() (plugin)`;
    return err;
  }

  // ---- the end

  #violation(e: unknown): PluginError {
    const what = e instanceof PageViolation ? `fast page: ${e.message}` : String(e);
    return this.#protocol(what);
  }

  #protocol(what: string): PluginError {
    const err = new PluginProtocolError(
      this.name,
      `${this.name} broke the plugin protocol (${what}); the plugin was ended`,
    );
    this.#end(err);
    return this.#error ?? err;
  }

  /** End the plugin (once): reject everything pending with `err`, stop the sandbox. */
  #end(err: PluginError, graceful = false): void {
    if (this.#error) return;
    const e = !this.#loaded && !(err instanceof PluginLoadError)
      ? new PluginLoadError(this.name, err.message)
      : err;
    this.#error = e;
    for (const id of [...this.#pending.keys()]) this.#settle(id, (x) => x.reject(e));
    this.#load?.reject(e);
    this.#page?.abandon();
    this.#port?.close();
    this.#endedResolve(e);
    if (!graceful) return this.#link.kill();
    this.#link.send({ type: "close" });
    const t = setTimeout(() => this.#link.kill(), 2000);
    void this.#link.gone.then(() => clearTimeout(t));
  }
}
