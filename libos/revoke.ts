/**
 * The libOS's side of the host's control: the watchdog heartbeat, and the control messages, which
 * arrive on the Worker's message port (control) while calls go through the call page (data).
 *
 * - The heartbeat: when the sandbox has a watchdog (`sys.watchdog`), the init message carries
 *   `heartbeatMs`, and the libOS makes a PAL call that often from a timer, so the host sees this
 *   picoprocess's event loop turning. (It is in the init message, not a message of its own, so
 *   it cannot arrive before the process listens: libos/boot.ts.)
 * - `sandpiper-revoke {id, capability, handles, graceMs}`: visible revocation. The libOS
 *   dispatches a `sandpiper:revoke` event (an app may clean up), closes every fd and socket bound
 *   to one of the listed host handles, then calls `sandbox_release(id)`. Past the grace period
 *   the host takes what is left by force (sandbox/host/revoke.ts); later uses fail with
 *   ENOTCAPABLE, and `repossessions()` lists what was taken. Listed handles held by no fd and
 *   no registered holder (RPC names and connections) are closed directly, and a revoked shared
 *   memory segment is detached as many times as it was attached; the app must drop its views
 *   and ports in its `sandpiper:revoke` listener, since the host ends a process still holding
 *   an RPC connection or an attachment at the deadline.
 */
import { setBlockedBeat } from "../pal/futex.ts";
import type { PalClient } from "../pal/guest/client.ts";
import type { FdTable } from "./fd_table.ts";

/** A host → guest control message. */
export interface HostControl {
  readonly type: "sandpiper-revoke";
  readonly id: number;
  readonly capability: string;
  readonly handles: readonly number[];
  readonly graceMs: number;
  /** For a shared memory segment (`shm:<id>`): how many times this process attached it. */
  readonly attached?: number;
}

/** One record of the repossession log (see `sandbox_repossessions`). */
export interface GuestRepossession {
  readonly time: string;
  readonly sandbox: string;
  readonly pid: number;
  readonly capability: string;
  readonly handle: number;
  readonly uri: string;
  /** True when the host ended the holder (an RPC connection or a shared memory attachment). */
  readonly ended?: boolean;
}

/** Deno's own timers, taken when this module loads (before the Deno personality wraps them, in a
 * pooled Worker's warm-up too): the heartbeat is the libOS's, not work of the app that keeps the
 * process alive (libos/liveness.ts). */
const setIntervalOrig = globalThis.setInterval.bind(globalThis);
const clearIntervalOrig = globalThis.clearInterval.bind(globalThis);

/** Host handles held outside the fd table (sockets of the Deno personality), with a closer. */
const holders = new Map<number, () => void>();

/**
 * Register a host handle held outside the fd table, so a revocation can close it.
 * @returns a function to call when the holder closes it itself
 */
export function holdHostHandle(palHandle: number, close: () => void): () => void {
  holders.set(palHandle, close);
  return () => holders.delete(palHandle);
}

/** What the control listener needs of the libOS. */
export interface Controlled {
  readonly pal: PalClient;
  readonly init: { readonly heartbeatMs?: number };
  readonly kernel: { readonly fds: FdTable };
}

/** Listen for control messages (call once, at boot, before the app runs). */
export function installHostControl(os: Controlled): () => void {
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const period = os.init.heartbeatMs;
  if (period !== undefined) {
    const ms = Math.max(MIN_BEAT_MS, Number(period) || 1000);
    heartbeat = setIntervalOrig(() => beat(os.pal), ms);
    // A process blocked in a synchronous wait (pipe read, SysV wait, poll, stopped) cannot run
    // its timer: the wait loops beat instead, at most every `ms`.
    let lastBeat = performance.now();
    setBlockedBeat(() => {
      const now = performance.now();
      if (now - lastBeat < ms) return;
      lastBeat = now;
      beat(os.pal);
    });
  }
  // The Worker's own scope: messages from the host Worker arrive here (boot took the first).
  const listener = (e: Event) => {
    const m = (e as MessageEvent).data as HostControl | null;
    if (m?.type === "sandpiper-revoke") giveBack(os, m);
  };
  globalThis.addEventListener("message", listener);
  // Undo all of it (the Worker is recycled for another process: libos.ts).
  return () => {
    globalThis.removeEventListener("message", listener);
    clearIntervalOrig(heartbeat);
    heartbeat = undefined;
    setBlockedBeat(null);
  };
}

/** Whether a host handle is held outside the fd table (a socket of the Deno personality). */
export function holdsHostHandles(): boolean {
  return holders.size > 0;
}

/** Shortest period of the blocked-wait heartbeat. */
const MIN_BEAT_MS = 20;

function beat(pal: PalClient): void {
  try {
    pal.call("null_call");
  } catch (_e) {
    // The host is closing this process: nothing to report to.
  }
}

/** Close everything bound to the revoked capability, then tell the host. */
function giveBack(os: Controlled, m: Extract<HostControl, { type: "sandpiper-revoke" }>): void {
  const want = new Set(Array.isArray(m.handles) ? m.handles : []);
  globalThis.dispatchEvent(
    new CustomEvent("sandpiper:revoke", {
      detail: { capability: m.capability, graceMs: m.graceMs },
    }),
  );
  const fds = os.kernel.fds;
  const viaFd = new Set<number>();
  for (const fd of fds.fds()) {
    const h = fds.get(fd).handle as { palHandle?: unknown };
    if (typeof h.palHandle === "number" && want.has(h.palHandle)) {
      viaFd.add(h.palHandle);
      try {
        fds.close(fd);
      } catch (_e) {
        // Already closed by a dup'd fd's release: the handle is gone either way.
      }
    }
  }
  for (const h of viaFd) want.delete(h);
  for (const [h, close] of holders) {
    if (want.has(h)) {
      holders.delete(h);
      want.delete(h);
      close();
    }
  }
  for (const h of want) closeQuietly(() => os.pal.call("stream_close", h));
  const shm = /^shm:(\d+)$/.exec(m.capability);
  const times = Math.min(Number(m.attached) || 0, 65536);
  for (let i = 0; shm && i < times; i++) {
    closeQuietly(() => os.pal.call("ipc_shmdt", Number(shm[1])));
  }
  try {
    os.pal.call("sandbox_release", { id: m.id });
  } catch (_e) {
    // The revocation already ended (deadline passed): the host has taken what was left.
  }
}

/** Run a close that may find the resource already gone. */
function closeQuietly(close: () => void): void {
  try {
    close();
  } catch (_e) {
    // Already closed (by the app, or by a dup's release): it is given back either way.
  }
}

/**
 * What the host took from this sandbox by force.
 * @example
 * ```ts ignore
 * import { repossessions } from "./revoke.ts";
 * for (const r of repossessions(pal)) console.log(r.capability, r.uri);
 * ```
 */
export function repossessions(pal: PalClient): GuestRepossession[] {
  const v = pal.call("sandbox_repossessions");
  return Array.isArray(v) ? (v as GuestRepossession[]) : [];
}
