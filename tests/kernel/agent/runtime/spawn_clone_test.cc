// SpawnClone (agent/runtime/spawn_clone.h): the child runs the function on
// its own stack, starts with every signal blocked, shares the caller's
// memory until its exec where the platform allows, and the caller's own
// signal mask comes back unchanged.

#include "agent/runtime/spawn_clone.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "gtest/gtest.h"

namespace berth::agent::runtime::internal {
namespace {

struct Shared {
  int pipe_w = -1;
  volatile int written_by_child = 0;
};

void ReportPidAndMask(void* arg) {
  Shared& shared = *static_cast<Shared*>(arg);
  shared.written_by_child = 1;
  uint64_t mask = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, nullptr, &mask, sizeof(mask));
  const int64_t msg[2] = {static_cast<int64_t>(syscall(SYS_getpid)),
                          static_cast<int64_t>(mask)};
  (void)!write(shared.pipe_w, msg, sizeof(msg));
  _exit(7);
}

void ExecTrue(void*) {
  char name[] = "/bin/true";
  char* argv[] = {name, nullptr};
  char* envp[] = {nullptr};
  execve(name, argv, envp);
  _exit(127);
}

TEST(SpawnCloneTest, ChildRunsOnItsOwnStackWithEverySignalBlocked) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  Shared shared;
  shared.pipe_w = fds[1];

  sigset_t before;
  sigemptyset(&before);
  sigaddset(&before, SIGUSR1);
  sigset_t saved;
  ASSERT_EQ(pthread_sigmask(SIG_SETMASK, &before, &saved), 0);

  clone_args args;
  memset(&args, 0, sizeof(args));
  args.exit_signal = SIGCHLD;
  long pid = SpawnClone(args, ReportPidAndMask, &shared);
  ASSERT_GT(pid, 0) << strerror(errno);

  sigset_t after;
  ASSERT_EQ(pthread_sigmask(SIG_SETMASK, &saved, &after), 0);
  EXPECT_EQ(sigismember(&after, SIGUSR1), 1) << "the caller's mask came back";
  EXPECT_EQ(sigismember(&after, SIGUSR2), 0) << "the caller's mask came back";

  close(fds[1]);
  int64_t msg[2] = {0, 0};
  ASSERT_EQ(read(fds[0], msg, sizeof(msg)), static_cast<ssize_t>(sizeof(msg)));
  close(fds[0]);
  EXPECT_EQ(msg[0], pid);
  // Every signal the kernel lets a process block (not SIGKILL, SIGSTOP).
  uint64_t expected = ~uint64_t{0} & ~(uint64_t{1} << (SIGKILL - 1)) &
                      ~(uint64_t{1} << (SIGSTOP - 1));
  EXPECT_EQ(static_cast<uint64_t>(msg[1]), expected);

  int status = 0;
  ASSERT_EQ(waitpid(static_cast<pid_t>(pid), &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);

  if (!SpawnCloneSharesMemory()) {
    GTEST_SKIP() << "SpawnClone forks on this build (not x86-64, or AddressSanitizer): "
                    "no shared memory to check";
  }
  // The caller waited for the child (CLONE_VFORK) and sees what it wrote.
  EXPECT_EQ(shared.written_by_child, 1);
}

TEST(SpawnCloneTest, ChildThatExecsAndNamespaceFlags) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root for new namespaces";
  }
  clone_args args;
  memset(&args, 0, sizeof(args));
  int pidfd = -1;
  args.flags = CLONE_PIDFD | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = SpawnClone(args, ExecTrue, nullptr);
  ASSERT_GT(pid, 0) << strerror(errno);
  EXPECT_GE(pidfd, 0);
  int status = -1;
  ASSERT_EQ(waitpid(static_cast<pid_t>(pid), &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  close(pidfd);
}

TEST(SpawnCloneTest, FailureIsMinusOneWithErrno) {
  clone_args args;
  memset(&args, 0, sizeof(args));
  args.flags = CLONE_THREAD;  // without CLONE_SIGHAND: EINVAL
  args.exit_signal = SIGCHLD;
  errno = 0;
  EXPECT_EQ(SpawnClone(args, ExecTrue, nullptr), -1);
  EXPECT_EQ(errno, EINVAL);
}

}  // namespace
}  // namespace berth::agent::runtime::internal
