#include "bench/agent_launch/launch_floor.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "agent/runtime/spawn_clone.h"
#include "io/status.h"

namespace berth::bench {
namespace {

// The child: everything before execve uses only async-signal-safe calls.
// On failure it writes the errno and the step to the pipe and exits 127.
[[noreturn]] void Child(const char* rootfs, const char* program, int report_fd) {
  auto fail = [report_fd](int step) {
    int buf[2] = {step, errno};
    (void)!write(report_fd, buf, sizeof(buf));
    _exit(127);
  };
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail(1);
  if (mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr) != 0) fail(2);
  if (chdir(rootfs) != 0) fail(3);
  if (syscall(SYS_pivot_root, ".", ".") != 0) fail(4);
  if (umount2(".", MNT_DETACH) != 0) fail(5);
  if (chdir("/") != 0) fail(6);
  char* const argv[] = {const_cast<char*>(program), nullptr};
  char* const envp[] = {nullptr};
  uint64_t none = 0;  // SpawnClone blocked every signal
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof(none));
  execve(program, argv, envp);
  fail(7);
  _exit(127);
}

struct ChildArgs {
  const char* rootfs;
  const char* program;
  int read_fd;
  int report_fd;
};

void RunChild(void* arg) {
  const ChildArgs& a = *static_cast<const ChildArgs*>(arg);
  close(a.read_fd);
  Child(a.rootfs, a.program, a.report_fd);
}

}  // namespace

absl::StatusOr<absl::Duration> LaunchFloorOnce(const FloorOptions& options, int index) {
  const std::string cgroup = absl::StrCat(options.cgroup_parent, "/floor-", index);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    return ErrnoStatus(errno, "failed to create a pipe");
  }
  const absl::Time start = absl::Now();
  if (mkdir(cgroup.c_str(), 0755) != 0) {
    int err = errno;
    close(pipefd[0]);
    close(pipefd[1]);
    return ErrnoStatus(err, absl::StrCat("failed to create cgroup ", cgroup));
  }
  int cgroup_fd = open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgroup_fd < 0) {
    int err = errno;
    rmdir(cgroup.c_str());
    close(pipefd[0]);
    close(pipefd[1]);
    return ErrnoStatus(err, absl::StrCat("failed to open cgroup ", cgroup));
  }
  clone_args args{};
  args.flags = CLONE_INTO_CGROUP | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(cgroup_fd);
  // The same clone3 as the runtime's (agent/runtime/spawn_clone.h): the
  // child shares this process's memory until its exec, so the floor does not
  // depend on how large the bench process is (a fork would copy its page
  // tables, and tear the copy down at the exec).
  ChildArgs child{options.rootfs.c_str(), options.program.c_str(), pipefd[0], pipefd[1]};
  long pid = agent::runtime::internal::SpawnClone(args, RunChild, &child);
  int clone_errno = errno;
  close(cgroup_fd);
  close(pipefd[1]);
  if (pid < 0) {
    close(pipefd[0]);
    rmdir(cgroup.c_str());
    return ErrnoStatus(clone_errno, "failed to clone3 into a new cgroup and namespaces");
  }
  int report[2] = {0, 0};
  ssize_t n;
  do {
    n = read(pipefd[0], report, sizeof(report));
  } while (n < 0 && errno == EINTR);
  const absl::Duration took = absl::Now() - start;
  close(pipefd[0]);
  int status = 0;
  while (waitpid(static_cast<pid_t>(pid), &status, 0) < 0 && errno == EINTR) {
  }
  rmdir(cgroup.c_str());
  if (n > 0) {
    return ErrnoStatus(report[1], absl::StrCat("launch floor child failed at step ", report[0]));
  }
  return took;
}

}  // namespace berth::bench
