// Serves one connection on the listening socket the sandbox preopened (fd argv[1]): reads
// "hello", answers it upper-cased, half-closes its side (shutdown SHUT_WR), then reads what the
// peer sends after that until EOF. Exercises sock_accept, sock_recv, sock_send, sock_shutdown.
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what) {
  printf("%s failed: %s\n", what, strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  int lfd = argc > 1 ? atoi(argv[1]) : 3;
  char buf[256];
  if (recv(lfd, buf, 1, 0) >= 0 || errno != ENOTCONN) printf("recv on a listener did not fail\n");
  int c = accept(lfd, NULL, NULL);
  if (c < 0) return fail("accept");
  size_t got = 0;
  while (got < 5) {
    ssize_t n = recv(c, buf + got, 5 - got, 0);
    if (n <= 0) return fail("recv");
    got += (size_t)n;
  }
  for (size_t i = 0; i < got; i++) buf[i] = (char)toupper((unsigned char)buf[i]);
  if (send(c, buf, got, 0) != (ssize_t)got) return fail("send");
  if (shutdown(c, SHUT_WR) != 0) return fail("shutdown");
  got = 0;
  for (;;) {
    ssize_t n = read(c, buf + got, sizeof buf - 1 - got);
    if (n < 0) return fail("read");
    if (n == 0) break;
    got += (size_t)n;
  }
  buf[got] = 0;
  printf("after shutdown: %s\n", buf);
  close(c);
  return 0;
}
