/**
 * The sandbox host: the trusted reference monitor of one sandbox. It binds the manifest's
 * mounts, serves the call pages of every picoprocess (one RingServer), starts and ends
 * picoprocess Workers, routes stdio and enforces the sandbox-wide limits.
 *
 * It runs in a host Worker (`worker` isolation) or as the main module of a `deno run` child
 * (`process` isolation); `emit` carries events to the embedding app either way.
 */
import { FileEpochs } from "../../pal/host/file_epochs.ts";
import { closeHandle } from "../../pal/host/handles.ts";
import type { AuditEvent, BoundMount, HostServices } from "../../pal/host/owner.ts";
import { RingServer } from "../../pal/host/server.ts";
import { createDoorbell } from "../../pal/ring.ts";
import type { PluginInit } from "../../libos/init.ts";
import { PluginBridges } from "../plugin_bridge.ts";
import { entryExePath, type HostConfig } from "./config.ts";
import { hostHandlers } from "./handlers.ts";
import { HostProc } from "./proc.ts";
import type { HostCommand, HostEvent, LimitName, SpawnSpec } from "./protocol.ts";
import { AuditLog, formatCall } from "./audit.ts";
import { HostPipes } from "./proc_pipes.ts";
import { releaseFileLocks } from "./proc_files.ts";
import type { ChildOptions } from "./proc_handlers.ts";
import { deliver } from "./proc_signals.ts";
import { adoptNew, cancelBlocked, exited } from "./proc_table.ts";
import { initMessage } from "./proc_init.ts";
import { bindMount } from "./bind_mount.ts";
import { SIG } from "../../libos/signal/shared.ts";
import { PalCode, PalError } from "../../pal/errors.ts";
import { LimitExceeded } from "./limits.ts";
import { Watchdog } from "./watchdog.ts";
import { Revocations } from "./revoke.ts";
import { SysV } from "./ipc_sysv.ts";
import { guardSplit, type SandboxPolicy } from "./split.ts";
import { localWorkers, type WorkerFactory, type WorkerLike } from "./worker_factory.ts";
import { BUILTIN_SCHEME } from "../../libos/bin/names.ts";
import { QUIET_MS, WorkerPool } from "./proc_pool.ts";
import { retireNow, Retirer } from "./proc_retire.ts";
import { attachChannel, newChannel, releaseChannel, warmingChannel } from "./proc_channel.ts";

/** Sends an event to the embedding app. */
export type Emit = (ev: HostEvent) => void;

const EXTRA_HANDLES = 16;

