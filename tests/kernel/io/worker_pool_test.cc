#include "io/worker_pool.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "io/uring_loop.h"

namespace berth::io {
namespace {

TEST(WorkerPoolTest, WorkRunsOffTheLoopAndResultsComeBackOnIt) {
  auto loop = UringLoop::Create();
  if (!loop.ok()) {
    GTEST_SKIP() << "io_uring unavailable here: " << loop.status();
  }
  const std::thread::id loop_thread = std::this_thread::get_id();
  constexpr int kJobs = 64;
  int done = 0;
  std::atomic<int> off_loop{0};
  {
    WorkerPool pool(**loop, 3);
    EXPECT_EQ(pool.threads(), 3u);
    for (int i = 0; i < kJobs; ++i) {
      pool.Submit<int>(
          [&, i] {
            if (std::this_thread::get_id() != loop_thread) {
              off_loop.fetch_add(1);
            }
            return i * i;
          },
          [&, i](int r) {
            EXPECT_EQ(r, i * i);
            EXPECT_EQ(std::this_thread::get_id(), loop_thread);
            ++done;
          });
    }
    auto deadline = absl::Now() + absl::Seconds(5);
    while (done < kJobs && absl::Now() < deadline) {
      ASSERT_TRUE((*loop)->RunOnce(absl::Milliseconds(50)).ok());
    }
  }
  EXPECT_EQ(done, kJobs);
  EXPECT_EQ(off_loop.load(), kJobs);
}

}  // namespace
}  // namespace berth::io
