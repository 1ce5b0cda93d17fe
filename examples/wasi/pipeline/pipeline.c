// A two-process pipeline under Sandpiper's sandpiper_proc imports: `produce | consume`, both
// this same module started again as children, connected by an sp_pipe. Then a third child that
// would wait forever on a pipe is ended with sp_kill. Usage: pipeline <own .wasm path> [lines].
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandpiper_proc.h"

static int produce(int n) {
  for (int i = 1; i <= n; i++) printf("line %d\n", i);
  return 0;
}

static int consume(void) {
  char buf[4096];
  long lines = 0, bytes = 0;
  ssize_t k;
  while ((k = read(0, buf, sizeof buf)) > 0) {
    bytes += k;
    for (ssize_t i = 0; i < k; i++) lines += buf[i] == '\n';
  }
  printf("consumer: %ld lines, %ld bytes\n", lines, bytes);
  return lines > 0 ? 0 : 3;
}

static int spawn(const char *self, const char *role, const char *arg, int in, int out,
                 int *pid) {
  char argv[256];
  int len = snprintf(argv, sizeof argv, "pipeline%c%s%c%s%c%s", 0, self, 0, role, 0, arg);
  int map[3] = {in, out, 2};
  return sp_spawn(self, strlen(self), argv, (size_t)len + 1, NULL, 0, map, 3, pid);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: pipeline <own .wasm path> [lines]\n");
    return 2;
  }
  const char *self = argv[1];
  if (argc > 2 && strcmp(argv[2], "produce") == 0) return produce(atoi(argv[3]));
  if (argc > 2 && strcmp(argv[2], "consume") == 0) return consume();
  const char *n = argc > 2 ? argv[2] : "1000";
  int r, w, producer, consumer, e;
  if ((e = sp_pipe(&r, &w)) != 0) return fprintf(stderr, "pipe: errno %d\n", e), 1;
  if ((e = spawn(self, "produce", n, -1, w, &producer)) != 0) {
    return fprintf(stderr, "spawn producer: errno %d\n", e), 1;
  }
  if ((e = spawn(self, "consume", "", r, 1, &consumer)) != 0) {
    return fprintf(stderr, "spawn consumer: errno %d\n", e), 1;
  }
  close(r);  // the children hold the ends now: the consumer sees EOF when the producer exits
  close(w);
  int got, status;
  for (int i = 0; i < 2; i++) {
    if ((e = sp_wait(-1, 0, &got, &status)) != 0) return fprintf(stderr, "wait: errno %d\n", e), 1;
    printf("%s exited %d\n", got == producer ? "producer" : "consumer", status);
  }
  // A consumer whose writer never writes nor closes: only a signal ends it.
  if ((e = sp_pipe(&r, &w)) != 0) return 1;
  int stuck;
  if ((e = spawn(self, "consume", "", r, 1, &stuck)) != 0) return 1;
  if ((e = sp_kill(stuck, 15)) != 0) return fprintf(stderr, "kill: errno %d\n", e), 1;
  if ((e = sp_wait(stuck, 0, &got, &status)) != 0) return 1;
  printf("killed consumer exited %d\n", status);
  if (sp_wait(-1, 1, &got, &status) == 0) printf("no child left? %d\n", got);
  return 0;
}
