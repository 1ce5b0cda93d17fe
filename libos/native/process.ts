/** Native API, the process: getpid, exec, exit. */
import { sys } from "./sys.ts";

/**
 * This process's id in the sandbox.
 * @returns the pid
 * @throws {ErrnoError} nothing
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const pid = libos.getpid();
 * ```
 */
export function getpid(): number {
  return sys().getpid();
}

/**
 * Replace this process's program (execve): the pid, the fds without FD_CLOEXEC (their open file
 * descriptions shared), cwd, umask, the signal mask and ignored signals stay; never returns.
 * @param path a guest path, or a bare name looked up in PATH (built-ins live in /bin)
 * @param argv the new argv, argv[0] included
 * @param env the new environment (default: this process's current one)
 * @returns never
 * @throws {ErrnoError} ENOENT when there is no such program (the caller keeps running)
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * if (false) libos.exec("echo", ["echo", "replaced"]);
 * ```
 */
export function exec(
  path: string,
  argv: readonly string[],
  env?: Readonly<Record<string, string>>,
): never {
  return sys().execve(path, argv, env);
}

/**
 * End the process with `code`; never returns.
 * @param code exit status
 * @returns never
 * @throws {ErrnoError} nothing
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * if (false) libos.exit(0);
 * ```
 */
export function exit(code: number): never {
  return sys().exit(code);
}
