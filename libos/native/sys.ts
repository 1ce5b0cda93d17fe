/** The process's Sys for the native API: ENOSYS outside a picoprocess. */
import { Errno, ErrnoError } from "../errno.ts";
import { currentLibos } from "../libos.ts";
import type { Sys } from "../sys/types.ts";

/**
 * The whole `Sys` of this process (every call, including the *at forms, poll and fcntl).
 * @returns the process's Sys
 * @throws {ErrnoError} ENOSYS outside a picoprocess
 * @example
 * ```ts ignore
 * import * as libos from "@sandpiper/sandpiper/libos";
 * const fd = libos.sys().openat(libos.AT_FDCWD, "a.txt", libos.O.RDONLY);
 * ```
 */
export function sys(): Sys {
  const os = currentLibos();
  if (!os) throw new ErrnoError(Errno.ENOSYS, "not running inside a Sandpiper picoprocess");
  return os.sys;
}
