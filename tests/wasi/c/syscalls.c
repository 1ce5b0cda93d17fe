// Syscall-heavy micro-program for the bench: many small writes, reads and stats on one file.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "/tmp/bench.dat";
  int rounds = argc > 2 ? atoi(argv[2]) : 20000;
  int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (fd < 0) return 1;
  char b[16] = "0123456789abcdef";
  struct stat st;
  for (int i = 0; i < rounds; i++) {
    if (write(fd, b, sizeof b) != sizeof b) return 2;
  }
  lseek(fd, 0, SEEK_SET);
  for (int i = 0; i < rounds; i++) {
    if (read(fd, b, sizeof b) != sizeof b) return 3;
    if (i % 4 == 0 && fstat(fd, &st) != 0) return 4;
  }
  for (int i = 0; i < rounds / 4; i++) {
    if (stat(path, &st) != 0) return 5;
  }
  close(fd);
  unlink(path);
  printf("%d rounds\n", rounds);
  return 0;
}
