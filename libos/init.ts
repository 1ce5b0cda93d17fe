/**
 * The boot contract between the sandbox host and a picoprocess: the one message a picoprocess
 * Worker receives before any app code runs. Layout documented here, owned here.
 */
import type { GuestChannel } from "../pal/guest/client.ts";
import type { HostCallName } from "../pal/abi.ts";

/**
 * What the spawn pool (sandbox/host/proc_pool.ts) posts to a Worker it starts: boot then does the
 * work that does not depend on the process and answers `BOOTED`. A cold Worker skips it.
 */
export const WARM_UP = "sandpiper-warm-up";

/**
 * `WARM_UP` with the channel of the Worker's future process (its call page, the sandbox's
 * doorbell and the guest end of its sync port). The init message then carries no `channel`.
 */
export interface WarmUpMessage {
  readonly type: typeof WARM_UP;
  readonly channel: GuestChannel;
}

/** What a pooled Worker posts to its parent once warmed up: it counts as ready from then on. */
export const BOOTED = "sandpiper-booted";

/** A mount as the guest sees it: no host path, only the id the host binds it to. */
export interface GuestMount {
  /** Mount id: PAL URIs name it, as in `file://<id>/<rel>` and `dir://<id>/<rel>`. */
  readonly id: number;
  /** Absolute guest path, normalized ("/data"). */
  readonly path: string;
  readonly type: "chroot" | "tmpfs";
  readonly readonly: boolean;
  /** The mount of the app's code directory at its host path (manifest `fs.code_mount`): a
   * WASI program does not get it preopened. */
  readonly code?: boolean;
}

/** What stdio of a new picoprocess is connected to. */
export type StdioSpec =
  /** The host's stdio device; `handle` when the host opened it in the child's table at spawn
   * (one init message instead of a `stream_open` per fd; without it the child opens it). */
  | {
    readonly kind: "host";
    readonly uri: "dev:stdin" | "dev:stdout" | "dev:stderr";
    readonly handle?: number;
  }
  | { readonly kind: "null" }
  /** A guest pipe ring end (SharedArrayBuffer from pal/pipe_ring.ts); `id` when the host
   * registered the ring (sandbox/host/proc_pipes.ts): closing it is then a `pipe_close` call.
   * `both` (only with `id`): one read and one write end as one O_RDWR fd, a FIFO opened O_RDWR
   * (libos/proc/pipe.ts DuplexPipeHandle). */
  | {
    readonly kind: "pipe";
    readonly sab: SharedArrayBuffer;
    readonly end: "read" | "write" | "both";
    readonly id?: number;
  }
  /** An open file description shared with the parent (libos/proc/shared_file.ts): the host
   * bound the parent's host file to `handle` in the child's table; `sab` holds the position. */
  | {
    readonly kind: "file";
    readonly handle: number;
    readonly sab: SharedArrayBuffer;
    readonly path: string;
    readonly uri: string;
  }
  /** A file the child opens itself at boot (posix_spawn_file_actions_addopen), at `offset`. */
  | {
    readonly kind: "open";
    readonly path: string;
    readonly flags: number;
    readonly mode: number;
    readonly offset: number;
  };

/** The init message (`{type: "init", ...}`) posted to a picoprocess Worker. */
export interface InitMessage {
  readonly type: "init";
  readonly pid: number;
  readonly ppid: number;
  readonly sandboxId: string;
  /** Absent when the Worker got its channel with `WARM_UP` (a pooled Worker). */
  readonly channel?: GuestChannel;
  /** The app module (file: URL) or .wasm module to run. */
  readonly entry: string;
  /** The guest path the program was started as (for /proc/self/exe). */
  readonly exePath: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly umask: number;
  readonly mounts: readonly GuestMount[];
  readonly stdio: readonly [StdioSpec, StdioSpec, StdioSpec];
  readonly limits: { readonly maxFds: number; readonly pipeBufferBytes: number };
  /** The sandbox has a watchdog (`sys.watchdog`): make a PAL call at least this often (ms). */
  readonly heartbeatMs?: number;
  /** Log every file the app opens to the host trace (manifest `fs.discover`). */
  readonly discover: boolean;
  /** strace-like tracing of libOS calls to the host trace. */
  readonly trace: boolean;
  readonly startTimeMs: number;
  /** Process group and session (libos/proc). */
  readonly pgid?: number;
  readonly sid?: number;
  /** The signal page (libos/signal/shared.ts) and the EINTR token the host raises. */
  readonly signals?: SharedArrayBuffer;
  readonly interrupt?: SharedArrayBuffer;
  /** The sandbox's signal table and this process's slot in it, when the host gave it one
   * (otherwise the libOS asks with `signal_table`). */
  readonly sigTable?: { readonly sab: SharedArrayBuffer; readonly slot: number };
  /** fds above 2 the child starts with (spawn fd actions, fork). */
  readonly fds?: readonly { readonly fd: number; readonly spec: StdioSpec }[];
  /** fork-with-state: call export `entry` of the program with the deserialized state. */
  readonly fork?: { readonly entry: string; readonly state: Uint8Array };
  /** Set when the picoprocess hosts a plugin (sandbox/plugin.ts): boot serves its calls. */
  readonly plugin?: PluginInit;
}

/** How a plugin picoprocess talks to the embedding app (libos/plugin_guest.ts). */
export interface PluginInit {
  /** Calls in, results and host-function calls out (sandbox/plugin_wire.ts messages). */
  readonly port: MessagePort;
  /** The fast-call page (sandbox/plugin_page.ts); `worker` isolation only. */
  readonly page: SharedArrayBuffer | null;
  /** Names of the host functions the plugin's `init(host)` capability may call. */
  readonly expose: readonly string[];
  /** `clone`: structured clones on the port; `v8`: `node:v8` serializations (process isolation). */
  readonly wire: "clone" | "v8";
}

/** Messages a picoprocess posts to the host (besides ring calls). */
export type GuestToHost =
  | { readonly type: "ready" }
  | { readonly type: "exit"; readonly code: number }
  | { readonly type: "fatal"; readonly message: string };

/** The host calls a pooled Worker makes while it warms up, before any process is its (boot.ts):
 * the host serves its page for these alone (pal/host/server.ts `attachWarming`), so their
 * handlers must not depend on a process. */
export const WARM_CALLS: ReadonlySet<HostCallName> = new Set<HostCallName>(["host_time"]);
