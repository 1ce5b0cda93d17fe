/**
 * The sandbox's PID namespace, kept by the host: process groups, sessions, parent links, zombies,
 * waiting and re-parenting. Every picoprocess Worker is created by the host, so the host
 * allocates pids as it creates them (a batch handed to a guest leader would save no round trip:
 * spawning needs the host anyway). pid 1 is the first process the embedding app starts.
 *
 * A process that exits stays in `host.procs` as a zombie (state `exited`, not reaped) until its
 * parent waits for it; a process started by the embedding app (ppid 0) is reaped at once (the
 * app gets its `exit` event). Orphans are re-parented to pid 1 while it lives, else to 0 (reaped
 * by the host as they exit).
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import { Interrupt } from "../../pal/futex.ts";
import { SIGNAL_PAGE_BYTES, signalNumber, WNOHANG } from "../../libos/signal/shared.ts";
import type { InitMessage, StdioSpec } from "../../libos/init.ts";
import type { HostProc } from "./proc.ts";
import { blockedInHost, type SignalTable, signalTableOf } from "./proc_signals.ts";

/** The wait status a guest receives. `pid` 0: WNOHANG and nothing to report. */
export interface WaitStatus {
  readonly pid: number;
  readonly code: number;
  /** Number of the signal that ended the process, 0 if it exited. */
  readonly signal: number;
}

interface Waiter {
  readonly match: (child: HostProc) => boolean;
  readonly resolve: (s: WaitStatus) => void;
}

/**
 * Cancel functions of the host calls a process is blocked in; every add tells `onAdd` (the
 * signal code watches for signals set in the shared table while the process is blocked).
 */
export class BlockedCalls extends Set<() => void> {
  onAdd: (() => void) | null = null;
  override add(cancel: () => void): this {
    super.add(cancel);
    this.onAdd?.();
    return this;
  }
}

/** Process-tree state of one HostProc (`HostProc.tree`). */
export class ProcNode {
  pgid = 0;
  sid = 0;
  /** The embedding-started ancestor whose stdio streams carry this process's host stdio. */
  outPid = 0;
  reaped = false;
  exePath = "";
  /** What boot imported (fork children import the same). */
  entry = "";
  argv: readonly string[] = [];
  readonly startMs = Date.now();
  /** The signal page (libos/signal/shared.ts), shared with the guest. */
  readonly signals = new Int32Array(new SharedArrayBuffer(SIGNAL_PAGE_BYTES));
  /** The sandbox host's signal table and this process's slot in it (-1: none). */
  sigTable: SignalTable | null = null;
  slot = -1;
  /** Raised for a handled signal: a blocked pipe read or write returns EINTR. */
  readonly interrupt = Interrupt.create();
  readonly waiters: Waiter[] = [];
  /** Cancel functions of host calls this process is blocked in (EINTR). */
  readonly blocked = new BlockedCalls();

  /** The process moved to another sandbox (split): the shared signal table is off for good. */
  sandboxChanged(): void {
    this.sigTable?.disable();
  }
}

/** What the process table needs from the sandbox host. */
export interface ProcHost {
  readonly procs: Map<number, HostProc>;
}

/** Set up the tree state of a new process. */
export function adoptNew(
  host: ProcHost,
  p: HostProc,
  opts: { entry: string; exePath: string; argv: readonly string[]; pgid?: number },
): void {
  const parent = host.procs.get(p.ppid);
  const t = p.tree;
  t.exePath = opts.exePath;
  t.entry = opts.entry;
  t.argv = opts.argv;
  t.sigTable = signalTableOf(host);
  t.sigTable.assign(p);
  t.blocked.onAdd = () => blockedInHost(p);
  if (!parent) {
    t.pgid = p.pid;
    t.sid = p.pid;
    t.outPid = p.pid;
    return;
  }
  t.sid = parent.tree.sid;
  t.outPid = parent.tree.outPid;
  t.pgid = opts.pgid === undefined ? parent.tree.pgid : opts.pgid === 0 ? p.pid : opts.pgid;
}

