/**
 * Visible revocation and the abort protocol (Exokernel), host side.
 *
 * 1. The embedding app revokes a capability (a mount, a `host:port` network grant, an RPC name
 *    or a System V shared memory segment). From that moment new binds of it fail with REVOKED
 *    (ENOTCAPABLE in the libOS).
 * 2. Every live picoprocess gets a `sandpiper-revoke` control message on its Worker port naming
 *    the capability, the host handles bound to it and the grace period (libos/revoke.ts).
 * 3. A cooperative libOS closes those handles and calls `sandbox_release(id)`. When every live
 *    picoprocess has released, the revocation completes: nothing was taken by force.
 * 4. At the deadline (or at a release that left handles bound) the host repossesses what is
 *    still bound: it closes the host resource and leaves the handle id as a tombstone (REVOKED
 *    on every later use), and records each one in the repossession log, which the embedding app
 *    (`Sandbox.repossessions`) and the libOS (`sandbox_repossessions`) can read.
 *
 * RPC ports and shared memory are guest-to-guest (a MessagePort pair, a SharedArrayBuffer): the
 * host can close the handles and unregister the name, but not the port or the mapping a live
 * picoprocess holds. So a picoprocess still holding a connection on a revoked name, or still
 * attached to a revoked segment, at the deadline is ended (the abort protocol's last resort),
 * and the record says `ended: true`.
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import { closeHandle, type HandleTable, type HostHandle } from "../../pal/host/handles.ts";
import type { FileEpochs } from "../../pal/host/file_epochs.ts";
import { parseUri } from "../../pal/host/uri.ts";
import type { Capability, Repossession, RevocationOutcome } from "./protocol.ts";
import type { SysV } from "./ipc_sysv.ts";

/** What a revocation needs to know of a picoprocess. */
export interface RevokeProc {
  readonly pid: number;
  readonly state: string;
  readonly handles: HandleTable;
  readonly services: { readonly sandboxId: string; readonly epochs?: FileEpochs | undefined };
  readonly worker: { postMessage(msg: unknown): void } | null;
}

/** What a revocation needs from the sandbox host. */
export interface RevokeHost<P extends RevokeProc> {
  readonly sandboxId: string;
  readonly procs: ReadonlyMap<number, P>;
  /** Mount id of the mount at guest path `path`, if the manifest has one. */
  mountIdAt(path: string): number | undefined;
  /** Whether the manifest lists `host:port` under net.connect or net.listen. */
  netListed(entry: string): boolean;
  /** The sandbox's System V objects (shared memory holders). */
  readonly sysv: Pick<SysV, "revokedShm" | "shmHolders" | "shmctl">;
  /** End picoprocess `p` (the last resort of the abort protocol). */
  endProcess(p: P, code: number, signal: string | null): void;
}

/** Most repossession records kept (the oldest are dropped first). */
export const MAX_LOG = 4096;
/** Longest grace period the host grants. */
export const MAX_GRACE_MS = 600_000;

interface Pending {
  readonly id: number;
  readonly cap: Capability;
  readonly name: string;
  readonly waiting: Set<number>;
  readonly taken: Repossession[];
  readonly timer: ReturnType<typeof setTimeout>;
  readonly done: (o: RevocationOutcome) => void;
}

/** The revocations of one sandbox host. */
export class Revocations<P extends RevokeProc> {
  /** The repossession log, oldest first. */
  readonly log: Repossession[] = [];
  readonly #mounts = new Set<number>();
  readonly #net = new Set<string>();
  readonly #rpc = new Set<string>();
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(readonly host: RevokeHost<P>) {}

  /** Whether mount `id` was revoked (new binds fail). */
  mountRevoked(id: number): boolean {
    return this.#mounts.has(id);
  }

  /** Whether the network grant `host:port` was revoked. */
  netRevoked(entry: string): boolean {
    return this.#net.has(entry);
  }

  /** Whether RPC name `name` was revoked (rpc_listen and rpc_connect answer REVOKED). */
  rpcRevoked(name: string): boolean {
    return this.#rpc.has(name);
  }

