/**
 * execve: replace this process's program. The host starts a new Worker for the same pid with
 * the fds that have no FD_CLOEXEC (open file descriptions stay shared: libos/proc/share.ts) and
 * ends this one without reporting an exit. Caught signals become default, ignored ones stay
 * ignored, the mask and pending set stay (the signal page is kept); cwd and umask carry over.
 */
import { palToErrno } from "../errno.ts";
import type { Kernel } from "../kernel.ts";
import { joinAbs } from "../vfs/path.ts";
import { inheritableFds, resolveProgram } from "./process.ts";

/**
 * Replace the program with `path` (a guest path or a bare name looked up in PATH).
 * @param vanish ends this Worker once the host has taken over (never returns)
 * @throws {ErrnoError} ENOENT when the program cannot be found; nothing happens then
 */
export function execve(
  k: Kernel,
  path: string,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  vanish: () => never,
): never {
  const program = resolveProgram(k, path, env.PATH ?? k.env.get("PATH") ?? "/bin");
  const fds = [...inheritableFds(k, [])].map(([fd, spec]) => ({ fd, spec }));
  const spec = { program, argv, env, cwd: joinAbs(k.cwd), fds, umask: k.umask };
  try {
    k.pal.call("process_exec", spec);
  } catch (e) {
    throw palToErrno(e, path);
  }
  return vanish();
}
