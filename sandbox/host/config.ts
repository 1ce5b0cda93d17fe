/**
 * The sandbox host's configuration: plain, structured-cloneable data derived from a manifest.
 * It crosses into the host worker (postMessage) or the host process (stdin JSON) unchanged.
 */
import type { Manifest } from "../manifest.ts";
import { type WorkerPermissions, workerPermissions } from "../permissions.ts";

/** A mount as the host binds it. */
export interface HostMount {
  readonly id: number;
  readonly path: string;
  readonly type: "chroot" | "tmpfs";
  readonly readonly: boolean;
  /** Whether guests may read its files ahead. */
  readonly readahead: boolean;
  /** chroot only: the host directory. */
  readonly hostPath?: string;
  /** tmpfs only: capacity. */
  readonly sizeBytes?: number;
}

/** Everything the sandbox host needs. */
export interface HostConfig {
  readonly sandboxId: string;
  readonly manifest: Manifest;
  readonly mounts: readonly HostMount[];
  /** Permissions of every picoprocess Worker (every key explicit). */
  readonly guestPermissions: WorkerPermissions;
  /** URL of the libOS boot module. */
  readonly bootUrl: string;
  /** strace-like trace of PAL calls to the trace stream. */
  readonly trace: boolean;
}

let counter = 0;

/** Derive the host configuration from a validated manifest. */
export function hostConfigFromManifest(m: Manifest, opts: { trace?: boolean } = {}): HostConfig {
  const mounts: HostMount[] = m.fs.mounts.map((mt, i) => {
    const base = { id: i + 1, path: mt.path, readonly: mt.readonly, readahead: mt.readahead };
    return mt.type === "chroot"
      ? { ...base, type: "chroot", hostPath: mt.hostPath }
      : { ...base, type: "tmpfs", sizeBytes: mt.sizeBytes };
  });
  return {
    sandboxId: `sb${Date.now().toString(36)}${(counter++).toString(36)}`,
    manifest: m,
    mounts,
    guestPermissions: workerPermissions(m, "guest"),
    bootUrl: new URL("../../libos/boot.ts", import.meta.url).href,
    trace: opts.trace ?? false,
  };
}

/** The directory holding Sandpiper's own modules (hosts need to read it to load them). */
export function sandpiperSourceDir(): string | null {
  const u = new URL("../../", import.meta.url);
  return u.protocol === "file:" ? decodeURIComponent(u.pathname) : null;
}
