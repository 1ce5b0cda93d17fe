// Every entry fd_readdir lists either has a nonzero d_ino or can be fstatat()ed beneath the
// directory. Older wasi-libc (Yosys's build among them) fstatat()s each entry whose d_ino is 0
// to fill it in and fails the whole readdir if that fails; fstatat(dirfd, "..") escapes the
// directory and is refused, so a ".." with d_ino 0 broke scandir() of every directory (Yosys's
// ABC step exited 1 cleaning up its temp dir). Then the scandir/remove/rmdir walk Yosys does.
//   readdir_ino <dir>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int fail(const char *what) {
  printf("FAIL %s\n", what);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) return fail("usage");
  char sub[256], path[300];
  snprintf(sub, sizeof sub, "%s/readdir-ino", argv[1]);
  if (mkdir(sub, 0755) != 0) return fail("mkdir");
  const char *names[] = {"a.txt", "b.txt", "c.txt"};
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/%s", sub, names[i]);
    FILE *f = fopen(path, "w");
    if (!f) return fail("create");
    fputs("x\n", f);
    fclose(f);
  }
  // The raw call: every entry has d_ino != 0.
  int fd = open(sub, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return fail("open dir");
  static unsigned char buf[4096];
  __wasi_size_t used = 0;
  if (__wasi_fd_readdir(fd, buf, sizeof buf, 0, &used) != 0) return fail("fd_readdir");
  int n = 0;
  for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
    __wasi_dirent_t d;
    memcpy(&d, buf + off, sizeof d);
    const char *name = (const char *)buf + off + sizeof d;
    char nm[64];
    snprintf(nm, sizeof nm, "%.*s", (int)d.d_namlen, name);
    struct stat st;
    if (d.d_ino == 0 && fstatat(fd, nm, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      printf("FAIL d_ino 0 and fstatat fails for %s\n", nm);
      return 1;
    }
    if (strcmp(nm, ".") && strcmp(nm, "..")) n++;
    off += sizeof d + d.d_namlen;
  }
  close(fd);
  if (n != 3) return fail("entries");
  // What Yosys does with its temp dir: scandir, stat + remove each file, rmdir.
  struct dirent **list;
  int k = scandir(sub, &list, NULL, alphasort);
  if (k < 0) return fail("scandir");
  int removed = 0;
  for (int i = 0; i < k; i++) {
    if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
      struct stat st;
      snprintf(path, sizeof path, "%s/%s", sub, list[i]->d_name);
      if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || remove(path) != 0) return fail("remove");
      removed++;
    }
    free(list[i]);
  }
  free(list);
  if (removed != 3) return fail("removed");
  if (rmdir(sub) != 0) return fail("rmdir");
  printf("readdir_ino ok\n");
  return 0;
}
