/* Baseline: anonymous mmap + touch + munmap of one 4 KiB page.
 * Usage: mmap_cycle ITERATIONS  -> prints nanoseconds per alloc/free pair. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/mman.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    p[0] = 1;
    munmap((void *)p, 4096);
  }
  printf("%.1f\n", (now_ns() - t0) / n);
  return 0;
}
