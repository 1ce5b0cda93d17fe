// Exercises files and directories beneath the first preopen: create, write, read, seek, stat,
// readdir, rename, link, symlink, readlink, truncate, unlink, rmdir, escapes refused.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(x) do { if (!(x)) { printf("FAIL %s:%d %s (errno %d)\n", __FILE__, __LINE__, #x, errno); return 1; } } while (0)

int main(int argc, char **argv) {
  const char *d = argc > 1 ? argv[1] : "/data";
  char p[256], q[256], buf[64];
  CHECK(chdir(d) == 0);
  CHECK(mkdir("sub", 0755) == 0);
  int fd = open("sub/a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, "hello world", 11) == 11);
  CHECK(lseek(fd, 6, SEEK_SET) == 6);
  CHECK(read(fd, buf, 5) == 5 && memcmp(buf, "world", 5) == 0);
  CHECK(pwrite(fd, "W", 1, 6) == 1);
  CHECK(pread(fd, buf, 11, 0) == 11 && memcmp(buf, "hello World", 11) == 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0 && st.st_size == 11 && S_ISREG(st.st_mode));
  CHECK(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5);
  CHECK(close(fd) == 0);
  CHECK(rename("sub/a.txt", "sub/b.txt") == 0);
  CHECK(access("sub/a.txt", F_OK) != 0 && errno == ENOENT);
  CHECK(link("sub/b.txt", "sub/c.txt") == 0);
  CHECK(stat("sub/c.txt", &st) == 0 && st.st_nlink == 2);
  CHECK(symlink("b.txt", "sub/l") == 0);
  ssize_t n = readlink("sub/l", buf, sizeof buf);
  CHECK(n == 5 && memcmp(buf, "b.txt", 5) == 0);
  CHECK(lstat("sub/l", &st) == 0 && S_ISLNK(st.st_mode));
  CHECK(stat("sub/l", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5);
  DIR *dir = opendir("sub");
  CHECK(dir != NULL);
  int count = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) count++;
  }
  closedir(dir);
  CHECK(count == 3);
  CHECK(open("../../../etc/passwd", O_RDONLY) < 0);
  CHECK(open("sub/b.txt/", O_RDONLY) < 0 && errno == ENOTDIR);
  CHECK(rmdir("sub") < 0 && errno == ENOTEMPTY);
  CHECK(unlink("sub/b.txt") == 0 && unlink("sub/c.txt") == 0 && unlink("sub/l") == 0);
  CHECK(rmdir("sub") == 0);
  snprintf(p, sizeof p, "%s/sub", d);
  CHECK(stat(p, &st) != 0 && errno == ENOENT);
  (void)q;
  printf("files ok\n");
  return 0;
}
