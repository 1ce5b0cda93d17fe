/**
 * Deno.Command, Deno.ChildProcess, Deno.kill and Deno.addSignalListener over the libOS's
 * processes: a command is a program inside the sandbox (`deno run <script>` for a script in the
 * sandbox's VFS, or a /bin built-in), started as a picoprocess. Piped stdio are shared pipes;
 * anything the sandbox cannot run is `Deno.errors.NotFound` — never a host process.
 */
import { Errno, ErrnoError } from "../../errno.ts";
import type { FdAction, SpawnRequest, WaitResult } from "../../proc/process.ts";
import { signalName, signalNumber } from "../../signal/shared.ts";
import type { Signals } from "../../signal/signals.ts";
import { O } from "../../sys/types.ts";
import type { DenoCtx } from "./ctx.ts";
import { pathArg } from "./ctx.ts";
import { denoError, withCode } from "./errors.ts";

type Stdio = "piped" | "inherit" | "null";

/** What the Command API needs besides the DenoCtx. */
export interface CommandCtx extends DenoCtx {
  readonly signals: Signals;
  readonly env: () => Record<string, string>;
  readonly cwd: () => string;
}

/** Deno.CommandStatus. */
function statusOf(w: WaitResult): Deno.CommandStatus {
  return {
    success: w.code === 0 && w.signal === 0,
    code: w.code,
    signal: w.signal ? signalName(w.signal) as Deno.Signal : null,
  };
}

