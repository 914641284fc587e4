#include "io/fake_loop.h"

#include <cerrno>
#include <thread>

#include "gtest/gtest.h"

namespace berth::io {
namespace {

TEST(FakeLoopTest, TimersFollowTheFakeClock) {
  FakeLoop loop;
  std::vector<int> fired;
  loop.AddTimer(absl::Seconds(10), [&] { fired.push_back(10); });
  loop.AddTimer(absl::Seconds(5), [&] { fired.push_back(5); });
  loop.AdvanceTime(absl::Seconds(4));
  EXPECT_TRUE(fired.empty());
  loop.AdvanceTime(absl::Seconds(1));
  EXPECT_EQ(fired, std::vector<int>{5});
  loop.AdvanceTime(absl::Seconds(100));
  EXPECT_EQ(fired, (std::vector<int>{5, 10}));
  EXPECT_EQ(loop.time().Monotonic(), absl::Seconds(105));
}

TEST(FakeLoopTest, TimerSeesItsOwnDeadlineAsNow) {
  FakeLoop loop;
  absl::Duration seen;
  loop.AddTimer(absl::Seconds(7), [&] { seen = loop.time().Monotonic(); });
  loop.AdvanceTime(absl::Minutes(1));
  EXPECT_EQ(seen, absl::Seconds(7));
}

// Regression: a delay with a sub-nanosecond part (a jittered backoff) made
// AdvanceTime spin for ever, the clock being whole nanoseconds.
TEST(FakeLoopTest, ASubNanosecondDelayFiresAtTheNextNanosecond) {
  FakeLoop loop;
  int fired = 0;
  loop.AddTimer(absl::Milliseconds(250) * 1.0000000003, [&] { ++fired; });
  loop.AdvanceTime(absl::Seconds(1));
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(loop.time().Monotonic(), absl::Seconds(1));
}

TEST(FakeLoopTest, PostFromAnotherThreadRunsOnRun) {
  FakeLoop loop;
  int ran = 0;
  std::thread t([&] { loop.Post([&] { ++ran; }); });
  t.join();
  loop.RunUntilIdle();
  EXPECT_EQ(ran, 1);
}

TEST(FakeLoopTest, RecvAndSendAreCompletedByTheTest) {
  FakeLoop loop;
  char buf[4];
  int32_t got = 0;
  OpId id = loop.Recv(7, absl::MakeSpan(buf), [&](int32_t r) { got = r; });
  auto op = loop.FindPending(FakeLoop::Kind::kRecv, 7);
  ASSERT_TRUE(op.has_value());
  EXPECT_EQ(op->id, id);
  EXPECT_EQ(loop.CompleteRecv(id, "hello"), 4u);
  EXPECT_EQ(got, 4);
  EXPECT_EQ(std::string(buf, 4), "hell");

  int32_t sent = 0;
  OpId sid = loop.Send(7, absl::MakeConstSpan("abc", 3), [&](int32_t r) { sent = r; });
  EXPECT_EQ(loop.CompleteSend(sid), "abc");
  EXPECT_EQ(sent, 3);
  EXPECT_TRUE(loop.pending().empty());
}

TEST(FakeLoopTest, CancelCompletesWithEcanceled) {
  FakeLoop loop;
  int32_t got = 0;
  char buf[1];
  OpId id = loop.Recv(3, absl::MakeSpan(buf), [&](int32_t r) { got = r; });
  loop.Cancel(id);
  loop.RunUntilIdle();
  EXPECT_EQ(got, -ECANCELED);
  EXPECT_TRUE(loop.pending().empty());
}

TEST(FakeLoopTest, ReadFileServesSetFilesAndFailsOthers) {
  FakeLoop loop;
  loop.SetFile("memory.events", "oom 0\noom_kill 1\n");
  absl::StatusOr<std::string> got, missing, big;
  loop.ReadFile(-1, "memory.events", 4096, [&](absl::StatusOr<std::string> r) { got = r; });
  loop.ReadFile(-1, "nope", 4096, [&](absl::StatusOr<std::string> r) { missing = r; });
  loop.ReadFile(-1, "memory.events", 3, [&](absl::StatusOr<std::string> r) { big = r; });
  loop.RunUntilIdle();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "oom 0\noom_kill 1\n");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kOutOfRange);
}

TEST(FakeLoopTest, WaitPidfdCompletesWithTheGivenStatus) {
  FakeLoop loop;
  absl::StatusOr<ExitStatus> got;
  OpId id = loop.WaitPidfd(9, [&](absl::StatusOr<ExitStatus> s) { got = s; });
  loop.CompleteWait(id, ExitStatus{42, CLD_KILLED, 9});
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->signaled());
  EXPECT_EQ(got->ShellCode(), 137);
}

TEST(FakeLoopTest, RunFailsWhenNothingCanHappen) {
  FakeLoop loop;
  char buf[1];
  loop.Recv(3, absl::MakeSpan(buf), [](int32_t) {});
  absl::Status s = loop.Run();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(FakeLoopTest, RunJumpsToTimersUntilStopped) {
  FakeLoop loop;
  loop.AddTimer(absl::Hours(2), [&] { loop.Stop(); });
  ASSERT_TRUE(loop.Run().ok());
  EXPECT_EQ(loop.time().Monotonic(), absl::Hours(2));
}

}  // namespace
}  // namespace berth::io
