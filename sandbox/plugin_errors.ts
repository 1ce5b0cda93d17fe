/**
 * Typed errors of the plugin hosting API. Every way a plugin call can fail is one subclass of
 * `PluginError`; `plugin` names the plugin (its manifest entrypoint) so a host app with several
 * plugins knows which one to blame.
 */
import type { LimitName } from "./host/protocol.ts";
import { SandboxError } from "./errors_runtime.ts";

/**
 * Base class of every plugin failure.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PluginError, PluginTimeoutError } from "./plugin_errors.ts";
 * const e = new PluginTimeoutError("words.ts", "count", 50);
 * assert.ok(e instanceof PluginError);
 * assert.equal(e.plugin, "words.ts");
 * ```
 */
export class PluginError extends SandboxError {
  override name = "PluginError";
  constructor(readonly plugin: string, message: string) {
    super(message);
  }
}

/**
 * The plugin's function (or its module's top level) threw. `remoteName` is the thrown error's
 * name; the message is the plugin's, and the stack shows only where the host app made the call
 * (nothing from inside the plugin).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PluginCallError } from "./plugin_errors.ts";
 * const e = new PluginCallError("p.ts", "parse", "TypeError", "bad input");
 * assert.equal(e.message, "bad input");
 * assert.equal(e.remoteName, "TypeError");
 * ```
 */
export class PluginCallError extends PluginError {
  override name = "PluginCallError";
  constructor(
    plugin: string,
    /** The function that was called. */
    readonly fn: string,
    /** `name` of the error the plugin threw. */
    readonly remoteName: string,
    message: string,
  ) {
    super(plugin, message);
  }
}

/**
 * A call ran past its deadline. The plugin is then treated as runaway and its sandbox ended.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PluginTimeoutError } from "./plugin_errors.ts";
 * assert.equal(new PluginTimeoutError("p.ts", "spin", 100).timeoutMs, 100);
 * ```
 */
export class PluginTimeoutError extends PluginError {
  override name = "PluginTimeoutError";
  constructor(plugin: string, readonly fn: string, readonly timeoutMs: number) {
    super(plugin, `${plugin}: ${fn}() ran past its ${timeoutMs} ms deadline; the plugin was ended`);
  }
}

/**
 * The plugin's picoprocess ended (uncaught error, `Deno.exit`, killed) or its sandbox closed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PluginCrashError } from "./plugin_errors.ts";
 * assert.equal(new PluginCrashError("p.ts", "exited with code 3", 3).exitCode, 3);
 * ```
 */
export class PluginCrashError extends PluginError {
  override name = "PluginCrashError";
  constructor(plugin: string, message: string, readonly exitCode: number | null = null) {
    super(plugin, message);
  }
}

/**
 * The plugin's sandbox was ended because a manifest limit was exceeded (`limit` names it).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PluginLimitError } from "./plugin_errors.ts";
 * assert.equal(new PluginLimitError("p.ts", "max_memory", "heap").limit, "max_memory");
 * ```
 */
export class PluginLimitError extends PluginError {
  override name = "PluginLimitError";
  constructor(plugin: string, readonly limit: LimitName, message: string) {
    super(plugin, message);
  }
}

/**
 * The plugin broke the RPC protocol (malformed or oversized message, garbage in the call page).
 * The plugin is ended: a plugin's guest side never sends such things unless it is hostile.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PluginProtocolError } from "./plugin_errors.ts";
 * assert.match(new PluginProtocolError("p.ts", "bad message").message, /bad message/);
 * ```
 */
export class PluginProtocolError extends PluginError {
  override name = "PluginProtocolError";
}

/**
 * The plugin could not be loaded (its module threw, exports no function, or never answered).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PluginLoadError } from "./plugin_errors.ts";
 * assert.equal(new PluginLoadError("p.ts", "no functions").name, "PluginLoadError");
 * ```
 */
export class PluginLoadError extends PluginError {
  override name = "PluginLoadError";
}

/**
 * A call named a function the plugin does not export, or the plugin is already closed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PluginUsageError } from "./plugin_errors.ts";
 * assert.equal(new PluginUsageError("p.ts", "no function x").plugin, "p.ts");
 * ```
 */
export class PluginUsageError extends PluginError {
  override name = "PluginUsageError";
}
