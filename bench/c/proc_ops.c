/* Baselines of bench/proc_bench.ts. Usage: proc_ops MODE N -> prints nanoseconds per op.
 * MODE: fork_exit | fork_exec | signal_rtt | msg_rtt | sem_pingpong */
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

static void on_usr1(int s) { (void)s; }

struct msg { long type; char b[1]; };

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "fork_exit";
  long n = argc > 2 ? atol(argv[2]) : 1000;
  double t0 = 0;
  if (!strcmp(mode, "fork_exit") || !strcmp(mode, "fork_exec")) {
    int exec = !strcmp(mode, "fork_exec");
    t0 = now_ns();
    for (long i = 0; i < n; i++) {
      pid_t p = fork();
      if (p == 0) {
        if (exec) execl("/bin/true", "true", (char *)0);
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
      kill(p, SIGUSR1);
      sigwait(&set, &sig);
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
      m.type = 1;
      msgsnd(q, &m, 1, 0);
      msgrcv(q, &m, 1, 2, 0);
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
      semop(s, &up0, 1);
      semop(s, &down1, 1);
    }
    waitpid(p, 0, 0);
    semctl(s, 0, IPC_RMID);
  } else {
    return 2;
  }
  printf("%.0f\n", (now_ns() - t0) / n);
  return 0;
}
