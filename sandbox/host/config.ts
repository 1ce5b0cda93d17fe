/**
 * The sandbox host's configuration: plain, structured-cloneable data derived from a manifest
 * (config_build.ts makes it, in the embedding app). It crosses into the host worker (postMessage)
 * or the host process (stdin JSON) unchanged. The host imports this module, so it imports no
 * value of the manifest's or the permissions' modules (and none of `node:`: see
 * pal/host/lazy_node.ts).
 */
import type { Manifest } from "../manifest.ts";
import type { WorkerPermissions } from "../permissions.ts";

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
  /** The mount of `loader.code` at its own host path (`fs.code_mount`), not the manifest's. */
  readonly code?: boolean;
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
  /** `file:` URL of `loader.entrypoint` (the first process's module). */
  readonly entryUrl: string;
  /** strace-like trace of PAL calls to the trace stream. */
  readonly trace: boolean;
}

/**
 * The guest path at which `loader.code` is mounted, or null: with `fs.code_mount` (the
 * default) the code directory appears read-only at its own host path, because Deno gives a
 * module its host location (`import.meta.url`, `import.meta.dirname`) and a program finds the
 * files beside it from there. Not when the manifest mounts something at that very path (its
 * mount wins), and not for a code directory at the host's root.
 *
 * What it shows is what the guest's Workers may read directly anyway (they load their modules
 * from there); through the mount the host serves it like any read-only chroot mount, never
 * following a host symlink. Paths above it are the synthetic directories of mount points, which
 * list only the way to the mount.
 */
export function codeMountPath(m: Manifest): string | null {
  const dir = m.loader.codeDir.replace(/\/+$/, "");
  if (!m.fs.codeMount || dir === "" || !dir.startsWith("/")) return null;
  const path = "/" + dir.split("/").filter((s) => s !== "").join("/");
  return m.fs.mounts.some((mt) => mt.path === path) ? null : path;
}

/** The entrypoint's path in the guest's view: with the code mount, its host path (as
 * Deno.mainModule and /proc/self/exe show it); else argv[0]. */
export function entryExePath(cfg: HostConfig): string {
  const l = cfg.manifest.loader;
  return (cfg.mounts.some((mt) => mt.code) ? l.entrypoint : l.argv[0]) ?? l.entrypoint;
}

/** The directory holding Sandpiper's own modules (hosts need to read it to load them). */
export function sandpiperSourceDir(): string | null {
  const u = new URL("../../", import.meta.url);
  return u.protocol === "file:" ? decodeURIComponent(u.pathname) : null;
}

/** Whether the host must load `node:crypto` before it serves (pal/host/lazy_node.ts): the
 * manifest lists trusted files, which it hashes with it. */
export function needsNodeCrypto(cfg: HostConfig): boolean {
  return cfg.manifest.fs.trustedFiles.length > 0;
}
