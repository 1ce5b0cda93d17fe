/**
 * The mount table: manifest mounts plus the built-in /dev and /proc, looked up by longest
 * prefix. A guest path under no mount is served by the synthetic file system: read-only
 * directories for the intermediates of mount points (e.g. "/" when only /data is mounted),
 * ENOENT for everything else. A mount may lie inside another (the code directory's under a
 * manifest's /tmp, say): a directory between the two that the outer mount does not have is
 * served by the synthetic file system too, so the walk from the outer mount reaches the inner.
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import { Errno, ErrnoError } from "../errno.ts";
import type { Mount, MountFs } from "./mount.ts";
import { absParts, joinAbs } from "./path.ts";
import { VirtualFs, type VNode } from "./virtual_fs.ts";

/** Where a guest path lands: a mount and the path relative to it. */
export interface Located {
  readonly mount: Mount;
  readonly rel: string[];
}

/** The mount table of one picoprocess. */
export class MountTable {
  readonly #mounts: Mount[] = [];
  readonly #synthetic: Mount;
  /** Stable inode numbers of synthetic directories, by path. */
  readonly #inos = new Map<string, number>();
  /** Whether a mount lies inside another (only then may `locate` need `#between`). */
  #nested = false;

  constructor() {
    const fs = new VirtualFs("synthetic", 1, () => this.#syntheticRoot(), Errno.EROFS);
    this.#synthetic = { path: "/", parts: [], fs, options: "ro" };
  }

  /** Add a mount at absolute guest path `path`; a later mount at the same path hides earlier. */
  add(path: string, fs: MountFs, options: string): void {
    const parts = absParts(path);
    this.#mounts.push({ path: joinAbs(parts), parts, fs, options });
    // Longest first; among equals, the latest first.
    this.#mounts.sort((a, b) => b.parts.length - a.parts.length);
    this.#nested = this.#mounts.some((m) =>
      this.#mounts.some((o) =>
        o.parts.length < m.parts.length && o.parts.every((p, i) => m.parts[i] === p)
      )
    );
  }

  /** All mounts, in the order added (for /proc/mounts). */
  list(): readonly Mount[] {
    return [...this.#mounts].sort((a, b) => a.parts.length - b.parts.length);
  }

  /** The mount serving the absolute components `parts`. */
  locate(parts: readonly string[]): Located {
    for (const m of this.#mounts) {
      if (m.parts.length <= parts.length && m.parts.every((p, i) => parts[i] === p)) {
        const rel = parts.slice(m.parts.length);
        if (this.#nested && rel.length > 0 && this.#between(m, parts) && !exists(m.fs, rel)) {
          break;
        }
        return { mount: m, rel };
      }
    }
    return { mount: this.#synthetic, rel: [...parts] };
  }

  /** Whether `parts`, inside mount `outer`, is a directory on the way to a deeper mount. */
  #between(outer: Mount, parts: readonly string[]): boolean {
    return this.#mounts.some((m) =>
      m.parts.length > parts.length && m !== outer && parts.every((p, i) => m.parts[i] === p)
    );
  }

  #syntheticRoot(): VNode {
    type Tree = Map<string, Tree>;
    const tree: Tree = new Map();
    for (const m of this.#mounts) {
      let t = tree;
      for (const p of m.parts) {
        let next = t.get(p);
        if (!next) t.set(p, next = new Map());
        t = next;
      }
    }
    const toNode = (t: Tree, path: string): VNode => {
      let ino = this.#inos.get(path);
      if (ino === undefined) this.#inos.set(path, ino = this.#inos.size + 2);
      return {
        type: "dir",
        ino,
        children: () => new Map([...t].map(([k, v]) => [k, toNode(v, `${path}/${k}`)])),
      };
    };
    return toNode(tree, "");
  }
}

/** Whether `rel` exists on `fs` (a symlink counts: the walk follows it from there). */
function exists(fs: MountFs, rel: readonly string[]): boolean {
  try {
    fs.lstat(rel);
    return true;
  } catch (e) {
    const code = e instanceof PalError ? e.code : null;
    const errno = e instanceof ErrnoError ? e.errno : null;
    return code !== PalCode.NOT_FOUND && errno !== Errno.ENOENT;
  }
}
