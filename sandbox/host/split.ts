/**
 * Sandbox split (Graphene's SandboxSetPolicy): a picoprocess moves itself into a new sandbox
 * with a narrower policy — a subset of its mounts, read-only upgrades, a subset of its network
 * grants. Widening anything is DENIED. The process gets a new sandbox identity (its own process
 * table, audit and repossession records) and new services that answer only for the narrowed
 * policy; every host handle it holds is re-checked and those the new policy does not cover are
 * repossessed (REVOKED on use). It stays served by the same host process, within the same
 * sandbox-wide limits (memory, output, wall time): a split narrows, it does not add budget.
 *
 * Policy JSON (`sandbox_set_policy`, `sandbox_policy`):
 * `{mounts: [{path, readonly}], net: {connect: ["host:port"], listen: ["host:port"]}}`.
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import type { FsBackend, FsFile } from "../../pal/host/fs_types.ts";
import type { HostHandlers } from "../../pal/host/dispatch.ts";
import { closeHandle, type HandleTable, type HostHandle } from "../../pal/host/handles.ts";
import type { FileEpochs } from "../../pal/host/file_epochs.ts";
import type { AuditEvent, BoundMount, HostServices } from "../../pal/host/owner.ts";
import { parseUri } from "../../pal/host/uri.ts";

/** A sandbox policy as the split calls see it. */
export interface SandboxPolicy {
  readonly mounts: readonly {
    readonly id: number;
    readonly path: string;
    readonly readonly: boolean;
  }[];
  readonly net: { readonly connect: readonly string[]; readonly listen: readonly string[] };
}

/** What a split needs of the sandbox host. */
export interface SplitHost {
  readonly sandboxId: string;
  /** The manifest's own policy (what an unsplit process has). */
  basePolicy(): SandboxPolicy;
  /** The host's services (a split process's services delegate to them). */
  readonly services: HostServices;
  /** Audit under another sandbox id. */
  auditAs(sandbox: string, pid: number, ev: AuditEvent): void;
}

/** What a split needs of the calling picoprocess. */
export interface SplitProc {
  readonly pid: number;
  services: HostServices;
  readonly handles: HandleTable;
}

const MAX_ENTRIES = 256;
let splits = 0;

/** The policy `p` is under now. */
export function policyOf(host: SplitHost, p: SplitProc): SandboxPolicy {
  return p.services instanceof SplitServices ? p.services.policy : host.basePolicy();
}

/** Whether two picoprocesses are in the same sandbox (may reach each other). */
export function sameSandbox(a: { services: HostServices }, b: { services: HostServices }): boolean {
  return a.services.sandboxId === b.services.sandboxId;
}

/**
 * `sandbox_set_policy(json)`: narrow `p` into a new sandbox.
 * @returns the number of the new sandbox (its id is `<old id>.s<n>`)
 * @throws {PalError} INVAL for a malformed policy, DENIED for any widening
 */
export function splitProcess(host: SplitHost, p: SplitProc, v: unknown): number {
  const cur = policyOf(host, p);
  const next = narrowPolicy(cur, v);
  const n = ++splits;
  const services = new SplitServices(host, `${p.services.sandboxId}.s${n}`, next);
  let revoked = false;
  for (const [h, hd] of p.handles.entries()) {
    if (!covered(hd, next)) {
      const gone = p.handles.revoke(h);
      if (gone) closeHandle(gone);
      revoked = true;
    }
  }
  // Bytes read ahead through a revoked handle must not outlive it.
  if (revoked) p.services.epochs?.bumpAll();
  p.services = services;
  return n;
}

/** Validate `v` against `cur`: every mount and net entry must already be granted. */
export function narrowPolicy(cur: SandboxPolicy, v: unknown): SandboxPolicy {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new PalError(PalCode.INVAL, "policy must be an object");
  }
  const o = v as Record<string, unknown>;
  const mounts = list(o.mounts, "mounts").map((m) => {
    if (typeof m !== "object" || m === null) throw new PalError(PalCode.INVAL, "bad mount entry");
    const { path, readonly } = m as Record<string, unknown>;
    if (typeof path !== "string") throw new PalError(PalCode.INVAL, "mount path must be a string");
    const had = cur.mounts.find((x) => x.path === path);
    if (!had) throw new PalError(PalCode.DENIED, `mount ${path.slice(0, 200)} is not granted`);
    const ro = readonly === undefined ? had.readonly : readonly;
    if (typeof ro !== "boolean") throw new PalError(PalCode.INVAL, "readonly must be a boolean");
    if (had.readonly && !ro) throw new PalError(PalCode.DENIED, `mount ${path} is read-only`);
    return { id: had.id, path, readonly: ro };
  });
  const net = (o.net ?? {}) as Record<string, unknown>;
  if (typeof net !== "object" || net === null) throw new PalError(PalCode.INVAL, "bad net");
  const pick = (key: "connect" | "listen") =>
    list(net[key], `net.${key}`).map((e) => {
      if (typeof e !== "string") {
        throw new PalError(PalCode.INVAL, `net.${key} entries are strings`);
      }
      if (!cur.net[key].includes(e)) {
        throw new PalError(PalCode.DENIED, `net.${key} ${e.slice(0, 300)} is not granted`);
      }
      return e;
    });
  return { mounts, net: { connect: pick("connect"), listen: pick("listen") } };
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > MAX_ENTRIES) {
    throw new PalError(PalCode.INVAL, `${what} must be a list of at most ${MAX_ENTRIES}`);
  }
  return v;
}

