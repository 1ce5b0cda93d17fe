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
  | { readonly type: "close" };

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
  | { readonly type: "spawn-failed"; readonly reqId: number; readonly message: string }
  | { readonly type: "output"; readonly pid: number; readonly fd: 1 | 2; readonly data: Uint8Array }
  | {
    readonly type: "exit";
    readonly pid: number;
    readonly code: number;
    readonly signal: string | null;
  }
  | { readonly type: "limit"; readonly limit: LimitName; readonly message: string }
  | { readonly type: "trace"; readonly line: string }
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
  }
  return null;
}
