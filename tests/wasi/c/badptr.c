// Calls WASI imports directly with pointers and lengths outside linear memory; prints each errno.
// Expected: every call answers 21 (fault), and the program is still alive to print "alive".
#include <stdio.h>
#include <wasi/api.h>

#define BAD ((void *)0xfffffff0u)

// The libc wrapper would strlen() the path (and trap): call the import itself.
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open"))) int
raw_path_open(int fd, int dirflags, int path, int path_len, int oflags, long long base,
              long long inheriting, int fdflags, int out);

int main(void) {
  __wasi_size_t n;
  __wasi_ciovec_t iov = {(const uint8_t *)BAD, 64};
  __wasi_ciovec_t ok = {(const uint8_t *)"x", 1};
  printf("fd_write_iovs=%d\n", __wasi_fd_write(1, (const __wasi_ciovec_t *)BAD, 1, &n));
  printf("fd_write_buf=%d\n", __wasi_fd_write(1, &iov, 1, &n));
  printf("fd_write_out=%d\n", __wasi_fd_write(1, &ok, 1, (__wasi_size_t *)BAD));
  printf("args_sizes_get=%d\n", __wasi_args_sizes_get((__wasi_size_t *)BAD, &n));
  printf("args_get=%d\n", __wasi_args_get((uint8_t **)BAD, (uint8_t *)BAD));
  printf("environ_get=%d\n", __wasi_environ_get((uint8_t **)BAD, (uint8_t *)BAD));
  printf("clock_time_get=%d\n", __wasi_clock_time_get(0, 1, (__wasi_timestamp_t *)BAD));
  printf("random_get=%d\n", __wasi_random_get((uint8_t *)BAD, 100));
  printf("fd_fdstat_get=%d\n", __wasi_fd_fdstat_get(1, (__wasi_fdstat_t *)BAD));
  printf("fd_filestat_get=%d\n", __wasi_fd_filestat_get(1, (__wasi_filestat_t *)BAD));
  printf("fd_read=%d\n", __wasi_fd_read(0, (const __wasi_iovec_t *)BAD, 2, &n));
  printf("poll_oneoff=%d\n", __wasi_poll_oneoff((const __wasi_subscription_t *)BAD,
                                                (__wasi_event_t *)BAD, 1, &n));
  printf("path_open=%d\n", raw_path_open(3, 0, (int)0xfffffff0u, 100, 0, 0, 0, 0, 8));
  printf("path_open_out=%d\n", raw_path_open(3, 0, (int)".", 1, 0, 0, 0, 0, (int)0xfffffffeu));
  printf("alive\n");
  return 0;
}
