/* Baseline: pipe bandwidth between two processes with 64 KiB writes.
 * Usage: pipe_bw TOTAL_BYTES  -> prints bytes per second. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#define CHUNK 65536

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long long total = argc > 1 ? atoll(argv[1]) : (256LL << 20);
  static char buf[CHUNK];
  int p[2];
  if (pipe(p)) return 1;
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    close(p[0]);
    for (long long sent = 0; sent < total;) {
      ssize_t n = write(p[1], buf, CHUNK);
      if (n <= 0) _exit(1);
      sent += n;
    }
    _exit(0);
  }
  close(p[1]);
  double t0 = now_ns();
  long long got = 0;
  for (ssize_t n; (n = read(p[0], buf, CHUNK)) > 0;) got += n;
  double t1 = now_ns();
  waitpid(pid, NULL, 0);
  if (got != total) return 1;
  printf("%.0f\n", got / ((t1 - t0) / 1e9));
  return 0;
}
