#ifndef BERTH_TESTS_KERNEL_CGROUPS_CLONE_INTO_H_
#define BERTH_TESTS_KERNEL_CGROUPS_CLONE_INTO_H_

// Test helper shared by the kernel and vm tiers: start a child directly in a
// cgroup with clone3(CLONE_INTO_CGROUP), as berth's runtime does.

#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace berth::cgroups::testing {

// Runs `body` in a child started inside the cgroup open as `cgroup_fd`; the
// child exits with body's result. The child is a raw clone of a
// single-threaded test process: it only makes plain system calls. Returns
// the pid, or -1 with errno set.
template <typename Body>
pid_t CloneInto(int cgroup_fd, Body body) {
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(cgroup_fd);
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) {
    _exit(body());
  }
  return static_cast<pid_t>(pid);
}

}  // namespace berth::cgroups::testing

#endif  // BERTH_TESTS_KERNEL_CGROUPS_CLONE_INTO_H_
