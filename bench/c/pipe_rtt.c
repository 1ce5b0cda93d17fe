/* Baseline: 1-byte round trip over two pipes between two processes.
 * Usage: pipe_rtt ITERATIONS [p50] -> prints nanoseconds per round trip: the mean, or with
 * "p50" the median of the single round trips (each timed on its own). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  int p50 = argc > 2 && !strcmp(argv[2], "p50");
  double *each = p50 ? malloc(sizeof(double) * n) : NULL;
  if (p50 && !each) return 1;
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
    double s = p50 ? now_ns() : 0;
    if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1) return 1;
    if (p50) each[i] = now_ns() - s;
  }
  double t1 = now_ns();
  waitpid(pid, NULL, 0);
  if (p50) {
    qsort(each, n, sizeof(double), cmp_double);
    printf("%.1f\n", each[n / 2]);
  } else {
    printf("%.1f\n", (t1 - t0) / n);
  }
  return 0;
}
