/**
 * Emulated symlinks of `ChrootFs` (the Cygwin way). Deno creates a real symlink only with
 * unscoped read+write permission, which the narrowed sandbox host never has, so the host stores
 * a link as a small regular file instead:
 *
 * - content: the magic line {@link LINK_MAGIC} followed by the target in UTF-8 (no newline);
 * - mode: exactly {@link LINK_HOST_MODE} (sticky bit + read-only), set with `chmod` after the
 *   content is written — scoped write permission allows that.
 *
 * A host file is an emulated link only if it is a regular file with the sticky bit, a size in
 * range and the magic line. The sticky bit is what a guest cannot forge: `ChrootFs` strips it
 * from every mode a guest passes (`open` with create, `chmod`). So a guest file
 * holding the magic text stays a file. The host never follows an emulated link: like a real one
 * it comes back to the guest as a SYMLINK error and the libOS resolves it in the guest's view.
 * @module
 */
import { createMarked, readMarked } from "./chrootfs_marker.ts";
import { PATH_MAX_BYTES } from "./fs_path.ts";

/** First bytes of an emulated link's content. */
export const LINK_MAGIC = "!<sandpiper-symlink>\n";
/** The sticky bit: only `createLink` sets it on a regular file. */
export const LINK_MODE_BIT = 0o1000;
/** Host permission bits of an emulated link. */
export const LINK_HOST_MODE = LINK_MODE_BIT | 0o444;

const enc = new TextEncoder();
const MAGIC = enc.encode(LINK_MAGIC);
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Whether `st` may be an emulated link (cheap; the content decides). */
export function maybeLink(st: Deno.FileInfo): boolean {
  return st.isFile && ((st.mode ?? 0) & 0o7777) === LINK_HOST_MODE &&
    st.size > MAGIC.length && st.size <= MAGIC.length + PATH_MAX_BYTES;
}

/**
 * The target of the emulated link at `hostPath`, or null if it is not one.
 * @param st the host's lstat of `hostPath`
 */
export function readLink(hostPath: string, st: Deno.FileInfo): string | null {
  if (!maybeLink(st)) return null;
  const data = readMarked(hostPath);
  if (data === null) return null;
  if (data.length <= MAGIC.length || data.length > MAGIC.length + PATH_MAX_BYTES) return null;
  for (let i = 0; i < MAGIC.length; i++) if (data[i] !== MAGIC[i]) return null;
  try {
    const target = strict.decode(data.subarray(MAGIC.length));
    return target.includes("\0") ? null : target;
  } catch {
    return null; // not UTF-8: not something createLink wrote
  }
}

/**
 * The lstat of an emulated link: a symlink of mode 0o777 whose size is the target's length.
 */
export function linkInfo(st: Deno.FileInfo, target: string): Deno.FileInfo {
  return {
    ...st,
    isFile: false,
    isSymlink: true,
    size: enc.encode(target).length,
    mode: ((st.mode ?? 0) & ~0o7777) | 0o777,
  };
}

/**
 * Create an emulated link at `hostPath` (which must not exist: EEXIST otherwise). The file is
 * created exclusively, filled, then marked; on failure it is removed again.
 */
export function createLink(hostPath: string, target: string): void {
  createMarked(hostPath, new Uint8Array([...MAGIC, ...enc.encode(target)]), LINK_HOST_MODE);
}
