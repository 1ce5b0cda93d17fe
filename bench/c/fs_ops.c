/* Native baseline for bench/fs_bench.ts: µs per open+close or stat of one file.
 * Usage: fs_ops open|stat PATH ITERATIONS — prints the µs per operation. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  int n = atoi(argv[3]);
  int is_open = strcmp(argv[1], "open") == 0;
  struct stat st;
  double t0 = now_us();
  for (int i = 0; i < n; i++) {
    if (is_open) {
      int fd = open(argv[2], O_RDONLY);
      if (fd < 0) return 1;
      close(fd);
    } else if (stat(argv[2], &st) != 0) {
      return 1;
    }
  }
  printf("%f\n", (now_us() - t0) / n);
  return 0;
}
