/* Baselines of bench/proc_bench.ts. Usage: proc_ops MODE N [p50] -> prints nanoseconds per op:
 * the mean, or with "p50" (round-trip modes) the median of the single ops, each timed alone.
 * MODE: fork_exit | fork_exec | sh_pipeline | signal_rtt | msg_rtt | sem_pingpong
 * (sh_pipeline: fork + exec of /bin/sh -c "echo a | cat | wc -c >/dev/null", then waitpid) */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Per-op times when "p50" was asked for (else NULL). */
static double *each;
static double op_t0;
#define OP_START() (each ? (op_t0 = now_ns()) : 0)
#define OP_END(i) (each ? (each[i] = now_ns() - op_t0) : 0)

static void on_usr1(int s) { (void)s; }

struct msg { long type; char b[1]; };

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "fork_exit";
  long n = argc > 2 ? atol(argv[2]) : 1000;
  if (argc > 3 && !strcmp(argv[3], "p50")) {
    each = malloc(sizeof(double) * n);
    if (!each) return 1;
  }
  double t0 = 0;
  if (!strcmp(mode, "fork_exit") || !strcmp(mode, "fork_exec") || !strcmp(mode, "sh_pipeline")) {
    int exec = !strcmp(mode, "fork_exec");
    int sh = !strcmp(mode, "sh_pipeline");
    t0 = now_ns();
    for (long i = 0; i < n; i++) {
      pid_t p = fork();
      if (p == 0) {
        if (exec) execl("/bin/true", "true", (char *)0);
        if (sh) execl("/bin/sh", "sh", "-c", "echo a | cat | wc -c >/dev/null", (char *)0);
        _exit(0);
      }
      waitpid(p, 0, 0);
    }
  } else if (!strcmp(mode, "signal_rtt")) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, 0);
    signal(SIGUSR1, on_usr1);
    pid_t parent = getpid();
    pid_t p = fork();
    int sig;
    if (p == 0) {
      for (long i = 0; i < n; i++) {
        sigwait(&set, &sig);
        kill(parent, SIGUSR1);
      }
      _exit(0);
    }
    t0 = now_ns();
    for (long i = 0; i < n; i++) {
      OP_START();
      kill(p, SIGUSR1);
      sigwait(&set, &sig);
      OP_END(i);
    }
    waitpid(p, 0, 0);
  } else if (!strcmp(mode, "msg_rtt")) {
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    struct msg m = {1, {'x'}};
    pid_t p = fork();
    if (p == 0) {
      for (long i = 0; i < n; i++) {
        msgrcv(q, &m, 1, 1, 0);
        m.type = 2;
        msgsnd(q, &m, 1, 0);
      }
      _exit(0);
    }
    t0 = now_ns();
    for (long i = 0; i < n; i++) {
      OP_START();
      m.type = 1;
      msgsnd(q, &m, 1, 0);
      msgrcv(q, &m, 1, 2, 0);
      OP_END(i);
    }
    waitpid(p, 0, 0);
    msgctl(q, IPC_RMID, 0);
  } else if (!strcmp(mode, "sem_pingpong")) {
    int s = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    struct sembuf up0 = {0, 1, 0}, down0 = {0, -1, 0}, up1 = {1, 1, 0}, down1 = {1, -1, 0};
    pid_t p = fork();
    if (p == 0) {
      for (long i = 0; i < n; i++) {
        semop(s, &down0, 1);
        semop(s, &up1, 1);
      }
      _exit(0);
    }
    t0 = now_ns();
    for (long i = 0; i < n; i++) {
      OP_START();
      semop(s, &up0, 1);
      semop(s, &down1, 1);
      OP_END(i);
    }
    waitpid(p, 0, 0);
    semctl(s, 0, IPC_RMID);
  } else {
    return 2;
  }
  if (each && strcmp(mode, "fork_exit") && strcmp(mode, "fork_exec") && strcmp(mode, "sh_pipeline")) {
    qsort(each, n, sizeof(double), cmp_double);
    printf("%.0f\n", each[n / 2]);
    return 0;
  }
  printf("%.0f\n", (now_ns() - t0) / n);
  return 0;
}
