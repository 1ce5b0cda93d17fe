/**
 * Host handle table of one picoprocess. A handle is a secure binding: authorisation happened
 * when it was created (open, connect, accept); operations on it check only the handle's kind.
 */
import { PalCode, PalError } from "../errors.ts";
import type { DirEntry, FsBackend, FsFile } from "./fs_types.ts";
import type { UdpState } from "./udp.ts";

/** The kinds of host handle. */
export type HostHandle =
  | {
    readonly kind: "file";
    readonly file: FsFile;
    readonly fs: FsBackend;
    readonly rel: string;
    readonly read: boolean;
    readonly write: boolean;
    readonly append: boolean;
    readonly uri: string;
    /** Whether the guest may read it ahead (the mount's `readahead`). */
    readonly cache: boolean;
    /** Its word in the file epoch table, once known (stream_cache.ts). */
    key?: number;
  }
  | {
    readonly kind: "dir";
    readonly fs: FsBackend;
    readonly rel: string;
    readonly uri: string;
    /** Entries as of the last readdir from cookie 0: cookies index into it. */
    snapshot: DirEntry[] | null;
  }
  | { readonly kind: "dev"; readonly dev: DevName }
  | {
    readonly kind: "tcp";
    readonly conn: Deno.TcpConn;
    readonly uri: string;
    readonly rx: ReadAhead;
  }
  | { readonly kind: "tcp.srv"; readonly listener: Deno.TcpListener; readonly uri: string }
  | {
    readonly kind: "udp";
    readonly conn: Deno.DatagramConn;
    readonly uri: string;
    readonly state: UdpState;
  }
  /** A name this process serves RPC connections on (rpc_listen); closing it unregisters. */
  | {
    readonly kind: "rpc.srv";
    readonly name: string;
    readonly uri: string;
    readonly unregister: () => void;
  }
  /** One end of an RPC connection; the MessagePort itself lives in the guest. */
  | { readonly kind: "rpc"; readonly name: string; readonly uri: string }
  /** A named pipe server (`pipe.srv:<name>`); closing it unregisters the name. */
  | {
    readonly kind: "pipe.srv";
    readonly name: string;
    readonly uri: string;
    readonly unregister: () => void;
  }
  /** A named pipe connection (`pipe:<name>`): its rings live in the guest; closing it closes
   * the two ring ends the host opened for it. */
  | {
    readonly kind: "pipe";
    readonly name: string;
    readonly uri: string;
    readonly release: () => void;
  };

/** Bytes read ahead of the guest (for readiness), and the read in flight. */
export interface ReadAhead {
  buf: Uint8Array | null;
  eof: boolean;
  error: unknown;
  pending: Promise<void> | null;
}

/** Device names of `dev:` URIs. */
export type DevName = "null" | "zero" | "random" | "stdin" | "stdout" | "stderr" | "tty";

/** A bounded table of handles, numbered from 1. */
export class HandleTable {
  readonly #map = new Map<number, HostHandle>();
  /** Ids the host repossessed (revocation, split): REVOKED until the guest closes them. */
  readonly #revoked = new Set<number>();
  #next = 1;
  constructor(readonly limit: number) {}

  /** Bind a handle; TOO_MANY past the limit. */
  add(h: HostHandle): number {
    if (this.#map.size >= this.limit) {
      throw new PalError(PalCode.TOO_MANY, `handle limit ${this.limit} reached`);
    }
    while (this.#map.has(this.#next) || this.#revoked.has(this.#next)) {
      this.#next = (this.#next % 0x7fffffff) + 1;
    }
    const id = this.#next;
    this.#map.set(id, h);
    this.#next = (this.#next % 0x7fffffff) + 1;
    return id;
  }

  /** The handle `id`, BAD_HANDLE if unbound. */
  get(id: number): HostHandle {
    const h = this.#map.get(id);
    if (!h) {
      if (this.#revoked.has(id)) throw new PalError(PalCode.REVOKED, `handle ${id} was revoked`);
      throw new PalError(PalCode.BAD_HANDLE, `no handle ${id}`);
    }
    return h;
  }

  /** Unbind `id` and return what it was bound to (closing a revoked id forgets it: REVOKED). */
  take(id: number): HostHandle {
    if (this.#revoked.delete(id)) throw new PalError(PalCode.REVOKED, `handle ${id} was revoked`);
    const h = this.get(id);
    this.#map.delete(id);
    return h;
  }

  /** Repossess `id`: unbind it, remember it as revoked, and return what it was bound to. */
  revoke(id: number): HostHandle | undefined {
    const h = this.#map.get(id);
    if (!h) return undefined;
    this.#map.delete(id);
    this.#revoked.add(id);
    return h;
  }

  /** The bound handles, as [id, handle] pairs (a copy). */
  entries(): [number, HostHandle][] {
    return [...this.#map.entries()];
  }

  /** Number of bound handles. */
  get size(): number {
    return this.#map.size;
  }

  /** Unbind everything (process exit); returns the handles for cleanup. */
  drain(): HostHandle[] {
    const all = [...this.#map.values()];
    this.#map.clear();
    this.#revoked.clear();
    return all;
  }
}

/** Extra bindings of a handle in other tables (a file inherited by a child process). */
const extraBindings = new WeakMap<HostHandle, number>();

/**
 * Count one more binding of `h` (another process's table binds the same object): `closeHandle`
 * then releases the resource only when the last binding is closed.
 */
export function shareHandle(h: HostHandle): HostHandle {
  extraBindings.set(h, (extraBindings.get(h) ?? 0) + 1);
  return h;
}

/** What runs when the last binding of a handle closes (a file's advisory locks go), and the
 * handles whose last binding closed. */
const onLastClose = new WeakMap<HostHandle, () => void>();
const closed = new WeakSet<HostHandle>();

/** Run `fn` (once) when the last binding of `h` closes; replaces an earlier `fn`. */
export function whenClosed(h: HostHandle, fn: () => void): void {
  onLastClose.set(h, fn);
}

/** Whether the last binding of `h` was closed. */
export function isClosed(h: HostHandle): boolean {
  return closed.has(h);
}

/** Release the host resource behind a handle (its last binding); never throws. */
export function closeHandle(h: HostHandle): void {
  const extra = extraBindings.get(h) ?? 0;
  if (extra > 0) {
    if (extra === 1) extraBindings.delete(h);
    else extraBindings.set(h, extra - 1);
    return;
  }
  closed.add(h);
  const last = onLastClose.get(h);
  if (last) {
    onLastClose.delete(h);
    try {
      last();
    } catch (_e) {
      // A hook never keeps the handle open.
    }
  }
  try {
    switch (h.kind) {
      case "file":
        h.file.close();
        break;
      case "tcp":
        h.conn.close();
        break;
      case "tcp.srv":
        h.listener.close();
        break;
      case "udp":
        h.conn.close();
        break;
      case "rpc.srv":
      case "pipe.srv":
        h.unregister();
        break;
      case "pipe":
        h.release();
        break;
    }
  } catch (_e) {
    // Already closed by the peer or by a revocation: nothing left to release.
  }
}
