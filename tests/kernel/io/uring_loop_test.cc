#include "io/uring_loop.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <thread>

#include "gtest/gtest.h"
#include "io/socket.h"
#include "io/status.h"

namespace berth::io {
namespace {

class UringLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = UringLoop::Create();
    if (!loop.ok()) {
      GTEST_SKIP() << "io_uring unavailable here: " << loop.status();
    }
    loop_ = std::move(*loop);
  }

  // Runs the loop until `done` or 5 s of wall time pass.
  template <typename Pred>
  bool RunUntil(Pred done) {
    auto deadline = absl::Now() + absl::Seconds(5);
    while (!done() && absl::Now() < deadline) {
      EXPECT_TRUE(loop_->RunOnce(absl::Milliseconds(50)).ok());
    }
    return done();
  }

  std::unique_ptr<UringLoop> loop_;
};

// Regression: `start` used to be read after the timers were armed, so a
// timer firing exactly on its deadline looked 10 µs early under ASan.
TEST_F(UringLoopTest, TimersFireInDeadlineOrderAndCancelWorks) {
  std::vector<int> fired;
  const absl::Duration start = loop_->time().Monotonic();
  loop_->AddTimer(absl::Milliseconds(30), [&] { fired.push_back(30); });
  loop_->AddTimer(absl::Milliseconds(10), [&] { fired.push_back(10); });
  TimerId cancelled = loop_->AddTimer(absl::Milliseconds(20), [&] { fired.push_back(20); });
  EXPECT_TRUE(loop_->CancelTimer(cancelled));
  ASSERT_TRUE(RunUntil([&] { return fired.size() == 2; }));
  EXPECT_EQ(fired, (std::vector<int>{10, 30}));
  // A timer never fires before its deadline on the loop's clock.
  EXPECT_GE(loop_->time().Monotonic() - start, absl::Milliseconds(30));
}

TEST_F(UringLoopTest, PostFromAnotherThreadWakesABlockedRun) {
  std::atomic<int> ran{0};
  std::thread poster([&] {
    absl::SleepFor(absl::Milliseconds(20));
    loop_->Post([&] {
      ran = 1;
      loop_->Stop();
    });
  });
  ASSERT_TRUE(loop_->Run().ok());  // blocks with nothing else to do
  poster.join();
  EXPECT_EQ(ran.load(), 1);
}

TEST_F(UringLoopTest, ManyThreadsPostingLoseNothing) {
  constexpr int kThreads = 4, kEach = 5000;
  std::atomic<int> ran{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        loop_->Post([&] { ran.fetch_add(1, std::memory_order_relaxed); });
      }
    });
  }
  ASSERT_TRUE(RunUntil([&] { return ran.load() == kThreads * kEach; }));
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_TRUE(loop_->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(ran.load(), kThreads * kEach);
}

TEST_F(UringLoopTest, StopFromAnotherThread) {
  std::thread stopper([&] {
    absl::SleepFor(absl::Milliseconds(20));
    loop_->Stop();
  });
  ASSERT_TRUE(loop_->Run().ok());
  stopper.join();
}

