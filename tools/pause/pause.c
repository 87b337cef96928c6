/* The pod sandbox's first process ("pause"): holds the pod's namespaces, reaps zombies, and
 * exits on SIGINT/SIGTERM. Built static by scripts/cluster-images.sh into an image FROM scratch,
 * since registry.k8s.io/pause can't be pulled here. Same behaviour as Kubernetes' own pause.c. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig) {
  (void)sig;
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  if (getpid() != 1) fprintf(stderr, "pause: warning: not pid 1\n");
  struct sigaction a = {.sa_handler = quit};
  struct sigaction r = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGINT, &a, NULL) < 0 || sigaction(SIGTERM, &a, NULL) < 0 || sigaction(SIGCHLD, &r, NULL) < 0)
    return 1;
  for (;;) pause();
}
