/**
 * Making a sandbox host's configuration from a manifest (config.ts has its shape). The embedding
 * app runs this; the host only reads the result, so what this imports stays out of its start.
 */
import { pathToFileURL } from "node:url";
import type { Manifest } from "../manifest.ts";
import { workerPermissions } from "../permissions.ts";
import { codeMountPath, type HostConfig, type HostMount } from "./config.ts";

let counter = 0;

/** Derive the host configuration from a validated manifest. */
export function hostConfigFromManifest(m: Manifest, opts: { trace?: boolean } = {}): HostConfig {
  const mounts: HostMount[] = m.fs.mounts.map((mt, i) => {
    const base = { id: i + 1, path: mt.path, readonly: mt.readonly, readahead: mt.readahead };
    return mt.type === "chroot"
      ? { ...base, type: "chroot", hostPath: mt.hostPath }
      : { ...base, type: "tmpfs", sizeBytes: mt.sizeBytes };
  });
  const code = codeMountPath(m);
  if (code !== null) {
    mounts.push({
      id: mounts.length + 1,
      path: code,
      type: "chroot",
      readonly: true,
      readahead: true,
      hostPath: m.loader.codeDir,
      code: true,
    });
  }
  return {
    sandboxId: `sb${Date.now().toString(36)}${(counter++).toString(36)}`,
    manifest: m,
    mounts,
    guestPermissions: workerPermissions(m, "guest"),
    bootUrl: new URL("../../libos/boot.ts", import.meta.url).href,
    entryUrl: pathToFileURL(m.loader.entrypoint).href,
    trace: opts.trace ?? false,
  };
}