TEST_F(UringLoopTest, AcceptConnectSendRecvOverLoopback) {
  auto listener = ListenTcp(SocketAddress::Loopback4(0), 16);
  ASSERT_TRUE(listener.ok()) << listener.status();
  auto bound = LocalAddress(listener->get());
  ASSERT_TRUE(bound.ok());
  auto client = TcpSocket(*bound);
  ASSERT_TRUE(client.ok());

  int accepted = -1;
  int32_t connected = 1;
  loop_->Accept(listener->get(), [&](int32_t fd) { accepted = fd; });
  loop_->Connect(client->get(), bound->get(), bound->len, [&](int32_t r) { connected = r; });
  ASSERT_TRUE(RunUntil([&] { return accepted >= 0 && connected <= 0; }));
  ASSERT_EQ(connected, 0);
  UniqueFd server(accepted);
  EXPECT_TRUE(fcntl(server.get(), F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(fcntl(server.get(), F_GETFD) & FD_CLOEXEC);

  const std::string msg = "ping over io_uring";
  int32_t sent = -1, received = -1;
  char buf[64];
  loop_->Send(client->get(), absl::MakeConstSpan(msg.data(), msg.size()),
              [&](int32_t r) { sent = r; });
  loop_->Recv(server.get(), absl::MakeSpan(buf), [&](int32_t r) { received = r; });
  ASSERT_TRUE(RunUntil([&] { return sent >= 0 && received >= 0; }));
  EXPECT_EQ(sent, static_cast<int32_t>(msg.size()));
  EXPECT_EQ(std::string(buf, received), msg);

  // The peer closing shows up as a zero-length recv.
  client->Reset();
  int32_t eof = -1;
  loop_->Recv(server.get(), absl::MakeSpan(buf), [&](int32_t r) { eof = r; });
  ASSERT_TRUE(RunUntil([&] { return eof >= 0; }));
  EXPECT_EQ(eof, 0);
}

TEST_F(UringLoopTest, ConnectToAClosedPortFails) {
  auto listener = ListenTcp(SocketAddress::Loopback4(0), 1);
  ASSERT_TRUE(listener.ok());
  SocketAddress addr = *LocalAddress(listener->get());
  listener->Reset();  // nothing listens there now
  auto client = TcpSocket(addr);
  ASSERT_TRUE(client.ok());
  int32_t result = 1;
  loop_->Connect(client->get(), addr.get(), addr.len, [&](int32_t r) { result = r; });
  ASSERT_TRUE(RunUntil([&] { return result <= 0; }));
  EXPECT_EQ(result, -ECONNREFUSED);
}

TEST_F(UringLoopTest, CancelEndsAPendingRecvWithEcanceled) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd a(fds[0]), b(fds[1]);
  char buf[8];
  int32_t result = 1;
  OpId id = loop_->Recv(a.get(), absl::MakeSpan(buf), [&](int32_t r) { result = r; });
  ASSERT_TRUE(loop_->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_EQ(loop_->pending_ops(), 1u);
  loop_->Cancel(id);
  ASSERT_TRUE(RunUntil([&] { return result <= 0; }));
  EXPECT_EQ(result, -ECANCELED);
  EXPECT_EQ(loop_->pending_ops(), 0u);
  loop_->Cancel(id);  // a finished op: ignored
  EXPECT_TRUE(loop_->RunOnce(absl::ZeroDuration()).ok());
}

TEST_F(UringLoopTest, PollReportsReadability) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  UniqueFd r(p[0]), w(p[1]);
  int32_t mask = 0;
  loop_->Poll(r.get(), POLLIN, [&](int32_t m) { mask = m; });
  ASSERT_TRUE(loop_->RunOnce(absl::Milliseconds(10)).ok());
  EXPECT_EQ(mask, 0);
  ASSERT_EQ(write(w.get(), "x", 1), 1);
  ASSERT_TRUE(RunUntil([&] { return mask != 0; }));
  EXPECT_TRUE(mask & POLLIN);
}

// More operations than the SQ has entries, queued before any submit.
TEST_F(UringLoopTest, MoreOpsThanSubmissionSlots) {
  constexpr int kPipes = 600;  // the SQ has 256 entries
  std::vector<UniqueFd> readers, writers;
  int done = 0;
  for (int i = 0; i < kPipes; ++i) {
    int p[2];
    ASSERT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
    readers.emplace_back(p[0]);
    writers.emplace_back(p[1]);
    loop_->Poll(p[0], POLLIN, [&](int32_t m) { done += (m & POLLIN) ? 1 : 0; });
  }
  for (auto& w : writers) {
    ASSERT_EQ(write(w.get(), "x", 1), 1);
  }
  ASSERT_TRUE(RunUntil([&] { return done == kPipes; }));
}

pid_t SpawnChild(int* pidfd, int exit_code, bool wait_for_kill) {
  pid_t pid = fork();
  if (pid == 0) {
    if (wait_for_kill) {
      pause();
    }
    _exit(exit_code);
  }
  *pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  return pid;
}

void ExpectWaitPidfd(UringLoopTest* t, UringLoop& loop) {
  int pidfd = -1;
  pid_t pid = SpawnChild(&pidfd, 7, false);
  ASSERT_GE(pidfd, 0) << strerror(errno);
  UniqueFd owned(pidfd);
  absl::StatusOr<ExitStatus> got = absl::UnknownError("not yet");
  loop.WaitPidfd(pidfd, [&](absl::StatusOr<ExitStatus> s) { got = s; });
  auto deadline = absl::Now() + absl::Seconds(5);
  while (absl::IsUnknown(got.status()) && absl::Now() < deadline) {
    ASSERT_TRUE(loop.RunOnce(absl::Milliseconds(50)).ok());
  }
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->pid, pid);
  EXPECT_TRUE(got->exited());
  EXPECT_EQ(got->status, 7);
  EXPECT_EQ(got->ShellCode(), 7);
  // Reaped: a second wait finds no child.
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);

  int pidfd2 = -1;
  pid_t pid2 = SpawnChild(&pidfd2, 0, true);
  ASSERT_GE(pidfd2, 0);
  UniqueFd owned2(pidfd2);
  got = absl::UnknownError("not yet");
  loop.WaitPidfd(pidfd2, [&](absl::StatusOr<ExitStatus> s) { got = s; });
  ASSERT_TRUE(loop.RunOnce(absl::Milliseconds(20)).ok());
  EXPECT_TRUE(absl::IsUnknown(got.status())) << "completed before the child died";
  kill(pid2, SIGKILL);
  deadline = absl::Now() + absl::Seconds(5);
  while (absl::IsUnknown(got.status()) && absl::Now() < deadline) {
    ASSERT_TRUE(loop.RunOnce(absl::Milliseconds(50)).ok());
  }
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->signaled());
  EXPECT_EQ(got->status, SIGKILL);
  EXPECT_EQ(got->ShellCode(), 137);
  (void)t;
}

