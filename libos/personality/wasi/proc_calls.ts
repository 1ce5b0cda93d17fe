/**
 * The `sandpiper_proc` import module: processes for WASI programs (pipe, spawn, wait, kill) over
 * the libOS process calls. Every function returns a WASI errno (0 = success) and writes results
 * through checked out-pointers. Declared for C in tests/wasi/src/sandpiper_proc.h.
 */
import { O, type Sys } from "../../sys/types.ts";
import type { FdAction } from "../../proc/process.ts";
import { WasiErrno } from "./constants.ts";
import { WasiError } from "./errno.ts";
import { guard } from "./imports.ts";
import type { GuestMemory } from "./memory.ts";

/** The import module name. */
export const PROC_MODULE = "sandpiper_proc";

/** Most entries of a spawn's fd map: the child's stdin, stdout and stderr (fds from 3 on are
 * the child's own preopens). */
export const MAX_FD_MAP = 3;
const MAX_LIST_BYTES = 64 * 1024;

/** Linux signal number of a WASI signal (they differ from SIGCHLD = 16 on). */
function linuxSignal(sig: number): number {
  if (!Number.isInteger(sig) || sig < 1 || sig > 30) throw new WasiError(WasiErrno.INVAL);
  return sig < 16 ? sig : sig + 1;
}

/** NUL-separated strings (a trailing NUL is optional). */
function list(mem: GuestMemory, ptr: number, len: number): string[] {
  if (len === 0) return [];
  if (len > MAX_LIST_BYTES) throw new WasiError(WasiErrno.TOOBIG);
  const text = mem.string(ptr, len);
  return (text.endsWith("\0") ? text.slice(0, -1) : text).split("\0");
}

function envOf(items: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of items) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new WasiError(WasiErrno.INVAL, `bad environment entry ${kv.slice(0, 40)}`);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

/**
 * File actions giving the child exactly `map` (child fd i := parent fd map[i], -1 = /dev/null)
 * and nothing else: sources are first copied to spare high fds so a swap cannot clobber them.
 */
function fdActions(sys: Sys, map: number[], parentFds: number[], maxFds: number): FdAction[] {
  const taken = new Set([...parentFds, ...map]);
  const spare: number[] = [];
  for (let fd = maxFds - 1; fd >= 0 && spare.length < map.length; fd--) {
    if (!taken.has(fd)) spare.push(fd);
  }
  if (spare.length < map.length) throw new WasiError(WasiErrno.MFILE);
  const acts: FdAction[] = [];
  map.forEach((src, i) => {
    if (src >= 0) {
      sys.fstat(src); // badf for a parent fd that is not open
      acts.push({ op: "dup2", fd: src, newfd: spare[i]! });
    }
  });
  for (const fd of parentFds) acts.push({ op: "close", fd });
  map.forEach((src, i) => {
    if (src >= 0) {
      acts.push({ op: "dup2", fd: spare[i]!, newfd: i }, { op: "close", fd: spare[i]! });
    } else {
      acts.push({ op: "open", fd: i, path: "/dev/null", flags: i === 0 ? O.RDONLY : O.WRONLY });
    }
  });
  return acts;
}

/** The open fds of this process (probed through fstat, as Sys has no listing call). */
function openFds(sys: Sys, maxFds: number): number[] {
  const out: number[] = [];
  for (let fd = 0; fd < maxFds; fd++) {
    try {
      sys.fstat(fd);
      out.push(fd);
    } catch (_e) {
      // not open
    }
  }
  return out;
}

/**
 * The `sandpiper_proc` functions of one instance.
 *
 * @param sys the picoprocess's libOS
 * @param mem the instance's memory (bound before the first call)
 * @param maxFds the fd limit (the child's fds are placed below it)
 * @returns name → function, each answering a WASI errno
 */
export function procImports(
  sys: Sys,
  mem: GuestMemory,
  maxFds: number,
): Record<string, (...args: never[]) => number> {
  return guard(
    {
      pipe(readOut: number, writeOut: number): number {
        mem.check(readOut, 4);
        mem.check(writeOut, 4);
        const [r, w] = sys.pipe(O.CLOEXEC);
        mem.setU32(readOut, r);
        mem.setU32(writeOut, w);
        return 0;
      },
      spawn(
        path: number,
        pathLen: number,
        argv: number,
        argvLen: number,
        env: number,
        envLen: number,
        fdMap: number,
        fdMapLen: number,
        pidOut: number,
      ): number {
        mem.check(pidOut, 4);
        if (fdMapLen > MAX_FD_MAP) throw new WasiError(WasiErrno.INVAL, "fd map too long");
        mem.check(fdMap, fdMapLen * 4);
        const program = mem.string(path, pathLen);
        if (!program.startsWith("/")) throw new WasiError(WasiErrno.INVAL, "path must be absolute");
        const args = list(mem, argv, argvLen);
        const map = Array.from({ length: fdMapLen }, (_, i) => mem.u32(fdMap + 4 * i) | 0);
        const pid = sys.spawn({
          program,
          argv: args.length > 0 ? args : [program],
          ...(envLen > 0 ? { env: envOf(list(mem, env, envLen)) } : {}),
          fdActions: fdActions(sys, map, openFds(sys, maxFds), maxFds),
        });
        mem.setU32(pidOut, pid);
        return 0;
      },
      wait(pid: number, options: number, pidOut: number, statusOut: number): number {
        mem.check(pidOut, 4);
        mem.check(statusOut, 4);
        if (options & ~1) throw new WasiError(WasiErrno.INVAL, "unknown wait options");
        const r = sys.waitpid(pid, options);
        mem.setU32(pidOut, r.pid);
        mem.setU32(statusOut, r.code);
        return 0;
      },
      kill(pid: number, sig: number): number {
        sys.kill(pid, linuxSignal(sig));
        return 0;
      },
    } as Parameters<typeof guard>[0],
  );
}
