/**
 * Process and signal calls: spawn, fork, execve, waitpid, waitpidAsync, kill, setpgid, getpgid,
 * processes, sigaction, sigprocmask, sigpending. Validation here; the work in libos/proc and
 * libos/signal.
 */
import { Errno, ErrnoError } from "../errno.ts";
import type { Kernel } from "../kernel.ts";
import * as proc from "../proc/process.ts";
import type { Disposition } from "../signal/signals.ts";
import { execve as doExec } from "../proc/exec.ts";
import { currentLibos } from "../libos.ts";

function checkInt(n: number, what: string): void {
  if (!Number.isSafeInteger(n)) throw new ErrnoError(Errno.EINVAL, `bad ${what} ${n}`);
}

/** posix_spawn(3). */
export function spawn(k: Kernel, req: proc.SpawnRequest): number {
  if (typeof req?.program !== "string") throw new ErrnoError(Errno.EINVAL, "program required");
  return proc.spawn(k, req, req.env ?? Object.fromEntries(k.env));
}

/** fork-with-state: the child runs this program's export `entry` with a copy of `state`. */
export function fork(
  k: Kernel,
  entry: string,
  state: unknown,
  req: Partial<proc.SpawnRequest> = {},
): number {
  if (typeof entry !== "string" || !/^[A-Za-z_$][\w$]*$/.test(entry)) {
    throw new ErrnoError(Errno.EINVAL, `bad entry name ${entry}`);
  }
  return proc.spawn(k, { program: "", ...req }, req.env ?? Object.fromEntries(k.env), {
    entry,
    state,
  });
}

/** execve(2): replace the program; never returns (ENOENT etc. leave the caller running). */
export function execve(
  k: Kernel,
  path: string,
  argv: readonly string[],
  env?: Readonly<Record<string, string>>,
): never {
  if (typeof path !== "string" || !Array.isArray(argv)) {
    throw new ErrnoError(Errno.EINVAL, "execve(path, argv, env?)");
  }
  const os = currentLibos();
  if (!os) throw new ErrnoError(Errno.ENOSYS, "execve outside a picoprocess");
  return doExec(k, path, argv.map(String), env ?? Object.fromEntries(k.env), () => os.vanish());
}

/** waitpid(2): pid > 0, -1 (any child), 0 (my group), < -1 (group -pid); WNOHANG = 1. */
export function waitpid(k: Kernel, pid: number, options = 0): proc.WaitResult {
  checkInt(pid, "pid");
  return proc.waitpid(k, pid, options);
}

/** waitpid(2) without blocking the event loop. */
export function waitpidAsync(k: Kernel, pid: number, options = 0): Promise<proc.WaitResult> {
  checkInt(pid, "pid");
  return proc.waitpidAsync(k, pid, options);
}

/** kill(2): pid > 0, 0 (my group), -1 (everyone but pid 1), < -1 (group -pid). */
export function kill(k: Kernel, pid: number, sig: number): void {
  checkInt(pid, "pid");
  k.signals.kill(pid, sig);
}

/** setpgid(2). */
export function setpgid(k: Kernel, pid: number, pgid: number): void {
  checkInt(pid, "pid");
  checkInt(pgid, "pgid");
  proc.setpgid(k, pid, pgid);
}

/** getpgid(2) of the caller. */
export function getpgid(k: Kernel): number {
  return proc.processInfo(k).pgid;
}

/** The sandbox's process table. */
export function processes(k: Kernel): proc.ProcEntry[] {
  return proc.processInfo(k).processes;
}

/** sigaction(2) (handler, "ignore" or "default"). @returns the previous disposition */
export function sigaction(k: Kernel, sig: number, disp: Disposition): Disposition {
  return k.signals.set(sig, disp);
}

/** sigprocmask(2). @returns the old mask */
export function sigprocmask(k: Kernel, how: number, set: number): number {
  checkInt(set, "mask");
  return k.signals.mask(how, set);
}

/** sigpending(2). */
export function sigpending(k: Kernel): number {
  return k.signals.pending();
}
