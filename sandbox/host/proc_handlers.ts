/**
 * Host handlers of the process calls and the shared pipes.
 * Calls here: process_create, process_wait, process_kill, process_setpgid, process_setsid,
 * process_info, signal_table,
 * pipe_create, pipe_close, process_exec, vma_segment, vma_segment_drop, and file_share
 * (proc_files.ts).
 * The spec of process_create is hostile JSON: every field is checked and bounded here.
 */
import { PalCode, PalError } from "../../pal/errors.ts";
import type { HostHandlers } from "../../pal/host/dispatch.ts";
import type { StdioSpec } from "../../libos/init.ts";
import type { HostProc } from "./proc.ts";
import type { PipeSide } from "./proc_pipes.ts";
import { resolveProgram } from "./proc_program.ts";
import { fileHandlers, fileSpec } from "./proc_files.ts";
import { closeHandle } from "../../pal/host/handles.ts";

/** Signal page words (libos/signal/shared.ts). */
const SIGPAGE_HANDLED = 1, SIGPAGE_IGNORED = 2, SIGPAGE_BLOCKED = 3;
import { deliver, syncMirrors } from "./proc_signals.ts";
import { Segments } from "./vma_segments.ts";
import { killTargets, setpgid, setsid, table, waitChild } from "./proc_table.ts";
import type { SandboxHost } from "./sandbox_host.ts";

const MAX_ARGS = 1024;
const MAX_ENV = 1024;
const MAX_STR = 4096;
/** fork state: the cloned object and a copy of the parent's private memory (its mapped regions). */
const MAX_STATE_BYTES = 64 << 20;
/** What process_create adds to a spawn (sandbox_host.ts `spawn`). */
export interface ChildOptions {
  readonly entry: string;
  readonly exePath: string;
  /** fds 0..2, then extra fds. */
  readonly stdio: readonly [StdioSpec, StdioSpec, StdioSpec];
  readonly fds: readonly { fd: number; spec: StdioSpec }[];
  /** undefined: the parent's group; 0: a new group led by the child. */
  readonly pgid?: number;
  readonly fork?: { readonly entry: string; readonly state: Uint8Array };
  /** The file mode creation mask (the caller's). */
  readonly umask?: number;
  /** Called with the new pid before the Worker starts (pipe ends are given to it here). */
  readonly prepare: (pid: number) => void;
}

function bad(msg: string): PalError {
  return new PalError(PalCode.INVAL, `process_create: ${msg}`);
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string" || v.length > MAX_STR || v.includes("\0")) throw bad(`bad ${what}`);
  return v;
}

function strList(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.length > MAX_ARGS) throw bad(`bad ${what}`);
  return v.map((x) => str(x, what));
}

function envOf(v: unknown): Record<string, string> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad("bad env");
  const entries = Object.entries(v);
  if (entries.length > MAX_ENV) throw bad("too many env vars");
  return Object.fromEntries(entries.map(([k, x]) => [str(k, "env key"), str(x, "env value")]));
}

type Gift = { id: number; end: PipeSide };
/** Bindings of shared file handles into the child's table, run by `prepare`. */
type Binds = ((child: HostProc) => void)[];

/** Check one guest fd spec; pipe ends and shared files must be held by the caller. */
function fdSpec(
  host: SandboxHost,
  caller: HostProc,
  v: unknown,
  gifts: Gift[],
  binds: Binds,
): StdioSpec {
  const o = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
  switch (o.kind) {
    case "null":
      return { kind: "null" };
    case "host": {
      const uri = o.uri;
      if (uri !== "dev:stdin" && uri !== "dev:stdout" && uri !== "dev:stderr") throw bad("uri");
      return { kind: "host", uri };
    }
    case "pipe": {
      const id = o.id, end = o.end;
      if (!Number.isSafeInteger(id) || (end !== "read" && end !== "write" && end !== "both")) {
        throw bad("pipe");
      }
      // `both`: a FIFO opened O_RDWR, one read and one write end.
      if (!host.pipes.holds(caller.pid, id as number, end)) {
        throw new PalError(PalCode.BAD_HANDLE, `the caller holds no ${end} end of pipe ${id}`);
      }
      gifts.push({ id: id as number, end });
      // The buffer is filled in by `prepare` once the child's pid exists.
      return { kind: "pipe", sab: new SharedArrayBuffer(0), end, id: id as number };
    }
    case "file": {
      const { spec, bind } = fileSpec(caller, o.handle, str(o.path, "file path"));
      binds.push(bind);
      return spec;
    }
    case "open": {
      const flags = o.flags, mode = o.mode ?? 0o666;
      if (!Number.isSafeInteger(flags) || !Number.isSafeInteger(mode)) throw bad("open flags");
      const offset = o.offset ?? 0;
      if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw bad("open offset");
      return {
        kind: "open",
        path: str(o.path, "open path"),
        flags: flags as number,
        mode: mode as number,
        offset: offset as number,
      };
    }
    default:
      throw bad("unknown fd kind");
  }
}

