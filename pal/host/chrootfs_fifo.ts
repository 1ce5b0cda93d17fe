/**
 * Emulated FIFOs of `ChrootFs`. Deno cannot make a real FIFO under the narrowed permissions,
 * and the host must never open a real one (an open without a peer blocks the whole host), so
 * `mkfifo` stores a FIFO as a small regular host file, the way chrootfs_link.ts stores links:
 *
 * - content: exactly the magic line {@link FIFO_MAGIC} followed by the guest's permission bits
 *   as four octal digits and a newline (fixed size);
 * - mode: exactly {@link FIFO_HOST_MODE} (sticky bit + owner-read only), set with `chmod` after
 *   the content is written — distinct from an emulated link's sticky + 0o444.
 *
 * A host file is an emulated FIFO only if it is a regular file with exactly that mode, exactly
 * that size and that content. The sticky bit is what a guest cannot forge: `ChrootFs` strips
 * it from every mode a guest passes (`open` with create, `chmod`), and a guest can
 * never write into a marked file (`open` refuses it, `truncate` by path refuses a non-file). So
 * a guest file holding the magic text, created with any mode, stays a file. The content is
 * read only after `lstat` showed a regular file of the right mode and size, so a real host FIFO
 * (or socket, or device) is never opened here.
 *
 * The host never serves data from the file: `ChrootFs.open` refuses it (NOT_SUPPORTED) and the
 * libOS opens `fifo:file://…`, whose rendezvous (sandbox/host/named_pipes.ts) is keyed by the
 * host file's dev and ino, so hard links and renames reach the same FIFO.
 * @module
 */

import { createMarked, readMarked } from "./chrootfs_marker.ts";

/** First bytes of an emulated FIFO's content. */
export const FIFO_MAGIC = "!<sandpiper-fifo>\n";
/** Host permission bits of an emulated FIFO (the sticky bit: only `createFifo` sets it). */
export const FIFO_HOST_MODE = 0o1000 | 0o400;

const enc = new TextEncoder();
const dec = new TextDecoder();
const SIZE = enc.encode(FIFO_MAGIC).length + 5;

/** A host lstat of an emulated FIFO: `isFile` is false and `fifoPerm` its guest mode. */
export type FifoInfo = Deno.FileInfo & { fifoPerm: number };

/** Whether `st` may be an emulated FIFO (cheap; the content decides). */
export function maybeFifo(st: Deno.FileInfo): boolean {
  return st.isFile && ((st.mode ?? 0) & 0o7777) === FIFO_HOST_MODE && st.size === SIZE;
}

/**
 * The guest permission bits of the emulated FIFO at `hostPath`, or null if it is not one.
 * @param st the host's lstat of `hostPath`
 */
export function readFifo(hostPath: string, st: Deno.FileInfo): number | null {
  if (!maybeFifo(st)) return null; // never read anything but a regular file
  const data = readMarked(hostPath);
  if (data === null) return null;
  const text = dec.decode(data);
  const m = /^([0-7]{4})\n$/.exec(text.startsWith(FIFO_MAGIC) ? text.slice(FIFO_MAGIC.length) : "");
  if (!m) return null;
  const perm = parseInt(m[1] ?? "", 8);
  return perm <= 0o777 ? perm : null;
}

/** The lstat of an emulated FIFO: not a file, empty, with the guest's permission bits. */
export function fifoInfo(st: Deno.FileInfo, perm: number): FifoInfo {
  return {
    ...st,
    isFile: false,
    isFifo: true,
    size: 0,
    mode: ((st.mode ?? 0) & ~0o7777) | perm,
    fifoPerm: perm,
  };
}

/** Whether a host lstat (as `ChrootFs` returns it) is an emulated FIFO. */
export function isFifoInfo(st: Deno.FileInfo): st is FifoInfo {
  return typeof (st as Partial<FifoInfo>).fifoPerm === "number";
}

/**
 * Create an emulated FIFO with guest permission bits `perm` at `hostPath` (which must not
 * exist: EEXIST otherwise). Created exclusively, filled, then marked; on failure removed again.
 */
export function createFifo(hostPath: string, perm: number): void {
  const body = enc.encode(`${FIFO_MAGIC}${(perm & 0o777).toString(8).padStart(4, "0")}\n`);
  createMarked(hostPath, body, FIFO_HOST_MODE);
}
