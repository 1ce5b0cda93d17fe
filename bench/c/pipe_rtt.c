/* Baseline: 1-byte round trip over two pipes between two processes.
 * Usage: pipe_rtt ITERATIONS  -> prints nanoseconds per round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  int ping[2], pong[2];
  char c = 'x';
  if (pipe(ping) || pipe(pong)) return 1;
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    for (long i = 0; i < n; i++) {
      if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1) _exit(1);
    }
    _exit(0);
  }
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1) return 1;
  }
  double t1 = now_ns();
  waitpid(pid, NULL, 0);
  printf("%.1f\n", (t1 - t0) / n);
  return 0;
}
