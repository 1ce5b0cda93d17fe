/**
 * The import table: the 46 wasi_snapshot_preview1 functions of one instance, each wrapped so
 * that whatever a call throws becomes its errno (only proc_exit's unwinding passes through).
 */
import type { WasiCtx } from "./ctx.ts";
import { toWasiErrno } from "./errno.ts";
import { fdCalls } from "./fd_calls.ts";
import { miscCalls } from "./misc_calls.ts";
import { pathCalls } from "./path_calls.ts";
import { pollCalls } from "./poll.ts";
import { sockCalls } from "./sock_calls.ts";

/** The import module name this personality serves. */
export const WASI_MODULE = "wasi_snapshot_preview1";

/** The names of the 46 preview1 functions, sorted. */
export const WASI_FUNCTIONS: readonly string[] = [
  "args_get",
  "args_sizes_get",
  "clock_res_get",
  "clock_time_get",
  "environ_get",
  "environ_sizes_get",
  "fd_advise",
  "fd_allocate",
  "fd_close",
  "fd_datasync",
  "fd_fdstat_get",
  "fd_fdstat_set_flags",
  "fd_fdstat_set_rights",
  "fd_filestat_get",
  "fd_filestat_set_size",
  "fd_filestat_set_times",
  "fd_pread",
  "fd_prestat_dir_name",
  "fd_prestat_get",
  "fd_pwrite",
  "fd_read",
  "fd_readdir",
  "fd_renumber",
  "fd_seek",
  "fd_sync",
  "fd_tell",
  "fd_write",
  "path_create_directory",
  "path_filestat_get",
  "path_filestat_set_times",
  "path_link",
  "path_open",
  "path_readlink",
  "path_remove_directory",
  "path_rename",
  "path_symlink",
  "path_unlink_file",
  "poll_oneoff",
  "proc_exit",
  "proc_raise",
  "random_get",
  "sched_yield",
  "sock_accept",
  "sock_recv",
  "sock_send",
  "sock_shutdown",
];

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => number;

/** Wrap every function of `calls` so that a thrown error becomes an errno. */
export function guard(calls: Record<string, AnyFn>): Record<string, AnyFn> {
  const out: Record<string, AnyFn> = {};
  for (const [name, fn] of Object.entries(calls)) {
    // deno-lint-ignore no-explicit-any
    out[name] = (...args: any[]): number => {
      try {
        return fn(...args);
      } catch (e) {
        return toWasiErrno(e);
      }
    };
  }
  return out;
}

/**
 * The `wasi_snapshot_preview1` import object of one instance.
 *
 * @param c the instance's context (memory bound before the first call).
 * @returns name → function for all 46 functions.
 */
export function wasiImports(c: WasiCtx): Record<string, AnyFn> {
  return guard({
    ...fdCalls(c),
    ...pathCalls(c),
    ...miscCalls(c),
    ...pollCalls(c),
    ...sockCalls(c),
  } as Record<string, AnyFn>);
}
