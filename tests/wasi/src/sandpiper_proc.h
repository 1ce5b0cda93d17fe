// sandpiper_proc: processes for WASI programs under Sandpiper (docs/wasi.md). Every function
// returns a WASI errno (0 = success) and writes its results through the pointers it is given.
#ifndef SANDPIPER_PROC_H
#define SANDPIPER_PROC_H
#include <stddef.h>

#define SP_IMPORT(name) __attribute__((import_module("sandpiper_proc"), import_name(name)))

// A pipe; both ends are fds of this program (close-on-spawn: give them to a child via fd_map).
SP_IMPORT("pipe") int sp_pipe(int *read_fd, int *write_fd);

// Start the .wasm at `path` (an absolute guest path inside a mount) as a child picoprocess.
// argv and env are NUL-separated lists (env_len 0: this program's environment). The child's
// fd i is this program's fd fd_map[i] (-1: /dev/null), for i < fd_map_len <= 3; no other fd is
// inherited, and the child's preopens are the manifest's mounts, as for any WASI process.
SP_IMPORT("spawn")
int sp_spawn(const char *path, size_t path_len, const char *argv_buf, size_t argv_len,
             const char *env_buf, size_t env_len, const int *fd_map, size_t fd_map_len,
             int *pid);

// Wait for child `pid` (-1: any child); options 1 = WNOHANG (then *out_pid may be 0).
// *status is the exit status: the code, or 128 + n when signal n ended the child.
SP_IMPORT("wait") int sp_wait(int pid, int options, int *out_pid, int *status);

// Send WASI signal `sig` (e.g. 15 = SIGTERM) to `pid`.
SP_IMPORT("kill") int sp_kill(int pid, int sig);

#endif