/** Build the Command API classes bound to one process. */
export function commandApi(ctx: CommandCtx) {
  /** Read fd until EOF into a stream; the fd is closed at the end. */
  function readable(fd: number): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (c) => {
        const buf = new Uint8Array(65536);
        try {
          const n = await ctx.live.track(ctx.sys.readAsync(fd, buf));
          if (n === 0) {
            ctx.sys.close(fd);
            c.close();
          } else c.enqueue(buf.slice(0, n));
        } catch (e) {
          c.error(denoError(e, "read"));
        }
      },
      cancel: () => ctx.sys.close(fd),
    }, { highWaterMark: 0 });
  }

  function writable(fd: number): WritableStream<Uint8Array> {
    return new WritableStream<Uint8Array>({
      write: async (chunk) => {
        let off = 0;
        while (off < chunk.length) off += await ctx.sys.writeAsync(fd, chunk.subarray(off));
      },
      close: () => ctx.sys.close(fd),
      abort: () => ctx.sys.close(fd),
    });
  }

  interface Started {
    pid: number;
    stdin: number | null;
    stdout: number | null;
    stderr: number | null;
  }

  function start(cmd: string, o: Deno.CommandOptions, dflt: Stdio, dfltIn: Stdio): Started {
    const actions: FdAction[] = [];
    const modes: [Stdio, Stdio, Stdio] = [o.stdin ?? dfltIn, o.stdout ?? dflt, o.stderr ?? dflt];
    const mine: (number | null)[] = [null, null, null];
    const theirs: number[] = [];
    modes.forEach((m, fd) => {
      if (m === "null") {
        actions.push({ op: "open", fd, path: "/dev/null", flags: fd === 0 ? O.RDONLY : O.WRONLY });
      } else if (m === "piped") {
        const [r, w] = ctx.sys.pipe(O.CLOEXEC);
        const [child, parent] = fd === 0 ? [r, w] : [w, r];
        actions.push({ op: "dup2", fd: child, newfd: fd });
        theirs.push(child);
        mine[fd] = parent;
      }
    });
    const env = o.clearEnv ? { ...(o.env ?? {}) } : { ...ctx.env(), ...(o.env ?? {}) };
    const req: SpawnRequest = {
      // `deno run <script>` is mapped by the libOS's spawn (libos/proc/process.ts `denoRun`).
      program: cmd,
      argv: [cmd, ...(o.args ?? []).map(String)],
      env,
      cwd: o.cwd === undefined ? ctx.cwd() : pathArg(o.cwd),
      fdActions: actions,
    };
    let pid: number;
    try {
      pid = ctx.sys.spawn(req);
    } catch (e) {
      for (const fd of mine) if (fd !== null) ctx.sys.close(fd);
      if (e instanceof ErrnoError && (e.errno === Errno.ENOENT || e.errno === Errno.ENOEXEC)) {
        // Deno's message for a program that is not there (the OS's ENOENT, as Rust words it).
        throw withCode(
          new Deno.errors.NotFound(`Failed to spawn '${cmd}': entity not found`),
          Errno.ENOENT,
        );
      }
      throw denoError(e, "spawn", cmd);
    } finally {
      for (const fd of theirs) ctx.sys.close(fd);
    }
    return { pid, stdin: mine[0] ?? null, stdout: mine[1] ?? null, stderr: mine[2] ?? null };
  }

  /** The number of a signal name, or Deno's TypeError. */
  function signalOf(signo: Deno.Signal): number {
    const n = signalNumber(signo);
    if (n === null) throw new TypeError(`Invalid signal: ${signo}`);
    return n;
  }

  /** kill(2), with its errors worded as Deno words them ("ESRCH: No such process"). */
  function kill(pid: number, n: number): void {
    try {
      ctx.sys.kill(pid, n);
    } catch (e) {
      if (e instanceof ErrnoError && e.errno === Errno.ESRCH) {
        throw new Deno.errors.NotFound("ESRCH: No such process");
      }
      if (e instanceof ErrnoError && e.errno === Errno.EPERM) {
        throw new Deno.errors.PermissionDenied("EPERM: Operation not permitted");
      }
      throw denoError(e, "kill");
    }
  }

  /** Deno's error for a stdio stream that was not piped. */
  function notPiped(name: string): TypeError {
    return new TypeError(`Cannot get '${name}': '${name}' is not piped`);
  }

  /** A running child (Deno.ChildProcess). */
  class ChildProcess {
    readonly pid: number;
    readonly status: Promise<Deno.CommandStatus>;
    readonly #stdin: WritableStream<Uint8Array> | null;
    readonly #stdout: ReadableStream<Uint8Array> | null;
    readonly #stderr: ReadableStream<Uint8Array> | null;
    #release: () => void;
    #exited = false;

    constructor(s: Started) {
      this.pid = s.pid;
      this.#stdin = s.stdin === null ? null : writable(s.stdin);
      this.#stdout = s.stdout === null ? null : readable(s.stdout);
      this.#stderr = s.stderr === null ? null : readable(s.stderr);
      this.#release = ctx.live.hold();
      this.status = ctx.sys.waitpidAsync(s.pid, 0).then(statusOf);
      const ended = () => {
        this.#exited = true;
        this.#release();
      };
      this.status.then(ended, ended);
    }
    get stdin(): WritableStream<Uint8Array> {
      if (!this.#stdin) throw notPiped("stdin");
      return this.#stdin;
    }
    get stdout(): ReadableStream<Uint8Array> {
      if (!this.#stdout) throw notPiped("stdout");
      return this.#stdout;
    }
    get stderr(): ReadableStream<Uint8Array> {
      if (!this.#stderr) throw notPiped("stderr");
      return this.#stderr;
    }
    /** Collect piped stdout/stderr and the status; a stream not piped is an error to read, as
     * in Deno (the output's getter throws). */
    async output(): Promise<Deno.CommandOutput> {
      const [stdout, stderr, status] = await Promise.all([
        this.#stdout ? collect(this.#stdout) : Promise.resolve(null),
        this.#stderr ? collect(this.#stderr) : Promise.resolve(null),
        this.status,
      ]);
      return withOutput(status, stdout, stderr);
    }
    /** Send a signal (default SIGTERM). */
    kill(signo: Deno.Signal = "SIGTERM"): void {
      const n = signalOf(signo);
      if (this.#exited) throw new TypeError("Child process has already terminated");
      kill(this.pid, n);
    }
    /** Keep the parent alive until the child exits (the default). */
    ref(): void {
      this.#release();
      this.#release = ctx.live.hold();
      this.status.then(() => this.#release(), () => this.#release());
    }
    /** Let the parent exit while the child runs. */
    unref(): void {
      this.#release();
    }
    async [Symbol.asyncDispose](): Promise<void> {
      try {
        this.kill("SIGTERM");
      } catch (_e) {
        // Already gone.
      }
      await this.status;
    }
  }

  /** Deno.Command. */
  class Command {
    readonly #cmd: string;
    readonly #opts: Deno.CommandOptions;
    constructor(command: string | URL, options: Deno.CommandOptions = {}) {
      this.#cmd = command instanceof URL ? pathArg(command) : String(command);
      this.#opts = options;
    }
    spawn(): ChildProcess {
      return new ChildProcess(start(this.#cmd, this.#opts, "inherit", "inherit"));
    }
    output(): Promise<Deno.CommandOutput> {
      if (this.#opts.stdin === "piped") {
        return Promise.reject(new TypeError("Piped stdin is not supported for this function"));
      }
      try {
        return new ChildProcess(start(this.#cmd, this.#opts, "piped", "null")).output();
      } catch (e) {
        return Promise.reject(e);
      }
    }
    outputSync(): Deno.CommandOutput {
      if (this.#opts.stdin === "piped") {
        throw new TypeError("Piped stdin is not supported for this function");
      }
      const s = start(this.#cmd, this.#opts, "piped", "null");
      const [stdout, stderr] = drainSync(s.stdout, s.stderr);
      return withOutput(statusOf(ctx.sys.waitpid(s.pid, 0)), stdout, stderr);
    }
  }

  /** A command's output: reading a stream that was not piped (null) throws, as Deno's does. */
  function withOutput(
    status: Deno.CommandStatus,
    stdout: Uint8Array | null,
    stderr: Uint8Array | null,
  ): Deno.CommandOutput {
    return {
      ...status,
      get stdout(): Uint8Array {
        if (stdout === null) throw notPiped("stdout");
        return stdout;
      },
      get stderr(): Uint8Array {
        if (stderr === null) throw notPiped("stderr");
        return stderr;
      },
    } as Deno.CommandOutput;
  }

  /** Read both fds to EOF without deadlocking on either (poll). */
  function drainSync(a: number | null, b: number | null): [Uint8Array | null, Uint8Array | null] {
    const parts: Uint8Array[][] = [[], []];
    const open = [a, b];
    const buf = new Uint8Array(65536);
    while (open.some((f) => f !== null)) {
      const fds = open.flatMap((fd) => (fd === null ? [] : [{ fd, events: 1, revents: 0 }]));
      ctx.sys.poll(fds, -1);
      for (const p of fds) {
        if (p.revents === 0) continue;
        const i = open.indexOf(p.fd);
        const n = ctx.sys.read(p.fd, buf);
        if (n === 0) {
          ctx.sys.close(p.fd);
          open[i] = null;
        } else parts[i]!.push(buf.slice(0, n));
      }
    }
    return [a === null ? null : concat(parts[0]!), b === null ? null : concat(parts[1]!)];
  }

  return {
    Command,
    ChildProcess,
    kill(pid: number, signo: Deno.Signal = "SIGTERM"): void {
      kill(pid, signalOf(signo));
    },
    addSignalListener(signo: Deno.Signal, handler: () => void): void {
      const n = signalOf(signo);
      try {
        ctx.signals.addListener(n, handler);
      } catch (_e) {
        throw new TypeError(`Binding to signal '${signo}' is not allowed`);
      }
    },
    removeSignalListener(signo: Deno.Signal, handler: () => void): void {
      const n = signalNumber(signo);
      // Deno removes nothing, silently, for a name it does not know.
      if (n !== null) ctx.signals.removeListener(n, handler);
    },
  };
}

async function collect(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of s) parts.push(c);
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
