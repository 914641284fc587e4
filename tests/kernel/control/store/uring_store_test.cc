// The SQLite store driven by the real io_uring loop, the way berth-control
// runs it: commits issued from loop callbacks, completions posted back from
// the writer thread through the loop's eventfd.
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/store/sqlite_store.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "io/uring_loop.h"
#include "tests/unit/control/store/store_test_util.h"

namespace berth::control {
namespace {

using testing::Records;
using testing::TempDir;

TEST(UringStoreTest, ConcurrentCommitsCompleteInOrderOnTheLoopThreadAndGroup) {
  auto loop = io::UringLoop::Create();
  if (!loop.ok()) {
    GTEST_SKIP() << "io_uring unavailable here: " << loop.status();
  }
  TempDir dir;
  auto store = OpenSqliteStore(**loop, SqliteStoreOptions{.data_dir = dir.Sub("data")});
  ASSERT_TRUE(store.ok()) << store.status();

  constexpr int kBatches = 3000;
  constexpr int kInFlight = 256;
  std::vector<int> order;
  int next = 0;
  const auto loop_thread = std::this_thread::get_id();
  std::function<void()> submit = [&] {
    const int id = next++;
    (*store)->Commit({Mutation::Put("tasks", absl::StrCat("task-", id), std::string(1024, 'v'))},
                     [&, id](absl::Status s) {
                       EXPECT_TRUE(s.ok()) << s;
                       EXPECT_EQ(std::this_thread::get_id(), loop_thread);
                       order.push_back(id);
                       if (next < kBatches) {
                         submit();
                       } else if (order.size() == kBatches) {
                         (*loop)->Stop();
                       }
                     });
  };
  (*loop)->Post([&] {
    for (int i = 0; i < kInFlight; ++i) {
      submit();
    }
  });
  ASSERT_TRUE((*loop)->Run().ok());
  ASSERT_EQ(order.size(), static_cast<size_t>(kBatches));
  for (int i = 0; i < kBatches; ++i) {
    ASSERT_EQ(order[i], i);
  }
  const Store::Stats stats = (*store)->stats();
  EXPECT_EQ(stats.batches, static_cast<uint64_t>(kBatches));
  EXPECT_EQ(stats.mutations, static_cast<uint64_t>(kBatches));
  // 256 requests in flight behind one fsync at a time: each transaction
  // carries many batches.
  EXPECT_LT(stats.transactions, static_cast<uint64_t>(kBatches / 8)) << stats.transactions;
  EXPECT_GT(stats.max_batches_per_txn, 64u);
  std::printf("%d batches in %llu transactions (largest %llu); batch p50 %.0f us p99 %.0f us, "
              "txn p50 %.0f us p99 %.0f us\n",
              kBatches, static_cast<unsigned long long>(stats.transactions),
              static_cast<unsigned long long>(stats.max_batches_per_txn), stats.batch_p50_us,
              stats.batch_p99_us, stats.txn_p50_us, stats.txn_p99_us);

  ASSERT_TRUE((*store)->Close().ok());
  store->reset();
  io::FakeLoop reload_loop;
  auto reopened = OpenSqliteStore(reload_loop, SqliteStoreOptions{.data_dir = dir.Sub("data")});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  Records records;
  ASSERT_TRUE(testing::LoadAll(**reopened, &records).ok());
  EXPECT_EQ(records.size(), static_cast<size_t>(kBatches));
}

}  // namespace
}  // namespace berth::control
