/**
 * A manifest mount bound to its backend: a chroot mount to its host directory (with the trusted
 * files under it, named by their guest paths), a tmpfs mount to its own in-memory file system.
 */
import { ChrootFs } from "../../pal/host/chrootfs.ts";
import type { FsBackend } from "../../pal/host/fs_types.ts";
import type { BoundMount } from "../../pal/host/owner.ts";
import { TmpFs } from "../../pal/host/tmpfs.ts";
import { TrustedFile } from "../../pal/host/trusted_files.ts";
import type { HostConfig } from "./config.ts";

/** Bind mount `m`; `trustedFiles` are the manifest's (host path, sha256) pairs. */
export function bindMount(
  m: HostConfig["mounts"][number],
  trustedFiles: readonly { hostPath: string; sha256: string }[],
): BoundMount {
  let backend: FsBackend;
  if (m.type === "chroot") {
    // Trusted files are keyed by their path relative to the mount that holds them.
    const trusted = new Map<string, TrustedFile>();
    const root = m.hostPath!.endsWith("/") ? m.hostPath! : `${m.hostPath}/`;
    for (const t of trustedFiles) {
      if (t.hostPath.startsWith(root)) {
        // Named by its guest path in messages: a guest never learns a host path.
        const rel = t.hostPath.slice(root.length);
        trusted.set(rel, new TrustedFile(`${m.path.replace(/\/$/, "")}/${rel}`, t.sha256));
      }
    }
    backend = new ChrootFs({ hostRoot: m.hostPath!, readonly: m.readonly, trustedFiles: trusted });
  } else {
    backend = new TmpFs({ sizeBytes: m.sizeBytes!, readonly: m.readonly });
  }
  return { backend, readonly: m.readonly, kind: m.type, readahead: m.readahead };
}