/** Turn a process_create request into spawn arguments. */
function childOptions(
  host: SandboxHost,
  caller: HostProc,
  s: Record<string, unknown>,
  state: Uint8Array,
) {
  const program = s.fork !== undefined
    ? { entry: caller.tree.entry, exePath: caller.tree.exePath }
    : resolveProgram(host.cfg, (id) => host.mount(id), str(s.program, "program"));
  const argv = strList(s.argv ?? [program.exePath], "argv");
  const env = envOf(s.env ?? {});
  const cwd = str(s.cwd ?? "/", "cwd");
  const maxFds = host.cfg.manifest.sys.maxFds;
  const fdList = s.fds ?? [];
  if (!Array.isArray(fdList) || fdList.length > maxFds) throw bad("bad fds");
  const gifts: Gift[] = [];
  const binds: Binds = [];
  const byFd = new Map<number, StdioSpec>();
  for (const e of fdList as unknown[]) {
    const fd = (e as { fd?: unknown })?.fd;
    if (!Number.isSafeInteger(fd) || (fd as number) < 0 || (fd as number) >= maxFds) {
      throw bad("fd");
    }
    byFd.set(fd as number, fdSpec(host, caller, (e as { spec?: unknown }).spec, gifts, binds));
  }
  const pgid = s.pgid;
  if (pgid !== undefined && (!Number.isSafeInteger(pgid) || (pgid as number) < 0)) {
    throw bad("pgid");
  }
  const umask = s.umask ?? 0o022;
  if (!Number.isSafeInteger(umask) || (umask as number) < 0 || (umask as number) > 0o777) {
    throw bad("umask");
  }
  let fork: ChildOptions["fork"];
  if (s.fork !== undefined) {
    if (state.length > MAX_STATE_BYTES) throw new PalError(PalCode.TOO_BIG, "fork state too big");
    fork = { entry: str(s.fork, "fork entry"), state: state.slice() };
  }
  const specs = [...byFd.values()];
  const opts: ChildOptions = {
    entry: program.entry,
    exePath: program.exePath,
    stdio: [0, 1, 2].map((i) =>
      byFd.get(i) ?? { kind: "null" }
    ) as unknown as ChildOptions["stdio"],
    fds: [...byFd].filter(([fd]) => fd > 2).map(([fd, spec]) => ({ fd, spec })),
    ...(pgid !== undefined ? { pgid: pgid as number } : {}),
    ...(fork ? { fork } : {}),
    umask: umask as number,
    prepare: (pid) => {
      const child = host.procs.get(pid);
      if (child) { for (const bind of binds) bind(child); }
      if (child) inheritSignals(caller, child);
      for (const sp of specs) {
        if (sp.kind === "pipe" && sp.id !== undefined) {
          (sp as { sab: SharedArrayBuffer }).sab = host.pipes.give(pid, sp.id, sp.end);
        }
      }
    },
  };
  return { opts, argv, env, cwd };
}

/**
 * Signal dispositions a child inherits: the mask and ignored signals (handlers are functions of
 * the parent's program: a handled signal is default in the child, as after execve).
 */
function inheritSignals(parent: HostProc, child: HostProc): void {
  const from = parent.tree.signals, to = child.tree.signals;
  if (from === to) {
    Atomics.store(to, SIGPAGE_HANDLED, 0);
  } else {
    Atomics.store(to, SIGPAGE_IGNORED, Atomics.load(from, SIGPAGE_IGNORED));
    Atomics.store(to, SIGPAGE_BLOCKED, Atomics.load(from, SIGPAGE_BLOCKED));
  }
  syncMirrors(child);
}

