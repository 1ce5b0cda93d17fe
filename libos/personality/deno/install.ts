/**
 * Install the Deno personality: replace the `Deno` namespace members (writable in a Worker)
 * and `globalThis.console` so an unmodified Deno script runs on the sandbox's VFS, fds and
 * environment. APIs the libOS does not virtualize throw NotCapable instead of reaching the host.
 */
import type { Libos } from "../../libos.ts";
import { Liveness } from "../../liveness.ts";
import type { Sys } from "../../sys/types.ts";
import { Errno, ErrnoError } from "../../errno.ts";
import type { DenoCtx } from "./ctx.ts";
import { makeConsole } from "./console.ts";
import { dirFunctions } from "./dir.ts";
import { fsFunctions } from "./fs.ts";
import { SandboxFsFile } from "./fs_file.ts";
import { DENIED, denied, makeEnv } from "./process.ts";
import { commandApi } from "./command.ts";
import { netApi } from "./net.ts";
import { type FetchFs, refuseRelativeUrl, withFileFetch } from "./fetch.ts";

const enc = new TextEncoder();

function define(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/** What the personality's members call through: filled in when they are bound to a process. */
interface Bound {
  sys: Sys;
  live: Liveness;
  os: Libos | null;
  env: Deno.Env | null;
}

/**
 * The Deno personality of a Worker: a pooled Worker's warm-up (boot.ts) installs every member but
 * those that name the process, over a context `bind` fills in when the process arrives (a Worker
 * that did not warm up installs it at its first init). No code but Sandpiper's runs in the
 * Worker before that; a recycled Worker binds it again for each process.
 */
export interface PreparedDeno {
  /** The liveness tracker the members count work on: the process's Libos takes it. */
  readonly live: Liveness;
  /** Bind the members to `os` and define the members that name its process. */
  bind(os: Libos): void;
}

/** The members that do not name the process, over `b`, installed on `Deno` and `console`. */
function installShared(b: Bound): void {
  const ctx: DenoCtx = b;
  redirectDenoStdio(b);
  const fs = fsFunctions(ctx);
  // A Worker's `location` names its script, a host path of the libOS; a Deno program run without
  // --location has none (an own, configurable property whose value is undefined).
  Object.defineProperty(globalThis, "location", {
    value: undefined,
    writable: true,
    enumerable: false,
    configurable: true,
  });
  define(globalThis, "Request", withoutBaseUrl(Request));
  const g = globalThis as unknown as { fetch: typeof fetch };
  g.fetch = withFileFetch(g.fetch.bind(globalThis), fs as unknown as FetchFs);
  b.live.installTimers(Deno);
  b.live.installAsyncBuiltins(); // after: it counts file fetches too
  const env = { get: (k: string) => b.env?.get(k) };
  const members: Record<string, unknown> = {
    ...fs,
    ...dirFunctions(ctx, env),
    FsFile: SandboxFsFile,
    // No fd of a sandbox is a terminal: Deno's answer for a process without one.
    consoleSize: () => {
      throw new Error(
        "Could not get console size: stdin, stdout, and stderr are not connected to a terminal",
      );
    },
    // Deno's: no code means the program's Deno.exitCode (Deno's own, kept per Worker).
    exit: (code?: number) => b.os?.exit(code ?? Deno.exitCode),
    umask: (mask?: number) => {
      const old = b.sys.umask(mask ?? 0);
      if (mask === undefined) b.sys.umask(old);
      return old;
    },
  };
  for (const name of DENIED) members[name] = denied(name);
  // A Worker has no prompt(), confirm() or alert(); Deno's main thread has, and without a
  // terminal on stdin (never one in a sandbox) they return at once: null, false, undefined.
  define(globalThis, "prompt", (_message?: string, _default?: string) => null);
  define(globalThis, "confirm", (_message?: string) => false);
  define(globalThis, "alert", (_message?: string) => undefined);
  // The sandbox's `deno`: `new Deno.Command(Deno.execPath(), { args: ["run", script] })` starts
  // a picoprocess (command.ts), and Deno's node:process reads it when it loads.
  members.execPath = () => "/bin/deno";
  Object.assign(members, netApi(ctx));
  const cmd = {
    get sys() {
      return b.sys;
    },
    get signals() {
      return b.os!.kernel.signals;
    },
    live: b.live,
    env: () => b.env?.toObject() ?? {},
    cwd: () => b.sys.getcwd(),
  };
  Object.assign(members, commandApi(cmd));
  const D = Deno as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(members)) define(D, k, v);
}

