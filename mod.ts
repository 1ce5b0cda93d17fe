/**
 * Sandpiper: a capability-secure library OS hosted on Deno. Untrusted programs run as
 * picoprocesses (Web Workers with narrowed Deno permissions) inside sandboxes described by a
 * TOML manifest; a libOS inside each gives them a POSIX-like OS, the Deno namespace or WASI.
 *
 * @example
 * ```ts
 * import { Sandbox } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/app.ts`, `console.log(Deno.args.join(" "));`);
 * await Deno.writeTextFile(`${dir}/app.toml`, `[loader]\nentrypoint = "app.ts"\n`);
 * await using sb = await Sandbox.create(`${dir}/app.toml`);
 * const out = await sb.run({ argv: ["app", "hi", "there"] });
 * console.assert(new TextDecoder().decode(out.stdout) === "hi there\n");
 * ```
 * @module
 */
export { Sandbox, SandboxProcess } from "./sandbox/sandbox.ts";
export type { ExitStatus, ProcessOutput, SandboxOptions } from "./sandbox/sandbox.ts";
export type { SpawnSpec } from "./sandbox/host/protocol.ts";
export { LimitError, SandboxError } from "./sandbox/errors_runtime.ts";
export { ManifestError } from "./sandbox/errors.ts";
export {
  loadManifest,
  loadManifestSync,
  manifestFromObject,
  parseManifest,
} from "./sandbox/manifest.ts";
export type {
  ChrootMount,
  Isolation,
  LoadOptions,
  Manifest,
  ManifestOptions,
  Mount,
  Personality,
  TmpfsMount,
  TrustedFile,
} from "./sandbox/manifest.ts";
export { describePermissions, processFlags, workerPermissions } from "./sandbox/permissions.ts";
export { PalCode, PalError } from "./pal/errors.ts";
export { Plugin } from "./sandbox/plugin.ts";
export type { CallOptions, HostFunction, PluginApi, PluginOptions } from "./sandbox/plugin.ts";
export {
  PluginCallError,
  PluginCrashError,
  PluginError,
  PluginLimitError,
  PluginLoadError,
  PluginProtocolError,
  PluginTimeoutError,
  PluginUsageError,
} from "./sandbox/plugin_errors.ts";
