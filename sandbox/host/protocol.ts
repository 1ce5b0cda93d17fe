/**
 * The control protocol between the embedding app and a sandbox host (a host Worker, or a host
 * process over a pipe). Commands flow in, events flow out. The host validates every command:
 * in `process` isolation the pipe is the only door into the host.
 */

/** What a new process runs with (all optional: the manifest's values are the defaults). */
export interface SpawnSpec {
  readonly argv?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** Commands to the host. */
export type HostCommand =
  | { readonly type: "spawn"; readonly reqId: number; readonly spec: SpawnSpec }
  | { readonly type: "stdin"; readonly pid: number; readonly data: Uint8Array | null }
  | { readonly type: "kill"; readonly pid: number; readonly signal: string }
  | { readonly type: "close" }
  | {
    readonly type: "revoke";
    readonly reqId: number;
    readonly capability: Capability;
    readonly graceMs: number;
  }
  | PluginSpawnCommand
  /** process isolation: one `node:v8`-serialized message for plugin `pid` (sandbox/plugin_wire.ts). */
  | { readonly type: "plugin-msg"; readonly pid: number; readonly data: Uint8Array };

/**
 * Start a picoprocess that hosts a plugin (libos/plugin_guest.ts). In `worker` isolation the
 * embedding app transfers `port` (its other end stays with the app) and shares `page`, the
 * fast-call page; in `process` isolation both are absent and the host bridges the plugin's port
 * to `plugin-msg` commands and events (sandbox/plugin_bridge.ts).
 */
export interface PluginSpawnCommand {
  readonly type: "plugin-spawn";
  readonly reqId: number;
  /** Names of the host functions the plugin may call (identifiers). */
  readonly expose: readonly string[];
  readonly port?: MessagePort;
  readonly page?: SharedArrayBuffer;
}

/** Bytes of the fast-call page (sandbox/plugin_page.ts). */
export const PLUGIN_PAGE_BYTES = 64 + 4096;
/** Largest `plugin-msg` payload either way. */
export const PLUGIN_MSG_MAX_BYTES = 16 << 20;

/** A capability the embedding app can revoke while the sandbox runs (sandbox/host/revoke.ts). */
export type Capability =
  /** The mount at this guest path. */
  | { readonly kind: "mount"; readonly path: string }
  /** A `host:port` entry of net.connect / net.listen. */
  | { readonly kind: "net"; readonly entry: string }
  /** An RPC name (rpc_listen / rpc_connect) of the sandbox. */
  | { readonly kind: "rpc"; readonly name: string }
  /** A System V shared memory segment (its shmget id). */
  | { readonly kind: "shm"; readonly id: number };

/** One entry of the repossession log: a host handle the host took by force. */
export interface Repossession {
  /** ISO time of the repossession. */
  readonly time: string;
  readonly sandbox: string;
  readonly pid: number;
  /** `mount:/data`, `net:127.0.0.1:8080`. */
  readonly capability: string;
  /** The host handle id (now answering REVOKED); 0 for a shared memory attachment. */
  readonly handle: number;
  /** What it was bound to (`file://1/log.txt`, `tcp:127.0.0.1:8080`, `rpc:name`, `shm:3`). */
  readonly uri: string;
  /**
   * True when the host ended the picoprocess to take it: a guest-to-guest RPC port or a shared
   * memory mapping cannot be taken from a live process.
   */
  readonly ended?: boolean;
}

/** How a revocation ended. */
export interface RevocationOutcome {
  readonly id: number;
  readonly capability: string;
  /** True when every picoprocess gave it back in time (nothing was taken). */
  readonly returned: boolean;
  readonly repossessed: readonly Repossession[];
}

/** Why a sandbox or process was ended by the host. */
export type LimitName =
  | "max_output"
  | "wall_time"
  | "watchdog"
  | "max_memory"
  | "max_processes"
  | "max_fds";

/** Events from the host. */
export type HostEvent =
  | { readonly type: "ready" }
  | { readonly type: "spawned"; readonly reqId: number; readonly pid: number }
  | {
    readonly type: "spawn-failed";
    readonly reqId: number;
    readonly message: string;
    /** Set when a manifest limit refused the spawn. */
    readonly limit?: LimitName;
  }
  | { readonly type: "output"; readonly pid: number; readonly fd: 1 | 2; readonly data: Uint8Array }
  | {
    readonly type: "exit";
    readonly pid: number;
    readonly code: number;
    readonly signal: string | null;
  }
  | { readonly type: "limit"; readonly limit: LimitName; readonly message: string }
  | { readonly type: "revoked"; readonly reqId: number; readonly outcome: RevocationOutcome }
  | { readonly type: "revoke-failed"; readonly reqId: number; readonly message: string }
  | { readonly type: "trace"; readonly line: string }
  /**
   * process isolation: a message from plugin `pid`, as the plugin serialized it (unchecked
   * beyond its size); null when the plugin posted something that is not a bounded byte string.
   */
  | { readonly type: "plugin-msg"; readonly pid: number; readonly data: Uint8Array | null }
  | { readonly type: "closed" };

const SIGNALS = new Set([
  "SIGTERM",
  "SIGKILL",
  "SIGINT",
  "SIGHUP",
  "SIGQUIT",
  "SIGUSR1",
  "SIGUSR2",
]);

/** Validate a command from outside; returns null for anything malformed. */
export function parseCommand(v: unknown): HostCommand | null {
  if (typeof v !== "object" || v === null) return null;
  const m = v as Record<string, unknown>;
  switch (m.type) {
    case "spawn": {
      if (!Number.isSafeInteger(m.reqId)) return null;
      const spec = m.spec as Record<string, unknown> | undefined;
      if (typeof spec !== "object" || spec === null) return null;
      const out: { argv?: string[]; env?: Record<string, string>; cwd?: string } = {};
      if (spec.argv !== undefined) {
        if (!Array.isArray(spec.argv) || !spec.argv.every((a) => typeof a === "string")) {
          return null;
        }
        out.argv = spec.argv as string[];
      }
      if (spec.env !== undefined) {
        if (typeof spec.env !== "object" || spec.env === null) return null;
        const env: Record<string, string> = {};
        for (const [k, val] of Object.entries(spec.env)) {
          if (typeof val !== "string") return null;
          env[k] = val;
        }
        out.env = env;
      }
      if (spec.cwd !== undefined) {
        if (typeof spec.cwd !== "string" || !spec.cwd.startsWith("/")) return null;
        out.cwd = spec.cwd;
      }
      return { type: "spawn", reqId: m.reqId as number, spec: out };
    }
    case "stdin":
      if (!Number.isSafeInteger(m.pid)) return null;
      if (m.data !== null && !(m.data instanceof Uint8Array)) return null;
      return { type: "stdin", pid: m.pid as number, data: m.data as Uint8Array | null };
    case "kill":
      if (!Number.isSafeInteger(m.pid) || typeof m.signal !== "string" || !SIGNALS.has(m.signal)) {
        return null;
      }
      return { type: "kill", pid: m.pid as number, signal: m.signal };
    case "close":
      return { type: "close" };
    case "revoke":
      return parseRevoke(m);
    case "plugin-spawn":
      return parsePluginSpawn(m);
    case "plugin-msg":
      if (!Number.isSafeInteger(m.pid) || !(m.data instanceof Uint8Array)) return null;
      if (m.data.length > PLUGIN_MSG_MAX_BYTES) return null;
      return { type: "plugin-msg", pid: m.pid as number, data: m.data };
  }
  return null;
}

const NET_ENTRY = /^(\[[0-9a-fA-F:.]{1,64}\]|[A-Za-z0-9.-]{1,253}):\d{1,5}$/;

function parseRevoke(m: Record<string, unknown>): HostCommand | null {
  if (!Number.isSafeInteger(m.reqId) || !Number.isSafeInteger(m.graceMs)) return null;
  if ((m.graceMs as number) < 0) return null;
  const c = m.capability as Record<string, unknown> | null;
  if (typeof c !== "object" || c === null) return null;
  let capability: Capability;
  if (c.kind === "mount" && typeof c.path === "string") {
    if (!c.path.startsWith("/") || c.path.length > 4096) return null;
    capability = { kind: "mount", path: c.path };
  } else if (c.kind === "net" && typeof c.entry === "string" && NET_ENTRY.test(c.entry)) {
    capability = { kind: "net", entry: c.entry };
  } else if (c.kind === "rpc" && typeof c.name === "string") {
    const len = new TextEncoder().encode(c.name).length;
    if (len === 0 || len > 255 || c.name.includes("\0")) return null;
    capability = { kind: "rpc", name: c.name };
  } else if (c.kind === "shm" && Number.isSafeInteger(c.id) && (c.id as number) > 0) {
    capability = { kind: "shm", id: c.id as number };
  } else return null;
  return {
    type: "revoke",
    reqId: m.reqId as number,
    capability,
    graceMs: m.graceMs as number,
  };
}

const IDENT = /^[A-Za-z_$][\w$]{0,127}$/;

function parsePluginSpawn(m: Record<string, unknown>): PluginSpawnCommand | null {
  if (!Number.isSafeInteger(m.reqId)) return null;
  const ex = m.expose;
  if (!Array.isArray(ex) || ex.length > 1024) return null;
  if (!ex.every((n) => typeof n === "string" && IDENT.test(n))) return null;
  if (m.port !== undefined && !(m.port instanceof MessagePort)) return null;
  if (m.page !== undefined) {
    if (!(m.page instanceof SharedArrayBuffer) || m.page.byteLength !== PLUGIN_PAGE_BYTES) {
      return null;
    }
    if (m.port === undefined) return null; // the page's overflow path is the port
  }
  return {
    type: "plugin-spawn",
    reqId: m.reqId as number,
    expose: [...ex] as string[],
    ...(m.port ? { port: m.port as MessagePort } : {}),
    ...(m.page ? { page: m.page as SharedArrayBuffer } : {}),
  };
}