/** One sandbox's host. */
export class SandboxHost implements HostServices {
  readonly sandboxId: string;
  readonly server: RingServer<HostProc>;
  readonly procs = new Map<number, HostProc>();
  readonly #mounts = new Map<number, BoundMount>();
  readonly #doorbell = createDoorbell();
  /** The doorbell's file epoch table: every file content change bumps it (read-ahead). */
  readonly epochs: FileEpochs = new FileEpochs(this.#doorbell);
  /** Bytes of file data a process's first reading thread may keep (libos/vfs/readahead.ts). */
  get readCacheBytes(): number {
    return this.cfg.manifest.fs.readCacheBytes;
  }
  readonly #audit: AuditLog | null;
  readonly #plugins = new PluginBridges(this);
  /** Pipes shared between picoprocesses (proc_pipes.ts). */
  readonly pipes = new HostPipes();
  /** The sandbox's System V IPC objects (ipc_handlers.ts; revocable shm segments). */
  readonly sysv: SysV = new SysV();
  /** Hooks of a process's end (IPC: SEM_UNDO); one may answer a promise of work its parent must
   * not see it end before (the host tells the parent once every such promise settled). */
  readonly onProcessEnd: ((p: HostProc) => void | Promise<void>)[] = [];
  #nextPid = 1;
  #outputBytes = 0;
  #closed = false;
  #wallTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #watchdog: Watchdog<HostProc> | null;
  /** Revocations in progress and the repossession log. */
  readonly revocations: Revocations<HostProc> = new Revocations<HostProc>(this);

  /** Creates picoprocess and thread Workers (see worker_factory.ts for why it varies). */
  readonly newWorker: WorkerFactory;
  /** Booted picoprocess Workers for warm spawns (proc_pool.ts). */
  readonly pool: WorkerPool;
  /** Exited processes' Workers waiting for a quiet host to end (proc_retire.ts). */
  readonly #retirer: Retirer;

  constructor(readonly cfg: HostConfig, readonly emit: Emit, workers?: WorkerFactory) {
    this.sandboxId = cfg.sandboxId;
    this.newWorker = workers ?? localWorkers(cfg.guestPermissions);
    this.pool = new WorkerPool(
      cfg.manifest.sys.spawnPool,
      () => this.newWorker(cfg.bootUrl, `sandpiper ${this.sandboxId} pooled`),
      () => cfg.manifest.sys.maxProcesses - this.#liveCount(),
      QUIET_MS,
      () => warmingChannel(this.server, this.#doorbell),
      (c) => releaseChannel(this.server, c),
    );
    // As many parked as the pool may hold idle (they cost about the same), at least a few.
    this.#retirer = new Retirer(Math.max(4, cfg.manifest.sys.spawnPool));
    for (const m of cfg.mounts) this.#mounts.set(m.id, bindMount(m, cfg.manifest.fs.trustedFiles));
    this.#audit = cfg.manifest.sys.auditPath ? new AuditLog(cfg.manifest.sys.auditPath) : null;
    const wd = cfg.manifest.sys.watchdogMs;
    this.#watchdog = wd === null ? null : new Watchdog<HostProc>(this, wd);
    const handlers = guardSplit(hostHandlers(this), this.procs);
    this.server = new RingServer<HostProc>(
      this.#doorbell,
      this.#watchdog ? this.#watchdog.wrap(handlers) : handlers,
    );
    if (cfg.trace) {
      this.server.onCall = (p, name, result, args, value) =>
        this.trace(p.pid, formatCall(name, args, result, value));
    }
    this.server.start();
    const wall = cfg.manifest.sys.wallTimeMs;
    if (wall !== null) {
      this.#wallTimer = setTimeout(
        () => this.limit("wall_time", `the sandbox ran past sys.wall_time (${wall} ms)`),
        wall,
      );
    }
  }

  /** Handle one (already validated) command. */
  command(cmd: HostCommand): void {
    switch (cmd.type) {
      case "spawn":
        try {
          const pid = this.spawn(cmd.spec, 0);
          this.emit({ type: "spawned", reqId: cmd.reqId, pid });
        } catch (e) {
          this.emit({
            type: "spawn-failed",
            reqId: cmd.reqId,
            message: e instanceof Error ? e.message : String(e),
            ...(e instanceof LimitExceeded ? { limit: e.limit } : {}),
          });
        }
        return;
      case "stdin":
        this.procs.get(cmd.pid)?.stdin.push(cmd.data);
        return;
      case "kill": {
        const p = this.procs.get(cmd.pid);
        // Delivered like a guest's kill: a handled SIGTERM/SIGINT runs the app's handler.
        if (p) deliver(this, p, signalNumber(cmd.signal));
        return;
      }
      case "close":
        void this.close();
        return;
      case "revoke":
        try {
          this.revocations.start(
            cmd.capability,
            cmd.graceMs,
            (outcome) => this.emit({ type: "revoked", reqId: cmd.reqId, outcome }),
          );
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          this.emit({ type: "revoke-failed", reqId: cmd.reqId, message });
        }
        return;
      case "plugin-spawn":
        this.#plugins.spawn(cmd);
        return;
      case "plugin-msg":
        this.#plugins.deliver(cmd.pid, cmd.data);
        return;
    }
  }

  /** Start a picoprocess running the manifest's entrypoint (as a plugin when `plugin` is set). */
  spawn(spec: SpawnSpec, ppid: number, plugin?: PluginInit, child?: ChildOptions): number {
    if (this.#closed) throw new Error("the sandbox is closed");
    const m = this.cfg.manifest;
    const live = [...this.procs.values()].filter((p) => p.state !== "exited").length;
    if (live >= m.sys.maxProcesses) {
      throw new LimitExceeded(
        "max_processes",
        PalCode.TRY_AGAIN,
        `sys.max_processes (${m.sys.maxProcesses}) reached`,
      );
    }
    const pid = this.#nextPid++;
    const proc = new HostProc(pid, ppid, this, m.sys.maxFds + EXTRA_HANDLES);
    this.procs.set(pid, proc);
    const argv = spec.argv ?? m.loader.argv;
    const exePath = child?.exePath ?? entryExePath(this.cfg);
    const pgid = child?.pgid !== undefined ? { pgid: child.pgid } : {};
    const entry = child?.entry ?? this.cfg.entryUrl;
    adoptNew(this, proc, { entry, exePath, argv, ...pgid });
    child?.prepare(pid);
    this.#boot(
      proc,
      { argv, env: spec.env ?? m.loader.env, cwd: spec.cwd ?? m.fs.root },
      child,
      plugin,
    );
    return pid;
  }

  /**
   * exec: replace `p`'s program. The old Worker (and its threads) end without an exit report;
   * a new Worker runs `child.entry` as the same pid, with the fds `child` describes. The caller
   * has already been answered (this runs deferred, like process_exit).
   */
  execProcess(
    p: HostProc,
    spec: Required<Pick<SpawnSpec, "argv" | "env" | "cwd">>,
    child: ChildOptions,
  ): void {
    if (p.state === "exited" || this.#closed) return;
    if (p.worker) {
      p.worker.onerror = null;
      p.worker.terminate();
    }
    if (p.pageToken) this.server.detach(p.pageToken);
    for (const t of p.threads.values()) {
      t.worker.terminate();
      this.server.detach(t.pageToken);
    }
    p.threads.clear();
    this.#backToPool(p, null);
    p.channel?.host.close();
    p.tree.entry = child.entry;
    p.tree.exePath = child.exePath;
    p.tree.argv = spec.argv;
    child.prepare(p.pid);
    this.#boot(p, spec, child);
  }

  /** Start the Worker of `proc` and post its init message. */
  #boot(
    proc: HostProc,
    spec: { argv: readonly string[]; env: Readonly<Record<string, string>>; cwd: string },
    child?: ChildOptions,
    plugin?: PluginInit,
  ): void {
    const m = this.cfg.manifest;
    const pid = proc.pid;
    // Only a built-in program may leave its Worker for another process (Libos.idle).
    const builtin = m.sys.recycle && proc.tree.entry.startsWith(BUILTIN_SCHEME) && !child?.fork &&
      !plugin;
    proc.recycleMark = builtin ? this.revocations.started : -1;
    // A pooled Worker got its channel with WARM_UP (proc_pool.ts); a new one gets it here.
    const taken = this.pool.take(builtin);
    // A cold Worker of a built-in may come back too (proc_pool.ts `take`).
    proc.poolOut = builtin;
    const ahead = taken?.channel ?? null;
    const ch = ahead ?? newChannel(this.#doorbell);
    proc.channel = ch;
    let worker: WorkerLike;
    try {
      proc.pageToken = attachChannel(this.server, ch, proc);
      worker = taken?.worker ??
        this.newWorker(this.cfg.bootUrl, `sandpiper ${this.sandboxId} pid ${pid}`);
    } catch (e) {
      // The pool counted this Worker as coming back; a pooled one taken here is ended.
      this.#backToPool(proc, null);
      taken?.worker.terminate();
      throw e;
    }
    proc.worker = worker;
    worker.onerror = (e) => {
      e.preventDefault();
      const msg = `Uncaught ${e.message ?? "error"}\n`;
      this.output(pid, 2, new TextEncoder().encode(msg), true);
      this.endProcess(proc, 1, null);
    };
    worker.onmessageerror = (e) => e.preventDefault();
    worker.onmessage = () => {}; // guests speak through the ring; stray messages are ignored
    const init = initMessage(this.cfg, proc, spec, ahead ? null : ch.guest, child, plugin);
    const transfer = [...(ahead ? [] : [ch.guest.syncPort]), ...(plugin ? [plugin.port] : [])];
    worker.postMessage(init, transfer);
    this.#watchdog?.watch(proc);
    proc.state = "running";
  }

  /**
   * End a process: end its Worker, detach its page, close its handles, report. `parked`: the
   * process reported this exit from its main call page and its Worker waits to be retired, which
   * may wait for a quiet host (proc_retire.ts); otherwise the Worker ends at once.
   */
  endProcess(
    p: HostProc,
    code: number,
    signal: string | null,
    parked = false,
    recycle = false,
  ): void {
    if (p.state === "exited") return;
    p.state = "exited";
    p.exitCode = code;
    p.exitSignal = signal;
    // A recycled Worker is kept by the pool: it waits for its next init message.
    const kept = this.#backToPool(p, recycle && !this.#closed ? p.worker : null);
    if (!kept) p.channel?.host.close();
    p.channel = null;
    if (p.worker && !kept) {
      if (parked && !this.#closed) this.#retirer.park(p.worker, p.tree.signals);
      else retireNow(p.worker, p.tree.signals);
    }
    p.worker = null;
    // Pages first (their posted writes run: server.ts `detach`), then the handles go.
    if (p.pageToken) this.server.detach(p.pageToken);
    for (const t of p.threads.values()) this.server.detach(t.pageToken);
    // Its blocked calls give up first: an IPC message is never handed to the dead, and a waiting
    // flock never takes a lock for a description its end closes.
    cancelBlocked(p);
    releaseFileLocks(p);
    for (const h of p.handles.drain()) closeHandle(h);
    p.stdin.push(null);
    this.#plugins.end(p.pid);
    this.pipes.dropProcess(p.pid);
    const pending = this.onProcessEnd.map((f) => f(p)).filter((r) => r instanceof Promise);
    const tell = (later: boolean) => {
      // A child of a process is the sandbox's business: its parent learns of its end (wait,
      // SIGCHLD); the embedding app, which never waits for it, gets no event (a frame to encode
      // and, in process isolation, a pipe write and a wake of the app's process per child).
      // (Closing the sandbox told the embedding app already.)
      if (p.embedderStarted && !(later && this.#closed)) {
        this.emit({ type: "exit", pid: p.pid, code, signal });
      }
      const parent = exited(this, p);
      if (parent && !this.#closed) deliver(this, parent, SIG.SIGCHLD);
    };
    // What the end leaves to finish later (SEM_UNDO adjustments a live lock holder keeps the
    // host from, ipc_sysv.ts `processEnded`) shows before the parent can reap the process.
    if (pending.length === 0 || this.#closed) tell(false);
    else void Promise.all(pending).then(() => tell(true));
  }

  /**
   * Whether `p`'s Worker may run another process once `p` ends (process_recycle): it started a
   * built-in program (not an app module, fork state or plugin), has not exec'd into anything
   * else since, runs no thread, still belongs to this sandbox (no split), saw no revocation
   * start (a revocation message for it could reach the next process), and the pool has room.
   */
  mayRecycle(p: HostProc): boolean {
    return p.recycleMark >= 0 && p.recycleMark === this.revocations.started &&
      p.threads.size === 0 && p.services === (this as HostServices) &&
      p.state === "running" && this.pool.hasRoom;
  }

  /** Report the end of `p`'s Worker to the pool if it came with `take(true)`, handing it
   * `worker` to keep; whether the pool kept it. */
  #backToPool(p: HostProc, worker: WorkerLike | null): boolean {
    if (!p.poolOut) return false;
    p.poolOut = false;
    if (worker) {
      worker.onerror = null;
      worker.onmessage = null;
    }
    return this.pool.back(worker, p.channel);
  }

  /** process_create: start a child of `parent`. @throws {PalError} TRY_AGAIN at the limit */
  spawnChild(parent: HostProc, spec: SpawnSpec, child: ChildOptions): number {
    const m = this.cfg.manifest;
    const live = [...this.procs.values()].filter((p) => p.state !== "exited").length;
    if (live >= m.sys.maxProcesses) {
      throw new PalError(PalCode.TRY_AGAIN, `sys.max_processes (${m.sys.maxProcesses}) reached`);
    }
    const pid = this.spawn(spec, parent.pid, undefined, child);
    this.pool.start();
    return pid;
  }

  #liveCount(): number {
    let n = 0;
    for (const p of this.procs.values()) if (p.state !== "exited") n++;
    return n;
  }

  /** End the sandbox because a limit was exceeded. */
  limit(limit: LimitName, message: string): void {
    if (this.#closed) return;
    this.emit({ type: "limit", limit, message });
    for (const p of this.procs.values()) this.endProcess(p, 137, "SIGKILL");
    void this.close();
  }

  /** End every process and stop serving. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#wallTimer);
    this.#watchdog?.stop();
    this.revocations.stop();
    this.pool.close();
    this.#retirer.flush();
    for (const p of this.procs.values()) this.endProcess(p, 137, "SIGKILL");
    await this.server.stop();
    this.#audit?.close();
    this.emit({ type: "closed" });
  }

  // HostServices

  mount(id: number): BoundMount | undefined {
    if (this.revocations.mountRevoked(id)) {
      throw new PalError(PalCode.REVOKED, `mount ${id} was revoked`);
    }
    return this.#mounts.get(id);
  }

  /** Mount id of the manifest's mount at guest path `path`. */
  mountIdAt(path: string): number | undefined {
    return this.cfg.mounts.find((m) => m.path === path)?.id;
  }

  /** Whether `host:port` is listed under net.connect or net.listen. */
  netListed(entry: string): boolean {
    const n = this.cfg.manifest.net;
    return n.connect.includes(entry) || n.listen.includes(entry);
  }

  output(procId: number, fd: 1 | 2, data: Uint8Array, force = false): void {
    // A child's host stdio belongs to the stream of its embedding-started ancestor.
    const pid = this.procs.get(procId)?.tree.outPid || procId;
    const max = this.cfg.manifest.sys.maxOutputBytes;
    if (!force && this.#outputBytes + data.length > max) {
      const room = Math.max(0, max - this.#outputBytes);
      if (room > 0) this.emit({ type: "output", pid, fd, data: data.slice(0, room) });
      this.#outputBytes = max;
      queueMicrotask(() =>
        this.limit("max_output", `the sandbox wrote more than sys.max_output (${max} bytes)`)
      );
      return;
    }
    this.#outputBytes += data.length;
    this.emit({ type: "output", pid, fd, data: data.slice() });
  }

  readStdin(pid: number, max: number): Promise<Uint8Array | null> {
    const p = this.procs.get(this.procs.get(pid)?.tree.outPid || pid);
    return p ? p.stdin.read(max) : Promise.resolve(null);
  }

  stdinPoll(pid: number): { ready: boolean; wait: Promise<void> | null } {
    const p = this.procs.get(this.procs.get(pid)?.tree.outPid || pid);
    if (!p) return { ready: true, wait: null };
    return p.stdin.ready ? { ready: true, wait: null } : { ready: false, wait: p.stdin.changed() };
  }

  netAllowed(kind: "connect" | "listen", host: string, port: number): boolean | "revoked" {
    const list = kind === "connect" ? this.cfg.manifest.net.connect : this.cfg.manifest.net.listen;
    const h = host.includes(":") ? `[${host}]` : host;
    const entry = `${h}:${port}`;
    if (!list.includes(entry)) return false;
    return this.revocations.netRevoked(entry) ? "revoked" : true;
  }

  audit(pid: number, ev: AuditEvent): void {
    this.auditAs(this.sandboxId, pid, ev);
  }

  /** Audit a bind of a process in sandbox `sandbox` (this one, or one split from it). */
  auditAs(sandbox: string, pid: number, ev: AuditEvent): void {
    this.#audit?.write({ sandbox, pid, ...ev, time: new Date().toISOString() });
  }

  /** The services unsplit processes use (this host). */
  get services(): HostServices {
    return this;
  }

  /** The manifest's policy: what an unsplit process may bind. */
  basePolicy(): SandboxPolicy {
    const n = this.cfg.manifest.net;
    return {
      mounts: this.cfg.mounts.map((m) => ({ id: m.id, path: m.path, readonly: m.readonly })),
      net: { connect: [...n.connect], listen: [...n.listen] },
    };
  }

  trace(pid: number, line: string): void {
    this.emit({ type: "trace", line: `[${this.sandboxId} pid ${pid}] ${line}` });
  }
}

/** Linux signal numbers of the signals the control protocol accepts. */
export function signalNumber(sig: string): number {
  const table: Record<string, number> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGUSR1: 10,
    SIGUSR2: 12,
    SIGTERM: 15,
    SIGCONT: 18,
    SIGSTOP: 19,
  };
  return table[sig] ?? 9;
}
