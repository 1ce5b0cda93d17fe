/**
 * Process calls: spawn (posix_spawn with fd actions), fork-with-state, waitpid, setpgid,
 * getpgid. The child's fd table is the caller's inheritable fds (no FD_CLOEXEC) with the actions
 * applied, each described so the host can rebuild it in the child: shared pipe ends (both ends
 * at once for a FIFO opened O_RDWR), the host's
 * stdio devices, /dev/null, host files (the open file description is shared: one position,
 * libos/proc/share.ts) and other files (re-opened by path at the same offset).
 */
import { serialize } from "node:v8";
import { Errno, ErrnoError, palToErrno } from "../errno.ts";
import type { Kernel } from "../kernel.ts";
import type { StdioSpec } from "../init.ts";
import { isBuiltin } from "../bin/names.ts";
import { fstatat, realpath } from "../sys/path.ts";
import { AT_FDCWD, O } from "../sys/types.ts";
import { joinAbs, normalizeAbs } from "../vfs/path.ts";
import { snapshotProcessSpace } from "../../pal/guest/local_state.ts";
import { DuplexPipeHandle, SharedPipeHandle } from "./pipe.ts";
import { type SharedFileDesc, shareFile } from "./share.ts";

/** One file action of a spawn, applied in order to the inherited fd table. */
export type FdAction =
  | { readonly op: "dup2"; readonly fd: number; readonly newfd: number }
  | { readonly op: "close"; readonly fd: number }
  | {
    readonly op: "open";
    readonly fd: number;
    readonly path: string;
    readonly flags: number;
    readonly mode?: number;
  };

/** What to start. */
export interface SpawnRequest {
  /** A guest path, or a bare name looked up in PATH (built-ins live in /bin). */
  readonly program: string;
  /** argv[0] included; defaults to [program]. */
  readonly argv?: readonly string[];
  /** Defaults to a copy of the caller's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Defaults to the caller's working directory. */
  readonly cwd?: string;
  readonly fdActions?: readonly FdAction[];
  /** undefined: the caller's group; 0: a new group led by the child; n: join group n. */
  readonly pgid?: number;
}

/** What waitpid reports: `pid` 0 when WNOHANG found nothing. */
export interface WaitResult {
  readonly pid: number;
  /** Exit code (128 + n when signal n ended it). */
  readonly code: number;
  /** The signal that ended it, 0 if it exited. */
  readonly signal: number;
}

type Desc =
  | StdioSpec
  | { kind: "pipe"; id: number; end: "read" | "write" | "both" }
  | SharedFileDesc;

/** Describe fd `fd` for the host, or null when it cannot be inherited. */
function describe(k: Kernel, fd: number): Desc | null {
  const of = k.fds.get(fd);
  const h = of.handle;
  if (h instanceof SharedPipeHandle) return { kind: "pipe", id: h.id, end: h.side };
  // A FIFO opened O_RDWR: the child gets both ends as one O_RDWR fd.
  if (h instanceof DuplexPipeHandle) return { kind: "pipe", id: h.id, end: "both" };
  if (h.kind === "dev") {
    const uri = `dev:${(h as unknown as { dev?: string }).dev}`;
    if (uri === "dev:stdin" || uri === "dev:stdout" || uri === "dev:stderr") {
      return { kind: "host", uri };
    }
    if (h.path === "/dev/null") return { kind: "null" };
    return null;
  }
  if (h.kind === "file") {
    // A host file: the child shares this open file description (one position).
    const shared = shareFile(k, of);
    if (shared) return shared;
    const flags = of.flags & ~(O.CREAT | O.EXCL | O.TRUNC | O.CLOEXEC);
    return { kind: "open", path: h.path, flags, mode: 0, offset: of.offset };
  }
  return null;
}

/** The child's fds after applying `actions` to the caller's inheritable ones. */
export function inheritableFds(k: Kernel, actions: readonly FdAction[]): Map<number, Desc> {
  const m = new Map<number, Desc>();
  for (const fd of k.fds.fds()) {
    if (k.fds.slot(fd).cloexec) continue;
    const d = describe(k, fd);
    if (d) m.set(fd, d);
  }
  for (const a of actions) {
    if (!Number.isInteger(a.fd) || a.fd < 0 || a.fd >= k.fds.maxFds) {
      throw new ErrnoError(Errno.EBADF, `bad fd ${a.fd} in a spawn action`);
    }
    if (a.op === "close") m.delete(a.fd);
    else if (a.op === "dup2") {
      const d = m.get(a.fd) ?? (k.fds.fds().includes(a.fd) ? describe(k, a.fd) : null);
      if (!d) throw new ErrnoError(Errno.EBADF, `fd ${a.fd} cannot be given to a child`);
      m.set(a.newfd, d);
    } else {
      const path = a.path.startsWith("/") ? a.path : `${joinAbs(k.cwd)}/${a.path}`;
      m.set(a.fd, { kind: "open", path, flags: a.flags, mode: a.mode ?? 0o666, offset: 0 });
    }
  }
  return m;
}

/** Resolve a program name to what process_create takes (`builtin:<name>` or a guest path). */
export function resolveProgram(k: Kernel, program: string, searchPath: string): string {
  if (program === "") throw new ErrnoError(Errno.ENOENT, "empty program name");
  if (!program.includes("/")) {
    for (const dir of searchPath.split(":")) {
      if (dir === "/bin" && isBuiltin(program)) return `builtin:${program}`;
      if (dir === "" || dir === "/bin") continue;
      const cand = `${dir.replace(/\/$/, "")}/${program}`;
      try {
        fstatat(k, AT_FDCWD, cand, 0);
      } catch (_e) {
        continue; // not in this PATH entry
      }
      return realProgram(k, cand);
    }
    throw new ErrnoError(Errno.ENOENT, `${program}: command not found`);
  }
  return realProgram(k, program);
}

