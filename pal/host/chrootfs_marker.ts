/**
 * Marked host files: how `ChrootFs` stores what Deno cannot create under narrowed permissions
 * (emulated links, chrootfs_link.ts; emulated FIFOs, chrootfs_fifo.ts). A marked file is a small
 * regular file with fixed content written first and a host mode with the sticky bit set after,
 * which a guest cannot forge (`ChrootFs` strips the sticky bit from every guest mode, `chmod`'s
 * too). Each kind checks its own mode, size and content before trusting a file.
 * @module
 */

/**
 * Create a marked file at `hostPath` (which must not exist: EEXIST otherwise): created
 * exclusively, filled with `body`, then given `hostMode`; on failure it is removed again.
 */
export function createMarked(hostPath: string, body: Uint8Array, hostMode: number): void {
  const f = Deno.openSync(hostPath, { write: true, createNew: true, mode: 0o600 });
  try {
    let put = 0;
    while (put < body.length) put += f.writeSync(body.subarray(put));
  } catch (e) {
    f.close();
    Deno.removeSync(hostPath);
    throw e;
  }
  f.close();
  try {
    Deno.chmodSync(hostPath, hostMode);
  } catch (e) {
    Deno.removeSync(hostPath);
    throw e;
  }
}

/**
 * The content of the file at `hostPath`, or null when it is gone. Call only after an lstat
 * showed a regular file of the kind's mode and size: a real FIFO or device is never opened.
 */
export function readMarked(hostPath: string): Uint8Array | null {
  try {
    return Deno.readFileSync(hostPath);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}
