#include "io/timer_queue.h"

#include <vector>

#include "gtest/gtest.h"

namespace berth::io {
namespace {

TEST(TimerQueueTest, FiresInDeadlineThenArmingOrder) {
  TimerQueue q;
  std::vector<int> fired;
  q.Add(absl::Seconds(3), [&] { fired.push_back(3); });
  q.Add(absl::Seconds(1), [&] { fired.push_back(1); });
  q.Add(absl::Seconds(2), [&] { fired.push_back(20); });
  q.Add(absl::Seconds(2), [&] { fired.push_back(21); });
  EXPECT_EQ(q.RunExpired(absl::Seconds(2)), 3u);
  EXPECT_EQ(fired, (std::vector<int>{1, 20, 21}));
  EXPECT_EQ(q.NextDeadline(), absl::Seconds(3));
  EXPECT_EQ(q.RunExpired(absl::Seconds(10)), 1u);
  EXPECT_EQ(q.NextDeadline(), std::nullopt);
}

TEST(TimerQueueTest, CancelledTimerNeverFires) {
  TimerQueue q;
  bool fired = false;
  uint64_t id = q.Add(absl::Seconds(1), [&] { fired = true; });
  EXPECT_TRUE(q.Cancel(id));
  EXPECT_FALSE(q.Cancel(id));
  EXPECT_EQ(q.RunExpired(absl::Seconds(5)), 0u);
  EXPECT_FALSE(fired);
  EXPECT_EQ(q.NextDeadline(), std::nullopt);
}

TEST(TimerQueueTest, CancelAfterFireReturnsFalse) {
  TimerQueue q;
  uint64_t id = q.Add(absl::Seconds(1), [] {});
  q.RunExpired(absl::Seconds(1));
  EXPECT_FALSE(q.Cancel(id));
}

// Regression guard: a callback that re-arms a due timer must not spin
// RunExpired forever.
TEST(TimerQueueTest, TimerArmedByCallbackWaitsForNextRound) {
  TimerQueue q;
  int runs = 0;
  std::function<void()> rearm = [&] {
    ++runs;
    q.Add(absl::ZeroDuration(), rearm);
  };
  q.Add(absl::ZeroDuration(), rearm);
  EXPECT_EQ(q.RunExpired(absl::Seconds(1)), 1u);
  EXPECT_EQ(q.RunExpired(absl::Seconds(1)), 1u);
  EXPECT_EQ(runs, 2);
}

TEST(TimerQueueTest, ChurnKeepsMemoryBounded) {
  TimerQueue q;
  uint64_t keep = q.Add(absl::Hours(1), [] {});
  for (int i = 0; i < 100000; ++i) {
    uint64_t id = q.Add(absl::Seconds(30 + i), [] {});
    ASSERT_TRUE(q.Cancel(id));
  }
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.NextDeadline(), absl::Hours(1));
  EXPECT_TRUE(q.Cancel(keep));
}

}  // namespace
}  // namespace berth::io
