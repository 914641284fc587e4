#include "control/store/memory_store.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "tests/unit/control/store/store_test_util.h"

namespace berth::control {
namespace {

using testing::Records;

class MemoryStoreTest : public ::testing::Test {
 protected:
  io::FakeLoop loop_;
  MemoryStore store_{loop_};
};

TEST_F(MemoryStoreTest, CommitCompletesThroughTheLoopNotInsideCommit) {
  bool done = false;
  store_.Commit({Mutation::Put("clusters", "default", "{}")}, [&](absl::Status s) {
    EXPECT_TRUE(s.ok()) << s;
    done = true;
  });
  EXPECT_FALSE(done);
  EXPECT_FALSE(store_.Get("clusters", "default").has_value()) << "visible before completion";
  loop_.RunUntilIdle();
  EXPECT_TRUE(done);
  EXPECT_EQ(store_.Get("clusters", "default"), "{}");
}

TEST_F(MemoryStoreTest, PutsOverwritesAndDeletesLoadInTableThenKeyOrder) {
  store_.Commit({Mutation::Put("tasks", "b", "1"), Mutation::Put("tasks", "a", "2"),
                 Mutation::Put("clusters", "z", "3"), Mutation::Put("tags", "t", "4")},
                nullptr);
  store_.Commit({Mutation::Put("tasks", "b", "5"), Mutation::Delete("tags", "t"),
                 Mutation::Delete("tags", "never-there")},
                nullptr);
  loop_.RunUntilIdle();
  Records records;
  std::vector<std::pair<std::string, std::string>> order;
  ASSERT_TRUE(testing::LoadAll(store_, &records, &order).ok());
  EXPECT_EQ(records, (Records{{{"clusters", "z"}, "3"}, {{"tasks", "a"}, "2"},
                              {{"tasks", "b"}, "5"}}));
  // DefaultStoreTables order: clusters before tasks.
  EXPECT_EQ(order, (std::vector<std::pair<std::string, std::string>>{
                       {"clusters", "z"}, {"tasks", "a"}, {"tasks", "b"}}));
  EXPECT_EQ(store_.stats().batches, 2u);
  EXPECT_EQ(store_.stats().mutations, 7u);
}

TEST_F(MemoryStoreTest, DoneCallbacksRunInSubmissionOrder) {
  std::vector<int> order;
  for (int i = 0; i < 50; ++i) {
    store_.Commit({Mutation::Put("tasks", std::to_string(i), "v")},
                  [&order, i](absl::Status) { order.push_back(i); });
  }
  loop_.RunUntilIdle();
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(order[i], i);
  }
}

TEST_F(MemoryStoreTest, FailNextCommitsFailsExactlyThoseAndAppliesNothingOfThem) {
  store_.FailNextCommits(absl::UnavailableError("disk on fire"), 2);
  std::vector<absl::Status> results;
  for (int i = 0; i < 3; ++i) {
    store_.Commit({Mutation::Put("tasks", std::to_string(i), "v")},
                  [&](absl::Status s) { results.push_back(s); });
  }
  loop_.RunUntilIdle();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(results[1].code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(results[2].ok());
  EXPECT_FALSE(store_.Get("tasks", "0").has_value());
  EXPECT_FALSE(store_.Get("tasks", "1").has_value());
  EXPECT_TRUE(store_.Get("tasks", "2").has_value());
  EXPECT_EQ(store_.stats().failed_batches, 2u);
}

TEST_F(MemoryStoreTest, UnknownTableFailsOnlyItsBatch) {
  std::vector<absl::Status> results;
  store_.Commit({Mutation::Put("tasks", "a", "1")}, [&](absl::Status s) { results.push_back(s); });
  store_.Commit({Mutation::Put("tasks", "b", "1"), Mutation::Put("nope", "x", "1")},
                [&](absl::Status s) { results.push_back(s); });
  store_.Commit({Mutation::Put("tasks", "c", "1")}, [&](absl::Status s) { results.push_back(s); });
  loop_.RunUntilIdle();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(results[1].message().find("'nope'"), std::string::npos) << results[1];
  EXPECT_TRUE(results[2].ok());
  EXPECT_EQ(store_.Size("tasks"), 2u) << "the failed batch's valid put must not apply";
}

TEST_F(MemoryStoreTest, HoldKeepsCommitsPendingUntilRelease) {
  store_.Hold();
  int done = 0;
  store_.Commit({Mutation::Put("tasks", "a", "1")}, [&](absl::Status) { ++done; });
  store_.Commit({Mutation::Put("tasks", "b", "1")}, [&](absl::Status) { ++done; });
  loop_.RunUntilIdle();
  EXPECT_EQ(done, 0);
  EXPECT_EQ(store_.held(), 2u);
  EXPECT_EQ(store_.stats().queued, 2u);
  EXPECT_EQ(store_.stats().pending, 2u);
  EXPECT_EQ(store_.Size("tasks"), 0u);
  store_.Release();
  loop_.RunUntilIdle();
  EXPECT_EQ(done, 2);
  EXPECT_EQ(store_.Size("tasks"), 2u);
}

TEST_F(MemoryStoreTest, CloseCompletesHeldCommitsAndRefusesLaterOnes) {
  store_.Hold();
  absl::Status first = absl::UnknownError("not run");
  absl::Status later = absl::UnknownError("not run");
  store_.Commit({Mutation::Put("tasks", "a", "1")}, [&](absl::Status s) { first = s; });
  ASSERT_TRUE(store_.Close().ok());
  store_.Commit({Mutation::Put("tasks", "b", "1")}, [&](absl::Status s) { later = s; });
  loop_.RunUntilIdle();
  EXPECT_TRUE(first.ok()) << first;
  EXPECT_EQ(later.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(MemoryStoreLifetimeTest, CompletionAfterTheStoreIsGoneIsAbortedNotAUseAfterFree) {
  io::FakeLoop loop;
  absl::Status result = absl::UnknownError("not run");
  {
    MemoryStore store(loop);
    store.Commit({Mutation::Put("tasks", "a", "1")}, [&](absl::Status s) { result = s; });
  }
  loop.RunUntilIdle();
  EXPECT_EQ(result.code(), absl::StatusCode::kAborted);
}

}  // namespace
}  // namespace berth::control
