/** The public types of the plugin hosting API (sandbox/plugin.ts). */
import type { Isolation } from "./manifest.ts";

/** A function the embedding app lets the plugin call. */
// deno-lint-ignore no-explicit-any
export type HostFunction = (...args: any[]) => unknown;

/** Options of {@link Plugin.load}. */
export interface PluginOptions {
  /** Override the manifest's `sys.isolation`. */
  isolation?: Isolation;
  /** The only functions the plugin can call, passed to its `init(host)` as `host.<name>`. */
  expose?: Readonly<Record<string, HostFunction>>;
  /** Default deadline of each call (default 10 000 ms; `Infinity` for none). */
  callTimeoutMs?: number;
  /** How long loading may take (default 20 000 ms). */
  loadTimeoutMs?: number;
  /** Bound on one message from the plugin (default 16 MiB). */
  maxMessageBytes?: number;
  /** The plugin's stdout (1) and stderr (2); default: this process's stdout and stderr. */
  onOutput?: (fd: 1 | 2, data: Uint8Array) => void;
  /** Use the SharedArrayBuffer fast path in `worker` isolation (default true). */
  fastPath?: boolean;
  /** Host environment for `loader.env` passthrough (default: none). */
  hostEnv?: Readonly<Record<string, string>>;
  /** Advanced: the picoprocess boot module instead of the libOS (Sandpiper's own tests). */
  bootUrl?: string;
}

/** Options of one call. */
export interface CallOptions {
  /** Deadline of this call (default: the plugin's `callTimeoutMs`). */
  timeoutMs?: number;
  /** Objects to transfer rather than copy (`worker` isolation; copied in `process`). */
  transfer?: Transferable[];
}

/** The typed view `plugin.api<T>()` returns: every function of `T`, made asynchronous. */
export type PluginApi<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};
