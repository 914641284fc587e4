// berth-shim: what a container's shim becomes once the container runs
// (launch.h). It waits for the container, records how it ended, stays until
// the container's output has been read, and exits as the container did.
// Started only by the shim's execveat, with its fds in the slots of
// shim_fds.h and one argument, the agent's pid. Static and small (no
// allocation, nothing of the project but the record format), so that each
// container's monitor costs a few pages, not a copy of the agent.

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "agent/runtime/record_format.h"
#include "agent/runtime/shim_fds.h"

namespace berth::agent::runtime {
namespace {

void SetDisposition(int sig, void (*handler)(int)) {
  struct sigaction act;
  memset(&act, 0, sizeof(act));
  act.sa_handler = handler;
  sigaction(sig, &act, nullptr);
}

// The agent's pid: decimal digits, positive, at most a pid's range.
bool ParsePid(const char* text, long* out) {
  long v = 0;
  if (*text == '\0') {
    return false;
  }
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9' || v > (INT32_MAX - 9) / 10) {
      return false;
    }
    v = v * 10 + (*p - '0');
  }
  *out = v;
  return v > 0;
}

// After the container's exit: stays until what it wrote has been read (the
// pipes are empty), as containerd's shim stays until its output is taken, so
// nothing is lost when the agent is down: a restarted agent reattaches, takes
// the pipes back and reads them, then we go. While the launching agent is
// still our parent and reads nothing for 2 s, we go anyway (it has given up
// on the output; the exit must not wait for it).
void WaitForOutputRead(long launcher) {
  int last = -1;
  timespec stalled_since;
  clock_gettime(CLOCK_MONOTONIC, &stalled_since);
  long delay_ns = 500000;
  for (;;) {
    int out = 0;
    int err = 0;
    if (ioctl(kShimStdoutFd, FIONREAD, &out) != 0) {
      out = 0;
    }
    if (ioctl(kShimStderrFd, FIONREAD, &err) != 0) {
      err = 0;
    }
    int pending = out + err;
    if (pending == 0) {
      return;
    }
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (pending != last) {
      last = pending;
      stalled_since = now;
    } else if (getppid() == launcher &&
               (now.tv_sec - stalled_since.tv_sec) * 1000000000L +
                       (now.tv_nsec - stalled_since.tv_nsec) >=
                   2000000000L) {
      return;
    }
    timespec delay = {0, delay_ns};
    nanosleep(&delay, nullptr);
    delay_ns = delay_ns * 2 > 100000000 ? 100000000 : delay_ns * 2;
  }
}

int Main(int argc, char** argv) {
  long launcher = 0;
  if (argc != 2 || !ParsePid(argv[1], &launcher) || fcntl(kShimStateFd, F_GETFD) < 0 ||
      fcntl(kShimContainerFd, F_GETFD) < 0) {
    static const char kUsage[] =
        "berth-shim: started by berth-agent for each container, not by hand\n";
    (void)!write(2, kUsage, sizeof(kUsage) - 1);
    return kShimUsageExit;
  }
  // The agent may be gone when the output is drained: EPIPE, not death.
  SetDisposition(SIGPIPE, SIG_IGN);

  siginfo_t info;
  memset(&info, 0, sizeof(info));
  while (waitid(static_cast<idtype_t>(P_PIDFD), kShimContainerFd, &info, WEXITED) != 0) {
    if (errno != EINTR) {
      return 126;  // cannot happen: the container is our child
    }
  }
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  char record[kMaxRecordSize];
  size_t len = FormatExitRecord(record, info.si_code, info.si_status,
                                static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec);
  WriteRecordAt(kShimStateFd, kExitRecord, record, len);
  WaitForOutputRead(launcher);

  // Exit as the container did, so waitid on the shim says what it said.
  if (info.si_code == CLD_EXITED) {
    return info.si_status;
  }
  int sig = info.si_status;
  rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  SetDisposition(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  kill(getpid(), sig);
  return 128 + sig;
}

}  // namespace
}  // namespace berth::agent::runtime

int main(int argc, char** argv) { return berth::agent::runtime::Main(argc, argv); }