/**
 * What the host hands a process with its init message instead of answering boot-time calls
 * (one message, no `signal_table` and `stream_open` round trips while it boots): its slot in the
 * signal table, and its host stdio devices opened in its handle table (each `{kind: "host"}`
 * spec gets its `handle`; one the table has no room for is left for the guest to open).
 */
export function bootGifts(
  p: HostProc,
  specs: readonly StdioSpec[],
): Pick<InitMessage, "sigTable"> {
  for (const sp of specs) {
    if (sp.kind !== "host" || sp.handle !== undefined) continue;
    try {
      const dev = sp.uri.slice(4) as "stdin" | "stdout" | "stderr";
      (sp as { handle?: number }).handle = p.handles.add({ kind: "dev", dev });
    } catch (_e) {
      // The table is full: the guest's own stream_open reports it.
    }
  }
  const t = p.tree;
  return t.sigTable?.enabled && t.slot >= 0
    ? { sigTable: { sab: t.sigTable.sab, slot: t.slot } }
    : {};
}

/** Whether `child` is what `waitpid(pid)` called by `caller` asks for. */
function matcher(caller: HostProc, pid: number): (c: HostProc) => boolean {
  if (pid > 0) return (c) => c.pid === pid;
  if (pid === -1) return () => true;
  if (pid === 0) return (c) => c.tree.pgid === caller.tree.pgid;
  return (c) => c.tree.pgid === -pid;
}

function statusOf(p: HostProc): WaitStatus {
  const sig = p.exitSignal ? signalNumber(p.exitSignal) ?? 0 : 0;
  return { pid: p.pid, code: p.exitCode ?? 0, signal: sig };
}

function reap(host: ProcHost, p: HostProc): WaitStatus {
  p.tree.reaped = true;
  host.procs.delete(p.pid);
  return statusOf(p);
}

/**
 * waitpid(2) for `caller`.
 * @throws {PalError} NO_CHILD when no child matches; INTERRUPTED when a handled signal arrives
 */
export function waitChild(
  host: ProcHost,
  caller: HostProc,
  pid: number,
  options: number,
): WaitStatus | Promise<WaitStatus> {
  const match = matcher(caller, pid);
  const kids = [...host.procs.values()].filter((c) => c.ppid === caller.pid && match(c));
  if (kids.length === 0) throw new PalError(PalCode.NO_CHILD, `no child matches ${pid}`);
  const zombie = kids.find((c) => c.zombie);
  if (zombie) return reap(host, zombie);
  if (options & WNOHANG) return { pid: 0, code: 0, signal: 0 };
  return new Promise<WaitStatus>((resolve, reject) => {
    const t = caller.tree;
    const cancel = () => {
      t.waiters.splice(t.waiters.indexOf(w), 1);
      reject(new PalError(PalCode.INTERRUPTED, "wait interrupted by a signal"));
    };
    const w: Waiter = {
      match,
      resolve: (s) => {
        t.blocked.delete(cancel);
        resolve(s);
      },
    };
    t.waiters.push(w);
    t.blocked.add(cancel);
  });
}

/** Offer the zombie `child` to its parent's waiters; true when one took (and reaped) it. */
function offer(host: ProcHost, parent: HostProc, child: HostProc): boolean {
  const i = parent.tree.waiters.findIndex((w) => w.match(child));
  if (i < 0) return false;
  const [w] = parent.tree.waiters.splice(i, 1);
  w!.resolve(reap(host, child));
  return true;
}

/**
 * Bookkeeping after `p` exited (its blocked calls were cancelled at its end: `cancelBlocked`):
 * re-parent its children, drop its waiters, and either reap it (no live parent) or leave it a
 * zombie for its parent. @returns the parent to send SIGCHLD to
 */