  /**
   * Start revoking `cap`; `done` receives the outcome once every picoprocess gave it back or
   * the grace period ran out.
   * @throws {PalError} NOT_FOUND when the sandbox was never granted `cap`
   */
  start(cap: Capability, graceMs: number, done: (o: RevocationOutcome) => void): void {
    const name = capabilityName(cap);
    if (cap.kind === "mount") {
      const id = this.host.mountIdAt(cap.path);
      if (id === undefined) throw new PalError(PalCode.NOT_FOUND, `no mount at ${cap.path}`);
      this.#mounts.add(id);
    } else if (cap.kind === "net") {
      if (!this.host.netListed(cap.entry)) {
        throw new PalError(PalCode.NOT_FOUND, `net grant ${cap.entry} is not in the manifest`);
      }
      this.#net.add(cap.entry);
    } else if (cap.kind === "rpc") {
      if (this.#rpc.has(cap.name) || !this.#rpcInUse(cap.name)) {
        throw new PalError(PalCode.NOT_FOUND, `no RPC name ${cap.name} in use`);
      }
      this.#rpc.add(cap.name);
    } else {
      if (this.host.sysv.revokedShm.has(cap.id) || !this.host.sysv.shmHolders(cap.id)) {
        throw new PalError(PalCode.NOT_FOUND, `no shared memory segment ${cap.id}`);
      }
      this.host.sysv.revokedShm.add(cap.id);
    }
    const id = this.#nextId++;
    const grace = Math.max(0, Math.min(MAX_GRACE_MS, graceMs));
    const p: Pending = {
      id,
      cap,
      name,
      waiting: new Set(),
      taken: [],
      timer: setTimeout(() => this.#deadline(id), grace),
      done,
    };
    this.#pending.set(id, p);
    for (const proc of this.host.procs.values()) {
      if (proc.state === "exited" || !proc.worker) continue;
      p.waiting.add(proc.pid);
      proc.worker.postMessage({
        type: "sandpiper-revoke",
        id,
        capability: name,
        handles: this.#bound(proc, cap).map(([h]) => h),
        graceMs: grace,
        ...(cap.kind === "shm" ? { attached: this.#attached(proc, cap.id) } : {}),
      });
    }
    this.#maybeDone(p);
  }

  /** How many revocations have started (a process's Worker is recycled only if none did during
   * its life: sandbox_host.ts). */
  get started(): number {
    return this.#nextId - 1;
  }

  /** `sandbox_release(id)`: `proc` says it gave the capability back. */
  release(proc: P, id: number): void {
    const p = this.#pending.get(id);
    if (!p) throw new PalError(PalCode.NOT_FOUND, `no revocation ${id} in progress`);
    this.#take(p, proc); // whatever it still holds is taken now
    p.waiting.delete(proc.pid);
    this.#maybeDone(p);
  }

  /** The log entries of sandbox `sandboxId` (a split process has its own). */
  entriesOf(sandboxId: string): Repossession[] {
    return this.log.filter((r) => r.sandbox === sandboxId);
  }

  /** Stop every timer (the host is closing); pending revocations complete as they stand. */
  stop(): void {
    for (const id of [...this.#pending.keys()]) this.#deadline(id);
  }

  #deadline(id: number): void {
    const p = this.#pending.get(id);
    if (!p) return;
    for (const proc of this.host.procs.values()) {
      if (proc.state !== "exited") this.#take(p, proc);
    }
    p.waiting.clear();
    this.#maybeDone(p);
  }

  #take(p: Pending, proc: P): void {
    const bound = this.#bound(proc, p.cap);
    // A live port or mapping cannot be taken from a running picoprocess: end it.
    const end = p.cap.kind === "shm"
      ? this.#attached(proc, p.cap.id) > 0
      : p.cap.kind === "rpc" && bound.some(([, hd]) => hd.kind === "rpc");
    if (p.cap.kind === "shm" && end) {
      this.#record(p, proc, 0, `shm:${p.cap.id}`, true);
    }
    for (const [h, hd] of bound) {
      const gone = proc.handles.revoke(h);
      if (gone) closeHandle(gone);
      proc.services.epochs?.bumpAll(); // bytes read ahead through it are void
      this.#record(p, proc, h, "uri" in hd ? hd.uri : `dev:${hd.dev}`, end);
    }
    if (end) this.host.endProcess(proc, 137, "SIGKILL");
  }

  #record(p: Pending, proc: P, handle: number, uri: string, ended: boolean): void {
    const rec: Repossession = {
      time: new Date().toISOString(),
      sandbox: proc.services.sandboxId,
      pid: proc.pid,
      capability: p.name,
      handle,
      uri,
      ...(ended ? { ended } : {}),
    };
    p.taken.push(rec);
    this.log.push(rec);
    if (this.log.length > MAX_LOG) this.log.shift();
  }

  /** How many times `proc` has segment `id` attached. */
  #attached(proc: P, id: number): number {
    return this.host.sysv.shmHolders(id)?.get(proc.pid) ?? 0;
  }

  /** Whether some live picoprocess listens on or is connected through RPC name `name`. */
  #rpcInUse(name: string): boolean {
    const rpc = { kind: "rpc", name } as const;
    return [...this.host.procs.values()].some((p) =>
      p.state !== "exited" && this.#bound(p, rpc).length > 0
    );
  }

  #maybeDone(p: Pending): void {
    for (const pid of p.waiting) {
      const proc = this.host.procs.get(pid);
      if (!proc || proc.state === "exited") p.waiting.delete(pid);
    }
    if (p.waiting.size > 0) return;
    clearTimeout(p.timer);
    this.#pending.delete(p.id);
    if (p.cap.kind === "shm") {
      try {
        this.host.sysv.shmctl(p.cap.id, 0); // IPC_RMID: freed at the last detach
      } catch (_e) {
        // Already removed by a guest: nothing left to free.
      }
    }
    p.done({ id: p.id, capability: p.name, returned: p.taken.length === 0, repossessed: p.taken });
  }

  #bound(proc: P, cap: Capability): [number, HostHandle][] {
    return proc.handles.entries().filter(([, hd]) => boundTo(hd, cap, this.host));
  }
}

/** Whether host handle `hd` is a binding of `cap`. */
function boundTo(hd: HostHandle, cap: Capability, host: RevokeHost<RevokeProc>): boolean {
  if (cap.kind === "mount") {
    if (hd.kind !== "file" && hd.kind !== "dir") return false;
    const u = parseUri(hd.uri);
    return "mount" in u && u.mount === host.mountIdAt(cap.path);
  }
  if (cap.kind === "rpc") {
    return (hd.kind === "rpc" || hd.kind === "rpc.srv") && hd.name === cap.name;
  }
  if (cap.kind === "shm") return false; // attachments are not handles (see #attached)
  if (hd.kind !== "tcp" && hd.kind !== "tcp.srv" && hd.kind !== "udp") return false;
  return hd.uri.slice(hd.uri.indexOf(":") + 1) === cap.entry;
}

/** A capability's name in logs and messages: `mount:/data`, `net:127.0.0.1:8080`, `rpc:x`, `shm:3`. */
export function capabilityName(cap: Capability): string {
  switch (cap.kind) {
    case "mount":
      return `mount:${cap.path}`;
    case "net":
      return `net:${cap.entry}`;
    case "rpc":
      return `rpc:${cap.name}`;
    case "shm":
      return `shm:${cap.id}`;
  }
}
