// Crash safety: an agent that launched a container is SIGKILLed; a new one
// (this test process) reattaches through the shim and gets the container's
// real exit status. Identities are pid + start time: a wrong start time is
// never taken for the process.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "agent/runtime/launch.h"
#include "agent/runtime/reattach.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/status.h"
#include "tests/kernel/agent/runtime/fixture.h"

namespace berth::agent::runtime::testing {
namespace {

using ::testing::HasSubstr;

class ReattachTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (IsSkipped()) {
      return;
    }
    // Orphaned shims come to us (not to whatever PID 1 is), so the test can
    // reap them at the end.
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    ctl_ = root_ + "/ctl-" + std::to_string(counter_);
    ASSERT_EQ(mkdir(ctl_.c_str(), 0755), 0);
  }

  // A container that prints "ready" (read by the agent), waits for
  // /ctl/go, runs `then` and exits 42, launched by a forked "agent" that is
  // then SIGKILLed.
  void LaunchFromDoomedAgent(const std::string& then) {
    LaunchSpec spec = Spec({"sh", "-c",
                            "echo ready; while [ ! -f /ctl/go ]; do sleep 0.02; done; " + then +
                                " exit 42"});
    spec.binds.push_back(BindMount{ctl_, "/ctl", true});
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t agent = fork();
    ASSERT_GE(agent, 0);
    if (agent == 0) {
      close(fds[0]);
      auto launched = Launch(spec);
      ProcessId ids[2] = {};
      if (launched.ok()) {
        ids[0] = launched->shim;
        ids[1] = launched->container;
        std::string ready = ReadUntil(launched->stdout_fd.get(), "ready\n");
        (void)ready;
      }
      (void)!write(fds[1], ids, sizeof(ids));
      pause();  // until SIGKILL
      _exit(0);
    }
    close(fds[1]);
    ProcessId ids[2] = {};
    ASSERT_EQ(read(fds[0], ids, sizeof(ids)), static_cast<ssize_t>(sizeof(ids)));
    close(fds[0]);
    ASSERT_EQ(kill(agent, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(agent, &status, 0), agent);
    ASSERT_TRUE(WIFSIGNALED(status));
    ASSERT_GT(ids[0].pid, 0) << "the doomed agent failed to launch";
    shim_ = ids[0];
    container_ = ids[1];
  }

  void Go() { std::ofstream(ctl_ + "/go") << "go\n"; }

  void ReapShim() {
    if (shim_.pid > 0) {
      waitpid(shim_.pid, nullptr, 0);
    }
  }

  std::string ctl_;
  ProcessId shim_;
  ProcessId container_;
};

TEST_F(ReattachTest, LiveContainerAfterAgentKillGivesItsRealExitAndOutput) {
  LaunchFromDoomedAgent("echo after;");
  auto r = Reattach(state_dir_, shim_, container_);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->running);
  ASSERT_TRUE(r->shim_pidfd.valid());
  ASSERT_TRUE(r->stdout_fd.valid());
  ASSERT_TRUE(r->stderr_fd.valid());
  Go();
  // The pipe outlived the agent: the container's later output arrives on the
  // read end taken back from the shim.
  EXPECT_EQ(ReadUntil(r->stdout_fd.get(), "after\n"), "after\n");
  pollfd p = {r->shim_pidfd.get(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 20000), 1);
  auto exit = ReadExitRecord(state_dir_);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->si_code, CLD_EXITED);
  EXPECT_EQ(exit->status, 42);
  ReapShim();
}

TEST_F(ReattachTest, ContainerThatEndedWhileAgentWasDownIsReportedWithItsCode) {
  LaunchFromDoomedAgent("");  // nothing left unread: the shim goes at once
  Go();
  auto pidfd = OpenProcess(shim_);
  ASSERT_TRUE(pidfd.ok()) << pidfd.status();
  pollfd p = {pidfd->get(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 20000), 1);
  ReapShim();  // gone for good, as if the agent came back later

  auto r = Reattach(state_dir_, shim_, container_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->running);
  EXPECT_EQ(r->exit.si_code, CLD_EXITED);
  EXPECT_EQ(r->exit.status, 42);
}

TEST_F(ReattachTest, OutputWrittenWhileTheAgentIsDownIsNotLost) {
  // The container ends while nobody reads: its shim records the exit and
  // stays until the output is taken, by the next agent.
  LaunchFromDoomedAgent("echo while down; echo on stderr >&2;");
  Go();
  for (int i = 0; i < 2000; ++i) {
    auto exit = ReadExitRecord(state_dir_);
    if (exit.ok()) {
      break;
    }
    usleep(10000);
  }
  ASSERT_TRUE(ReadExitRecord(state_dir_).ok()) << "the container did not end";
  auto r = Reattach(state_dir_, shim_, container_);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->running) << "the shim left before its output was read";
  EXPECT_EQ(ReadUntil(r->stdout_fd.get(), "while down\n"), "while down\n");
  EXPECT_EQ(ReadUntil(r->stderr_fd.get(), "on stderr\n"), "on stderr\n");
  pollfd p = {r->shim_pidfd.get(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 20000), 1);
  auto exit = ReadExitRecord(state_dir_);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->status, 42);
  ReapShim();
}

TEST_F(ReattachTest, ShimThatExitedButIsNotReapedYetGivesItsRecord) {
  LaunchFromDoomedAgent("");
  Go();
  auto pidfd = OpenProcess(shim_);
  ASSERT_TRUE(pidfd.ok()) << pidfd.status();
  pollfd p = {pidfd->get(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 20000), 1);
  // Still a zombie (we are its reaper and have not reaped it).
  auto r = Reattach(state_dir_, shim_, container_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->running);
  EXPECT_EQ(r->exit.si_code, CLD_EXITED);
  EXPECT_EQ(r->exit.status, 42);
  ReapShim();
}

TEST_F(ReattachTest, WrongStartTimeIsRefused) {
  auto launched = Launch(Spec({"sh", "-c", "echo ready; exec sleep 1000"}));
  ASSERT_TRUE(launched.ok()) << launched.status();
  EXPECT_EQ(ReadUntil(launched->stdout_fd.get(), "ready\n"), "ready\n");

  ProcessId wrong_shim = launched->shim;
  wrong_shim.start_time += 1;
  auto opened = OpenProcess(wrong_shim);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(opened.status().message(), HasSubstr("is not the one recorded"));
  // Taken for a shim that is gone, with no exit record: vanished, and the
  // live process behind the pid is left alone.
  auto r = Reattach(state_dir_, wrong_shim, launched->container);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("the container vanished"));
  EXPECT_THAT(r.status().message(), HasSubstr("still runs without it"));

  ProcessId wrong_container = launched->container;
  wrong_container.start_time += 1;
  EXPECT_EQ(Signal(wrong_container, SIGKILL).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(OpenProcess(launched->container).ok()) << "the container was hit";

  ASSERT_TRUE(Signal(launched->container, SIGKILL).ok());
  Outcome o = Finish(*launched);
  EXPECT_EQ(o.si_code, CLD_KILLED);
}

TEST_F(ReattachTest, NoShimAndNoExitRecordIsVanished) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    _exit(0);
  }
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  auto r = Reattach(state_dir_, ProcessId{child, 12345}, ProcessId{child, 12345});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("the container vanished"));
}

TEST_F(ReattachTest, MalformedExitRecordIsDataLoss) {
  std::ofstream(state_dir_ + "/exit") << "exited";
  auto r = Reattach(state_dir_, ProcessId{1 << 22, 1}, ProcessId{1 << 22, 1});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace berth::agent::runtime::testing