function realProgram(k: Kernel, program: string): string {
  const abs = normalizeAbs(program.startsWith("/") ? program : `${joinAbs(k.cwd)}/${program}`);
  const m = /^\/bin\/([^/]+)$/.exec(abs);
  if (m && isBuiltin(m[1]!)) return `builtin:${m[1]}`;
  // Symlinks are the guest's business: the host gets a symlink-free path.
  return realpath(k, abs);
}

/** Deno's flags of `deno run` that take a value (skipped when looking for the script). */
const DENO_VALUE_FLAGS = new Set(["--config", "-c", "--import-map", "--v8-flags", "--env-file"]);

/**
 * The sandbox's `deno` (/bin/deno, `Deno.execPath()`): `deno run [flags] script args…` runs
 * `script` (a path or a file: URL) as a picoprocess with argv `[script, args…]` (the flags
 * are Deno's: the sandbox's permissions are the manifest's). Anything else is ENOENT. `argv` is
 * the whole command line.
 */
export function denoRun(argv: readonly string[]): { program: string; argv: string[] } {
  if (argv[1] !== "run") {
    throw new ErrnoError(Errno.ENOENT, `only "deno run <script>" runs in the sandbox`);
  }
  let i = 2;
  while (i < argv.length && argv[i]!.startsWith("-")) {
    i += DENO_VALUE_FLAGS.has(argv[i]!) && !argv[i]!.includes("=") ? 2 : 1;
  }
  let script = argv[i];
  if (script === undefined) throw new ErrnoError(Errno.ENOENT, "deno run: no script given");
  if (script.startsWith("file://")) script = decodeURIComponent(new URL(script).pathname);
  return { program: script, argv: [script, ...argv.slice(i + 1)] };
}

/** Whether `program` names the sandbox's deno: `deno`, or a path whose last part is `deno`
 * (`/bin/deno`, a host's `/usr/bin/deno` in a script written for outside). */
function isDeno(program: string): boolean {
  return program === "deno" || program.endsWith("/deno");
}

/** posix_spawn: start `req` as a child. @returns the child's pid */
export function spawn(
  k: Kernel,
  req: SpawnRequest,
  env: Readonly<Record<string, string>>,
  fork?: { entry: string; state: unknown },
): number {
  let target = { program: req.program, argv: req.argv ?? k.init.argv };
  if (!fork && isDeno(req.program)) target = denoRun(req.argv ?? [req.program]);
  const program = fork ? "fork" : resolveProgram(k, target.program, env.PATH ?? "/bin");
  const fds = [...inheritableFds(k, req.fdActions ?? [])].map(([fd, spec]) => ({ fd, spec }));
  const spec = {
    program,
    argv: target.argv,
    env: req.env ?? env,
    cwd: req.cwd ?? joinAbs(k.cwd),
    fds,
    umask: k.umask,
    ...(req.pgid !== undefined ? { pgid: req.pgid } : {}),
    ...(fork ? { fork: fork.entry } : {}),
  };
  // fork: the state travels with a copy of the private memory (pal/guest/local_state.ts).
  const state = fork
    ? new Uint8Array(serialize({ state: fork.state, memory: snapshotProcessSpace() }))
    : new Uint8Array(0);
  try {
    return k.pal.call("process_create", spec, state);
  } catch (e) {
    throw palToErrno(e, req.program);
  }
}

/** waitpid(2). */
export function waitpid(k: Kernel, pid: number, options: number): WaitResult {
  try {
    return k.pal.call("process_wait", pid, options) as WaitResult;
  } catch (e) {
    throw palToErrno(e);
  }
}

/** waitpid(2) that lets the event loop run while it waits. */
export async function waitpidAsync(k: Kernel, pid: number, options: number): Promise<WaitResult> {
  try {
    return await k.pal.callAsync("process_wait", pid, options) as WaitResult;
  } catch (e) {
    throw palToErrno(e);
  }
}

/** setpgid(2). */
export function setpgid(k: Kernel, pid: number, pgid: number): void {
  try {
    k.pal.call("process_setpgid", pid, pgid);
  } catch (e) {
    throw palToErrno(e);
  }
}

/** The sandbox's process table (ps, /proc). */
export interface ProcEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  /** R running, S sleeping, T stopped, Z zombie. */
  readonly state: string;
  readonly exe: string;
  readonly argv: readonly string[];
  readonly startMs: number;
}

/** The sandbox's warm-spawn pool: Workers booted and waiting, all idle ones, and its aim. */
export interface SpawnPoolInfo {
  readonly ready: number;
  readonly idle: number;
  readonly target: number;
  /** Workers the pool got back from ended processes so far (recycled: proc_pool.ts `give`). */
  readonly recycled: number;
}

/** process_info: this process's ids, the sandbox's process table and its spawn pool. */
export function processInfo(
  k: Kernel,
): {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  processes: ProcEntry[];
  spawnPool?: SpawnPoolInfo;
} {
  try {
    return k.pal.call("process_info") as ReturnType<typeof processInfo>;
  } catch (e) {
    throw palToErrno(e);
  }
}
