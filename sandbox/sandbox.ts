/**
 * The embedding API: a `Sandbox` made from a manifest, and the `SandboxProcess`es it runs.
 */
import type { Isolation, Manifest } from "./manifest.ts";
import { loadManifest } from "./manifest.ts";
import { hostConfigFromManifest } from "./host/config_build.ts";
import type {
  Capability,
  HostEvent,
  Repossession,
  RevocationOutcome,
  SpawnSpec,
} from "./host/protocol.ts";
import { type HostLink, startProcessHost, startWorkerHost } from "./link.ts";
import { LimitError, SandboxError } from "./errors_runtime.ts";
import { checkCodeDir } from "./code_check.ts";

/** Options of {@link Sandbox.create}. */
export interface SandboxOptions {
  /** Override the manifest's `sys.isolation`. */
  isolation?: Isolation;
  /** Receive the strace-like trace of PAL calls (one line each). */
  trace?: (line: string) => void;
  /** Host environment used for `loader.env` passthrough (default: none). */
  hostEnv?: Readonly<Record<string, string>>;
  /** Advanced: the module every picoprocess boots from instead of the libOS (a `file:` URL of
   * trusted code; Sandpiper's own tests boot a bare PAL client this way). */
  bootUrl?: string;
}

/** How a process ended. */
export interface ExitStatus {
  /** Exit code (128 + signal number when killed). */
  readonly code: number;
  /** The signal that ended it, if one did. */
  readonly signal: string | null;
  readonly success: boolean;
  /** Set when the sandbox was ended because a limit was exceeded. */
  readonly limit: LimitError | null;
}

/** Everything a process printed, and how it ended. */
export interface ProcessOutput extends ExitStatus {
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
}

interface ProcSink {
  out: ReadableStreamDefaultController<Uint8Array>;
  err: ReadableStreamDefaultController<Uint8Array>;
  resolve: (s: ExitStatus) => void;
}

/**
 * A sandbox: one manifest, one host (a Worker or a child process), any number of processes.
 *
 * @example
 * ```ts
 * import { Sandbox } from "./sandbox.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/app.ts`, `console.log("hello from", Deno.pid);`);
 * await Deno.writeTextFile(`${dir}/app.toml`, `[loader]\nentrypoint = "app.ts"\n`);
 * await using sb = await Sandbox.create(`${dir}/app.toml`, { isolation: "worker" });
 * const out = await sb.run();
 * console.assert(new TextDecoder().decode(out.stdout) === "hello from 1\n");
 * ```
 */
export class Sandbox {
  readonly #link: HostLink;
  readonly #procs = new Map<number, ProcSink>();
  readonly #spawns = new Map<
    number,
    { resolve: (p: SandboxProcess) => void; reject: (e: Error) => void }
  >();
  readonly #ready: Promise<void>;
  readonly #revokes = new Map<
    number,
    { resolve: (o: RevocationOutcome) => void; reject: (e: Error) => void }
  >();
  readonly #repossessions: Repossession[] = [];
  #reqId = 0;
  #closed = false;
  #limit: LimitError | null = null;
  #closedResolve!: () => void;
  /** Resolves when the sandbox has ended (closed, or ended by a limit). */
  readonly closed: Promise<void>;
  /** The sandbox's id, as audit records and traces name it. */
  readonly sandboxId: string;

