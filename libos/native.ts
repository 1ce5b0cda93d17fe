/**
 * The native libOS API: POSIX-like functions for programs that opt in
 * (`import * as libos from "@sandpiper/sandpiper/libos"`). Each call runs in this picoprocess's
 * libOS, with Linux semantics; failures throw {@link ErrnoError} whose `errno` is a Linux errno
 * (see {@link Errno}) and whose message names the guest path. Outside a picoprocess every call
 * throws ENOSYS.
 * @module
 */

export { ACCESS, AT, AT_FDCWD, LOCK, O, S, SEEK } from "./sys/types.ts";
export type { Dirent, Stat, Sys } from "./sys/types.ts";
export { Errno, ErrnoError, errnoName } from "./errno.ts";
export { sys } from "./native/sys.ts";
export * from "./native/fd.ts";
export * from "./native/path.ts";
export * from "./native/process.ts";
