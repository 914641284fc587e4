// berth-init: PID 1 of a container whose task sets initProcessEnabled (what
// tini is for `docker run --init`). It runs the command as its child,
// forwards every signal it gets to that child, reaps every zombie the
// container's orphans leave, and exits as the child did (its exit code, or
// 128 + the signal that killed it, as tini does).
//
//   berth-init -- <command> [args...]
//
// Statically linked: it is bind-mounted into containers whose root holds no
// C library of ours. Plain C calls only, no allocation after start.

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

int Usage() {
  fprintf(stderr, "usage: berth-init -- <command> [args...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0) {
    ++first;
  }
  if (first >= argc) {
    return Usage();
  }

  // Signals are taken with sigwaitinfo. A blocked signal is queued even for
  // the init of a PID namespace, which the kernel would otherwise spare
  // from signals it has no handler for.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);

  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "berth-init: fork: %s\n", strerror(errno));
    return 1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    execvp(argv[first], argv + first);
    int err = errno;
    fprintf(stderr, "berth-init: exec %s failed: %s\n", argv[first], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) {
      continue;  // EINTR
    }
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    for (;;) {
      int status = 0;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) {
        break;
      }
      if (pid == child) {
        // The rest of the PID namespace is killed by the kernel when we go.
        if (WIFEXITED(status)) {
          return WEXITSTATUS(status);
        }
        return 128 + WTERMSIG(status);
      }
    }
  }
}