export function exited(host: ProcHost, p: HostProc): HostProc | null {
  p.zombie = true;
  p.tree.waiters.length = 0;
  p.tree.sigTable?.release(p);
  const init = host.procs.get(1);
  const heir = init && init.state !== "exited" && init !== p ? init : null;
  for (const c of [...host.procs.values()]) {
    if (c.ppid !== p.pid || c === p) continue;
    c.ppid = heir ? heir.pid : 0;
    if (c.zombie && (!heir || !offer(host, heir, c))) {
      if (!heir) reap(host, c);
    }
  }
  const parent = host.procs.get(p.ppid);
  if (!parent || parent.state === "exited") {
    reap(host, p);
    return null;
  }
  offer(host, parent, p);
  return parent;
}

/** Blocked IPC calls of the dead give up, so a message is never handed to a dead receiver. */
export function cancelBlocked(p: HostProc): void {
  for (const cancel of [...p.tree.blocked]) cancel();
  p.tree.blocked.clear();
}

/** Processes `kill(pid)` from `caller` reaches. @throws {PalError} NO_PROCESS */
export function killTargets(host: ProcHost, caller: HostProc | null, pid: number): HostProc[] {
  // A process reaches only its own sandbox (a split process left the old one behind); the
  // embedding app (caller null) reaches every process.
  const sandbox = caller?.services.sandboxId;
  const live = [...host.procs.values()].filter((p) =>
    !p.tree.reaped && (sandbox === undefined || p.services.sandboxId === sandbox)
  );
  let out: HostProc[];
  if (pid > 0) out = live.filter((p) => p.pid === pid);
  // kill(-1): every process but init and, as on Linux, the caller.
  else if (pid === -1) {
    out = live.filter((p) => p.pid !== 1 && p !== caller && p.state !== "exited");
  } else {
    const g = pid === 0 ? caller?.tree.pgid ?? -1 : -pid;
    out = live.filter((p) => p.tree.pgid === g && p.state !== "exited");
  }
  if (out.length === 0) throw new PalError(PalCode.NO_PROCESS, `no process ${pid}`);
  return out;
}

/** setpgid(2): `pid` 0 = the caller; `pgid` 0 = the target's pid. */
export function setpgid(host: ProcHost, caller: HostProc, pid: number, pgid: number): void {
  const target = pid === 0 ? caller : host.procs.get(pid);
  if (!target || target.state === "exited") throw new PalError(PalCode.NO_PROCESS, `no ${pid}`);
  if (target !== caller && target.ppid !== caller.pid) {
    throw new PalError(PalCode.NO_PROCESS, `${pid} is not the caller or its child`);
  }
  if (pgid < 0) throw new PalError(PalCode.INVAL, `bad pgid ${pgid}`);
  const g = pgid === 0 ? target.pid : pgid;
  if (g !== target.pid) {
    const same = [...host.procs.values()].some((q) =>
      q.tree.pgid === g && q.tree.sid === target.tree.sid && q.state !== "exited"
    );
    if (!same) throw new PalError(PalCode.DENIED, `no group ${g} in the session`);
  }
  target.tree.pgid = g;
}

/**
 * setsid(2): the caller leads a new session and a new group, both numbered by its pid.
 * @throws {PalError} DENIED when the caller already leads a process group
 */
export function setsid(caller: HostProc): number {
  if (caller.tree.pgid === caller.pid) {
    throw new PalError(PalCode.DENIED, `${caller.pid} already leads a process group`);
  }
  caller.tree.sid = caller.pid;
  caller.tree.pgid = caller.pid;
  return caller.pid;
}

/** The process table as process_info shows it (ps, /proc). */
export function table(host: ProcHost): unknown[] {
  return [...host.procs.values()].map((q) => ({
    pid: q.pid,
    ppid: q.ppid,
    pgid: q.tree.pgid,
    sid: q.tree.sid,
    state: q.state === "exited" ? "Z" : q.tree.signals[4] ? "T" : "S",
    exe: q.tree.exePath,
    argv: q.tree.argv,
    startMs: q.tree.startMs,
  }));
}