/**
 * `Request` that refuses a relative URL as Deno's does without --location, instead of resolving it
 * against the Worker's script (a host path). A Proxy, so `instanceof Request` holds for every
 * request, the ones Deno makes too.
 */
function withoutBaseUrl(R: typeof Request): typeof Request {
  const proxy: typeof Request = new Proxy(R, {
    construct(target, args, newTarget) {
      refuseRelativeUrl(args[0]);
      return Reflect.construct(target, args, newTarget === proxy ? target : newTarget);
    },
  });
  return proxy;
}

/**
 * Deno's own stdio objects (the ones `Deno.stdin/stdout/stderr` held before the personality)
 * read and write the process's fds 0–2 instead, through the personality's own FsFile of each.
 * Their resources were closed before any guest code ran (pal/guest/seal.ts), but Deno's
 * `node:process` keeps these objects and calls their methods: `process.stdout.write` is
 * `Deno.stdout.writeSync` of the original object. So it writes the sandbox's stdout, as
 * `console` does.
 */
function redirectDenoStdio(b: Bound): void {
  const io = [Deno.stdin, Deno.stdout, Deno.stderr] as unknown as Record<string, unknown>[];
  io.forEach((f, fd) => {
    const file = SandboxFsFile.of(b, fd) as unknown as Record<
      string,
      (...a: unknown[]) => unknown
    >;
    const names = fd === 0 ? ["readSync", "read", "setRaw"] : ["writeSync", "write"];
    for (const name of [...names, "isTerminal"]) {
      Object.defineProperty(f, name, {
        value: (...a: unknown[]) => file[name]!(...a),
        writable: true,
        configurable: true,
      });
    }
  });
}

/**
 * Point `b` at `os` and define the members that name its process or keep state of it: its
 * environment and arguments, the stdio files (their streams), `console` (counters, timers,
 * groups). A recycled Worker binds again for each process (libos.ts `Libos.idle`).
 */
function bindTo(b: Bound, os: Libos): void {
  b.os = os;
  b.sys = os.sys;
  b.env = makeEnv(os.kernel.env);
  const D = Deno as unknown as Record<string, unknown>;
  ["stdin", "stdout", "stderr"].forEach((name, fd) => {
    const file = SandboxFsFile.of(b, fd);
    // Deno's stdio objects still carry their resource id (files opened later do not).
    Object.defineProperty(file, "rid", { value: fd, enumerable: false });
    define(D, name, file);
  });
  const con = makeConsole((fd, text) => {
    try {
      b.sys.write(fd, enc.encode(text));
    } catch (e) {
      // A closed stdout or stderr fails as in Deno; output that is gone otherwise (the host's
      // output limit, a pipe with no reader) is dropped: console never throws for it.
      if (e instanceof ErrnoError && e.errno === Errno.EBADF) {
        throw new Deno.errors.BadResource("Bad resource ID");
      }
    }
  });
  define(globalThis, "console", con);
  define(D, "env", b.env);
  // As Deno's: NO_COLOR set and not empty when the process started (its own environment's).
  define(D, "noColor", (os.kernel.env.get("NO_COLOR") ?? "") !== "");
  define(D, "args", os.init.argv.slice(1));
  define(D, "pid", os.init.pid);
  define(D, "ppid", os.init.ppid);
  define(D, "mainModule", fileUrl(os.init.exePath));
}

/** The file URL of guest path `path` (made absolute), percent-encoded as Deno's are. */
function fileUrl(path: string): string {
  const u = new URL("file:///");
  u.pathname = path.startsWith("/") ? path : `/${path}`;
  return u.href;
}

/** Install the personality, to be bound to each process of the Worker (see {@link PreparedDeno}). */
export function prepareDeno(): PreparedDeno {
  const b: Bound = {
    // Nothing calls a member before `bind`: only Sandpiper's code runs until then.
    sys: null as unknown as Sys,
    live: new Liveness(() => b.os?.idle()),
    os: null,
    env: null,
  };
  installShared(b);
  return { live: b.live, bind: (os) => bindTo(b, os) };
}