  private constructor(
    /** The validated manifest. */
    readonly manifest: Manifest,
    /** The isolation level in force. */
    readonly isolation: Isolation,
    opts: SandboxOptions,
  ) {
    this.closed = new Promise((r) => (this.#closedResolve = r));
    const base = hostConfigFromManifest(manifest, { trace: opts.trace !== undefined });
    const cfg = opts.bootUrl ? { ...base, bootUrl: opts.bootUrl } : base;
    this.sandboxId = cfg.sandboxId;
    let readyResolve!: () => void;
    this.#ready = new Promise((r) => (readyResolve = r));
    const onEvent = (ev: HostEvent) => {
      if (ev.type === "ready") readyResolve();
      else if (ev.type === "trace") opts.trace?.(ev.line);
      this.#event(ev);
      if (ev.type === "closed") readyResolve();
    };
    this.#link = isolation === "process"
      ? startProcessHost(cfg, onEvent)
      : startWorkerHost(cfg, onEvent);
  }

  /**
   * Create a sandbox from a manifest (a path, a `file:` URL or a loaded `Manifest`).
   * @param manifest the manifest.
   * @param opts isolation override, trace sink, host environment for passthrough.
   * @returns a running sandbox with no processes yet.
   * @throws {ManifestError} when the manifest is invalid.
   */
  static async create(
    manifest: Manifest | string | URL,
    opts: SandboxOptions = {},
  ): Promise<Sandbox> {
    const m = typeof manifest === "string" || manifest instanceof URL
      ? await loadManifest(manifest instanceof URL ? manifest.pathname : manifest, {
        ...(opts.hostEnv ? { hostEnv: opts.hostEnv } : {}),
      })
      : manifest;
    checkCodeDir(m.loader.codeDir);
    const sb = new Sandbox(m, opts.isolation ?? m.sys.isolation, opts);
    await sb.#ready;
    if (sb.#closed) throw sb.#limit ?? new SandboxError("the sandbox host failed to start");
    return sb;
  }

  /** The limit that ended the sandbox, if one did. */
  get limitError(): LimitError | null {
    return this.#limit;
  }

  /**
   * Start a process running the manifest's entrypoint.
   * @param spec argv/env/cwd overrides.
   * @returns the process, with its stdio streams.
   * @throws {SandboxError} when the sandbox is closed or the process limit is reached.
   */
  spawn(spec: SpawnSpec = {}): Promise<SandboxProcess> {
    if (this.#closed) return Promise.reject(this.#limit ?? new SandboxError("sandbox is closed"));
    const reqId = ++this.#reqId;
    const proc = new Promise<SandboxProcess>((resolve, reject) =>
      this.#spawns.set(reqId, { resolve, reject })
    );
    this.#link.send({ type: "spawn", reqId, spec });
    return proc;
  }

  /**
   * Run the entrypoint to completion and collect its output.
   * @param spec argv/env/cwd overrides, and optional stdin bytes.
   */
  async run(spec: SpawnSpec & { stdin?: Uint8Array | string } = {}): Promise<ProcessOutput> {
    const { stdin, ...rest } = spec;
    const p = await this.spawn(rest);
    const w = p.stdin.getWriter();
    if (stdin !== undefined) {
      await w.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
    }
    await w.close();
    return p.output();
  }

  /**
   * Revoke a capability while the sandbox runs (visible revocation): new binds of it fail at
   * once; every picoprocess is told and has `graceMs` to give back what it holds; past that the
   * host takes it by force and records it in {@link Sandbox.repossessions}.
   * @param capability `{kind: "mount", path: "/data"}`, `{kind: "net", entry: "127.0.0.1:8080"}`,
   *   `{kind: "rpc", name: "svc"}` (an RPC name in use) or `{kind: "shm", id: 3}` (a System V
   *   segment). An RPC port or a shared mapping cannot be taken from a live picoprocess: one still
   *   holding it at the deadline is ended (`Repossession.ended`).
   * @param opts.graceMs the grace period (default 1000 ms, at most 600000)
   * @returns how it ended: `returned` when nothing had to be taken
   * @throws {SandboxError} when the sandbox was not granted the capability, or is closed
   * @example
   * ```ts
   * import { Sandbox } from "./sandbox.ts";
   * const dir = await Deno.makeTempDir();
   * await Deno.mkdir(`${dir}/data`);
   * await Deno.writeTextFile(`${dir}/app.ts`, `setTimeout(() => {}, 300);`);
   * await Deno.writeTextFile(
   *   `${dir}/app.toml`,
   *   `[loader]\nentrypoint = "app.ts"\n[[fs.mounts]]\npath = "/data"\nuri = "file:data"\n`,
   * );
   * await using sb = await Sandbox.create(`${dir}/app.toml`, { isolation: "worker" });
   * const p = await sb.spawn();
   * const outcome = await sb.revoke({ kind: "mount", path: "/data" }, { graceMs: 100 });
   * console.assert(outcome.returned && sb.repossessions.length === 0);
   * await p.wait();
   * ```
   */
  revoke(capability: Capability, opts: { graceMs?: number } = {}): Promise<RevocationOutcome> {
    if (this.#closed) return Promise.reject(this.#limit ?? new SandboxError("sandbox is closed"));
    const graceMs = opts.graceMs ?? 1000;
    if (!Number.isSafeInteger(graceMs) || graceMs < 0) {
      return Promise.reject(new SandboxError(`graceMs must be a non-negative integer`));
    }
    const reqId = ++this.#reqId;
    const done = new Promise<RevocationOutcome>((resolve, reject) =>
      this.#revokes.set(reqId, { resolve, reject })
    );
    this.#link.send({ type: "revoke", reqId, capability, graceMs });
    return done;
  }

  /** What the host took by force from this sandbox's processes (oldest first). */
  get repossessions(): readonly Repossession[] {
    return [...this.#repossessions];
  }

  /** End every process and the host. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#link.send({ type: "close" });
      const timeout = setTimeout(() => this.#link.kill(), 2000);
      await this.closed;
      clearTimeout(timeout);
    }
    await this.#link.gone;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #makeProcess(pid: number): SandboxProcess {
    let out!: ReadableStreamDefaultController<Uint8Array>;
    let err!: ReadableStreamDefaultController<Uint8Array>;
    const stdout = new ReadableStream<Uint8Array>({ start: (c) => void (out = c) });
    const stderr = new ReadableStream<Uint8Array>({ start: (c) => void (err = c) });
    let resolve!: (s: ExitStatus) => void;
    const status = new Promise<ExitStatus>((r) => (resolve = r));
    this.#procs.set(pid, { out, err, resolve });
    const link = this.#link;
    const stdin = new WritableStream<Uint8Array>({
      write: (chunk) => link.send({ type: "stdin", pid, data: chunk.slice() }),
      close: () => link.send({ type: "stdin", pid, data: null }),
    });
    return new SandboxProcess(
      pid,
      stdout,
      stderr,
      stdin,
      status,
      (sig) => link.send({ type: "kill", pid, signal: sig }),
    );
  }

  #event(ev: HostEvent): void {
    switch (ev.type) {
      case "spawned": {
        const s = this.#spawns.get(ev.reqId);
        if (!s) return;
        this.#spawns.delete(ev.reqId);
        // Known from now on, not from a promise reaction later: in `process` isolation the
        // host's next frames (this process's output, its exit) may be handled in this same turn.
        s.resolve(this.#makeProcess(ev.pid));
        return;
      }
      case "spawn-failed":
        this.#spawns.get(ev.reqId)?.reject(
          ev.limit ? new LimitError(ev.limit, ev.message) : new SandboxError(ev.message),
        );
        this.#spawns.delete(ev.reqId);
        return;
      case "output": {
        const p = this.#procs.get(ev.pid);
        if (!p) return;
        (ev.fd === 1 ? p.out : p.err).enqueue(ev.data);
        return;
      }
      case "exit": {
        const p = this.#procs.get(ev.pid);
        if (!p) return;
        this.#procs.delete(ev.pid);
        closeQuietly(p.out);
        closeQuietly(p.err);
        p.resolve({
          code: ev.code,
          signal: ev.signal,
          success: ev.code === 0,
          limit: this.#limit,
        });
        return;
      }
      case "limit":
        this.#limit = new LimitError(ev.limit, ev.message);
        return;
      case "revoked":
        this.#repossessions.push(...ev.outcome.repossessed);
        this.#revokes.get(ev.reqId)?.resolve(ev.outcome);
        this.#revokes.delete(ev.reqId);
        return;
      case "revoke-failed":
        this.#revokes.get(ev.reqId)?.reject(new SandboxError(ev.message));
        this.#revokes.delete(ev.reqId);
        return;
      case "closed":
        this.#closed = true;
        for (const [pid, p] of this.#procs) {
          closeQuietly(p.out);
          closeQuietly(p.err);
          p.resolve({ code: 137, signal: "SIGKILL", success: false, limit: this.#limit });
          this.#procs.delete(pid);
        }
        for (const s of this.#spawns.values()) {
          s.reject(this.#limit ?? new SandboxError("sandbox is closed"));
        }
        this.#spawns.clear();
        for (const r of this.#revokes.values()) {
          r.reject(this.#limit ?? new SandboxError("sandbox is closed"));
        }
        this.#revokes.clear();
        this.#closedResolve();
        return;
    }
  }
}

function closeQuietly(c: ReadableStreamDefaultController<Uint8Array>): void {
  try {
    c.close();
  } catch (_e) {
    // already closed or errored by the consumer cancelling the stream
  }
}

/** A process running in a sandbox. */
export class SandboxProcess {
  readonly #kill: (signal: string) => void;

  constructor(
    /** The process's pid inside the sandbox. */
    readonly pid: number,
    /** The app's standard output. */
    readonly stdout: ReadableStream<Uint8Array>,
    /** The app's standard error. */
    readonly stderr: ReadableStream<Uint8Array>,
    /** The app's standard input; close it to send EOF. */
    readonly stdin: WritableStream<Uint8Array>,
    /** Resolves when the process has ended. */
    readonly status: Promise<ExitStatus>,
    kill: (signal: string) => void,
  ) {
    this.#kill = kill;
  }

  /** Wait for the process to end. */
  wait(): Promise<ExitStatus> {
    return this.status;
  }

  /** End the process (default SIGKILL). */
  kill(signal: "SIGKILL" | "SIGTERM" | "SIGINT" = "SIGKILL"): void {
    this.#kill(signal);
  }

  /** Collect stdout and stderr to the end, and the exit status. */
  async output(): Promise<ProcessOutput> {
    const [stdout, stderr, st] = await Promise.all([
      collect(this.stdout),
      collect(this.stderr),
      this.status,
    ]);
    return { ...st, stdout, stderr };
  }
}

async function collect(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of s) {
    parts.push(c);
    n += c.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
