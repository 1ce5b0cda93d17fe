/**
 * `node:crypto` and `node:fs`, loaded when first needed instead of at a host's start. Importing
 * any `node:` module starts Deno's Node layer (~8–20 ms measured on a 2-core VM), `node:crypto`
 * then ~17–29 ms more and `node:fs` ~9 ms, and the host graph imported nothing else of Node: with
 * these loaded lazily a host process or host Worker starts ~35 ms sooner (its graph loads in
 * ~30 ms instead of ~65 ms). What needs them:
 * - trusted files (trusted_files.ts) hash with `node:crypto` (SHA-NI, ~1.6 GB/s): a host whose
 *   manifest lists any loads it before it serves (sandbox/host/process_main.ts, worker_main.ts);
 * - the control channel takes `node:crypto` for large frames once it is loaded
 *   (sandbox/host/framing.ts; small frames use sandbox/host/hmac.ts);
 * - a chroot mount's `statfs` needs `node:fs` (Deno has no statfs): the first `stream_statfs`
 *   loads it (`needingNodeFs`; a tmpfs mount's answers without it).
 * @module
 */
import { PalCode, PalError } from "../errors.ts";

type NodeCrypto = typeof import("node:crypto");
type NodeFs = typeof import("node:fs");

let crypto: NodeCrypto | null = null;
let cryptoLoading: Promise<NodeCrypto> | null = null;
let fs: NodeFs | null = null;
let fsLoading: Promise<NodeFs> | null = null;

/** Load `node:crypto` (once). */
export function loadNodeCrypto(): Promise<NodeCrypto> {
  return cryptoLoading ??= import("node:crypto").then((m) => (crypto = m));
}

/** `node:crypto` if it is loaded, else null. */
export function nodeCryptoIfLoaded(): NodeCrypto | null {
  return crypto;
}

/** `node:crypto`, which must have been loaded (`loadNodeCrypto`).
 * @throws {Error} if it was not */
export function nodeCrypto(): NodeCrypto {
  if (!crypto) throw new Error("sandpiper: node:crypto is not loaded (loadNodeCrypto first)");
  return crypto;
}

/** Load `node:fs` (once). */
export function loadNodeFs(): Promise<NodeFs> {
  return fsLoading ??= import("node:fs").then((m) => (fs = m));
}

/** `node:fs` if it is loaded, else null. */
export function nodeFsIfLoaded(): NodeFs | null {
  return fs;
}

/** Run `fn`; if it answers TRY_AGAIN because `node:fs` is not loaded yet (ChrootFs `statfs`),
 * load it and run `fn` again. */
export function needingNodeFs<T>(fn: () => T): T | Promise<T> {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof PalError && e.code === PalCode.TRY_AGAIN) || fs) throw e;
    return loadNodeFs().then(fn);
  }
}