TEST_F(UringLoopTest, WaitPidfdWithIoringOpWaitid) {
  if (!loop_->features().waitid) {
    GTEST_SKIP() << "kernel lacks IORING_OP_WAITID (needs 6.7); the pidfd-poll path is "
                    "tested by WaitPidfdWithPidfdPoll";
  }
  ExpectWaitPidfd(this, *loop_);
}

TEST_F(UringLoopTest, WaitPidfdWithPidfdPoll) {
  loop_->DisableFeatureForTest("waitid");
  ExpectWaitPidfd(this, *loop_);
}

TEST_F(UringLoopTest, ReadFileReadsSmallAndLargeFiles) {
  absl::StatusOr<std::string> status_file = absl::UnknownError("");
  loop_->ReadFile(AT_FDCWD, "/proc/self/status", 1 << 16,
                  [&](absl::StatusOr<std::string> r) { status_file = r; });
  ASSERT_TRUE(RunUntil([&] { return !absl::IsUnknown(status_file.status()); }));
  ASSERT_TRUE(status_file.ok()) << status_file.status();
  EXPECT_NE(status_file->find("Pid:"), std::string::npos);

  std::string path = ::testing::TempDir() + "/berth_readfile_test";
  std::string big(100000, 'b');
  big[99999] = 'e';
  std::ofstream(path) << big;
  absl::StatusOr<std::string> got = absl::UnknownError("");
  loop_->ReadFile(AT_FDCWD, path, 200000, [&](absl::StatusOr<std::string> r) { got = r; });
  ASSERT_TRUE(RunUntil([&] { return !absl::IsUnknown(got.status()); }));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, big);

  absl::StatusOr<std::string> too_big = absl::UnknownError("");
  loop_->ReadFile(AT_FDCWD, path, 1000, [&](absl::StatusOr<std::string> r) { too_big = r; });
  ASSERT_TRUE(RunUntil([&] { return !absl::IsUnknown(too_big.status()); }));
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kOutOfRange);
  unlink(path.c_str());
}

TEST_F(UringLoopTest, ReadFileOfAMissingFileKeepsEnoent) {
  absl::StatusOr<std::string> got = absl::UnknownError("");
  loop_->ReadFile(AT_FDCWD, "/nonexistent/berth", 100,
                  [&](absl::StatusOr<std::string> r) { got = r; });
  ASSERT_TRUE(RunUntil([&] { return !absl::IsUnknown(got.status()); }));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoOf(got.status()), ENOENT);
  EXPECT_EQ(got.status().message(),
            "failed to open /nonexistent/berth: No such file or directory [ENOENT]");
}

TEST_F(UringLoopTest, CreatedOnOneThreadRunOnAnother) {
  std::atomic<bool> ran{false};
  std::thread runner([&] {
    loop_->Post([&] {
      ran = true;
      loop_->Stop();
    });
    EXPECT_TRUE(loop_->Run().ok());
  });
  runner.join();
  EXPECT_TRUE(ran.load());
  absl::Status again = loop_->RunOnce(absl::ZeroDuration());
  if (loop_->features().defer_taskrun) {
    // SINGLE_ISSUER: the thread that first ran the ring owns it.
    EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  } else {
    EXPECT_TRUE(again.ok());
  }
}

TEST_F(UringLoopTest, FakeTimeSourceDrivesTimers) {
  FakeTimeSource clock;
  UringLoopOptions options;
  options.time = &clock;
  auto loop = UringLoop::Create(options);
  ASSERT_TRUE(loop.ok());
  bool fired = false;
  (*loop)->AddTimer(absl::Hours(1), [&] { fired = true; });
  ASSERT_TRUE((*loop)->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_FALSE(fired);
  clock.Advance(absl::Hours(1));
  ASSERT_TRUE((*loop)->RunOnce(absl::ZeroDuration()).ok());
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace berth::io