/** exec: swap `p`'s Worker, then drop the pipe ends and host handles it did not keep. */
function execInPlace(
  host: SandboxHost,
  p: HostProc,
  spec: { argv: string[]; env: Record<string, string>; cwd: string },
  opts: ChildOptions,
): void {
  if (p.state === "exited") return;
  const dropPipes = host.pipes.detachProcess(p.pid);
  // The old program's handles; the new one keeps its file descriptions and whatever the host
  // opened for it while starting it (its stdio devices).
  const old = [...p.handles.entries()].map(([id]) => id);
  host.execProcess(p, spec, opts);
  dropPipes();
  const kept = new Set<number>();
  for (const sp of [...opts.stdio, ...opts.fds.map((f) => f.spec)]) {
    if (sp.kind === "file") kept.add(sp.handle);
  }
  for (const id of old) {
    if (!kept.has(id)) closeHandle(p.handles.take(id));
  }
}

/** The handlers, bound to one sandbox host. */
export function procHandlers(host: SandboxHost): HostHandlers<HostProc> {
  const segments = new Segments(host.cfg.manifest.sys.vmaQuotaBytes);
  host.onProcessEnd.push((p) => segments.dropAll(p));
  return {
    ...fileHandlers(),
    process_create(ctx, spec, state) {
      if (typeof spec !== "object" || spec === null) throw bad("spec must be an object");
      const { opts, argv, env, cwd } = childOptions(
        host,
        ctx.owner,
        spec as Record<string, unknown>,
        state,
      );
      const pid = host.spawnChild(ctx.owner, { argv, env, cwd }, opts);
      // Before the child can make its first call (this thread serves it): its shared regions.
      const child = host.procs.get(pid);
      if (opts.fork && child) segments.inherit(ctx.owner, child);
      return pid;
    },
    vma_segment(ctx, id, bytes) {
      if (id === 0) {
        const [made, sab] = segments.create(ctx.owner, bytes);
        ctx.transfer(sab);
        return made;
      }
      ctx.transfer(segments.held(ctx.owner, id));
      return id;
    },
    vma_segment_drop(ctx, id) {
      segments.drop(ctx.owner, id);
    },
    process_exec(ctx, spec) {
      if (typeof spec !== "object" || spec === null) throw bad("spec must be an object");
      const p = ctx.owner;
      const { opts, argv, env, cwd } = childOptions(
        host,
        p,
        { ...spec as Record<string, unknown>, fork: undefined, pgid: undefined },
        new Uint8Array(0),
      );
      // Deferred, like process_exit: the caller gets its answer, then its Worker is replaced.
      queueMicrotask(() => {
        execInPlace(host, p, { argv, env, cwd }, opts);
        segments.dropAll(p); // the new program starts with a fresh address space
      });
    },
    process_wait(ctx, pid, options) {
      return waitChild(host, ctx.owner, pid, options) as unknown;
    },
    process_kill(ctx, pid, sig) {
      if (!Number.isInteger(sig) || sig < 0 || sig > 31) throw new PalError(PalCode.INVAL, "sig");
      for (const p of killTargets(host, ctx.owner, pid)) deliver(host, p, sig);
    },
    process_setpgid(ctx, pid, pgid) {
      setpgid(host, ctx.owner, pid, pgid);
    },
    process_setsid(ctx) {
      return setsid(ctx.owner);
    },
    signal_table(ctx) {
      const t = ctx.owner.tree;
      if (!t.sigTable?.enabled || t.slot < 0) return -1;
      ctx.transfer(t.sigTable.sab);
      return t.slot;
    },
    process_info(ctx) {
      const p = ctx.owner;
      return {
        pid: p.pid,
        ppid: p.ppid,
        pgid: p.tree.pgid,
        sid: p.tree.sid,
        processes: table(host),
        // The warm-spawn pool (proc_pool.ts): a bench waits for `ready` to reach `target`.
        spawnPool: {
          ready: host.pool.ready,
          idle: host.pool.idle,
          target: host.pool.target,
          recycled: host.pool.recycled,
        },
      };
    },
    pipe_create(ctx, capacity) {
      if (!Number.isSafeInteger(capacity) || capacity < 0) throw new PalError(PalCode.INVAL, "cap");
      const [id, sab] = host.pipes.create(ctx.owner.pid, capacity);
      ctx.transfer(sab);
      return id;
    },
    pipe_close(ctx, id, end) {
      if (end !== 0 && end !== 1) throw new PalError(PalCode.INVAL, "end must be 0 or 1");
      host.pipes.close(ctx.owner.pid, id, end === 0 ? "read" : "write");
    },
  };
}