/** Whether host handle `hd` is still allowed under `pol`. */
function covered(hd: HostHandle, pol: SandboxPolicy): boolean {
  switch (hd.kind) {
    case "dev":
      return true;
    case "file":
    case "dir": {
      const u = parseUri(hd.uri);
      const m = "mount" in u ? pol.mounts.find((x) => x.id === u.mount) : undefined;
      if (!m) return false;
      // Any handle on a mount made read-only carries the writable backend: take it.
      return !m.readonly || readonlyBefore(hd);
    }
    default: {
      const entry = hd.uri.slice(hd.uri.indexOf(":") + 1);
      return pol.net.connect.includes(entry) || pol.net.listen.includes(entry);
    }
  }
}

function readonlyBefore(hd: HostHandle): boolean {
  return "fs" in hd && views.has(hd.fs);
}

/** The services of a split sandbox: the host's, answering only for the narrowed policy. */
export class SplitServices implements HostServices {
  readonly #views = new Map<number, BoundMount>();

  constructor(
    readonly host: SplitHost,
    readonly sandboxId: string,
    readonly policy: SandboxPolicy,
  ) {}

  get epochs(): FileEpochs | undefined {
    return this.host.services.epochs;
  }

  get readCacheBytes(): number | undefined {
    return this.host.services.readCacheBytes;
  }

  mount(id: number): BoundMount | undefined {
    const m = this.policy.mounts.find((x) => x.id === id);
    if (!m) return undefined;
    const bound = this.host.services.mount(id);
    if (!bound || !m.readonly || bound.readonly) return bound;
    let view = this.#views.get(id);
    if (!view) {
      view = { ...bound, backend: readOnlyFs(bound.backend), readonly: true };
      this.#views.set(id, view);
    }
    return view;
  }

  output(pid: number, fd: 1 | 2, data: Uint8Array): void {
    this.host.services.output(pid, fd, data);
  }

  readStdin(pid: number, max: number): Promise<Uint8Array | null> {
    return this.host.services.readStdin(pid, max);
  }

  stdinPoll(pid: number): { ready: boolean; wait: Promise<void> | null } {
    return this.host.services.stdinPoll(pid);
  }

  netAllowed(kind: "connect" | "listen", host: string, port: number): boolean | "revoked" {
    const entry = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    if (!this.policy.net[kind].includes(entry)) return false;
    return this.host.services.netAllowed(kind, host, port);
  }

  audit(pid: number, ev: AuditEvent): void {
    this.host.auditAs(this.sandboxId, pid, ev);
  }

  trace(pid: number, line: string): void {
    this.host.services.trace(pid, `[${this.sandboxId}] ${line}`);
  }
}

const ro = (): never => {
  throw new PalError(PalCode.READ_ONLY, "read-only mount");
};

/** Backend methods that never change anything; every other method of a view is READ_ONLY. */
const READS = new Set<PropertyKey>(["lstat", "readlink", "readdir", "statfs"]);
const views = new WeakSet<FsBackend>();

/** A read-only view of a backend (a read-only upgrade after a split): an allow-list of reads. */
function readOnlyFs(inner: FsBackend): FsBackend {
  const view = new Proxy(inner, {
    get(t, k) {
      if (k === "readonly") return true;
      if (k === "open") {
        return (p: string, flags: Parameters<FsBackend["open"]>[1], mode: number): FsFile => {
          if (flags.write || flags.create || flags.truncate) ro();
          return t.open(p, flags, mode);
        };
      }
      const v = Reflect.get(t, k, t);
      if (typeof v !== "function") return v;
      return READS.has(k) ? v.bind(t) : ro;
    },
  });
  views.add(view);
  return view;
}

/** Calls whose first argument is a target pid (> 0) that must be in the caller's sandbox.
 * (process_kill confines every target form itself, in proc_table.ts `killTargets`.) */
const PID_CALLS = [
  "process_wait",
  "process_send_handle",
  "process_memory_send",
] as const;

/**
 * Wrap a handler table so no call reaches across a split: a positive target pid in another
 * sandbox is NO_PROCESS, and `process_info` lists only the caller's sandbox. (Group and
 * broadcast targets — pid ≤ 0 — are the process handlers' to confine with `sameSandbox`.)
 */
export function guardSplit<P extends { services: HostServices }>(
  handlers: HostHandlers<P>,
  procs: ReadonlyMap<number, P>,
): HostHandlers<P> {
  const out: Record<string, unknown> = { ...handlers };
  for (const name of PID_CALLS) {
    const fn = handlers[name] as ((ctx: { owner: P }, ...a: unknown[]) => unknown) | undefined;
    if (!fn) continue;
    out[name] = (ctx: { owner: P }, pid: unknown, ...rest: unknown[]) => {
      const target = typeof pid === "number" && pid > 0 ? procs.get(pid) : undefined;
      if (target && !sameSandbox(ctx.owner, target)) {
        throw new PalError(PalCode.NO_PROCESS, `no process ${pid}`);
      }
      return fn(ctx, pid, ...rest);
    };
  }
  const info = handlers.process_info as ((ctx: { owner: P }) => unknown) | undefined;
  if (info) {
    out.process_info = (ctx: { owner: P }) => {
      const r = info(ctx) as { processes?: unknown } | null;
      if (!r || !Array.isArray(r.processes)) return r;
      const visible = r.processes.filter((q: { pid?: unknown }) => {
        const t = typeof q?.pid === "number" ? procs.get(q.pid) : undefined;
        return !t || sameSandbox(ctx.owner, t);
      });
      return { ...r, processes: visible };
    };
  }
  return out as HostHandlers<P>;
}
