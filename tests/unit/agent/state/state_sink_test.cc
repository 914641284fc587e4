#include "agent/state/state_sink.h"

#include <sqlite3.h>

#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/log.h"
#include "tests/unit/agent/state/state_test_util.h"

namespace berth::agent {
namespace {

using testing::MakeChange;
using testing::MakeTask;
using testing::TaskArn;

class StateSinkTest : public ::testing::Test {
 protected:
  StateSinkTest() {
    AgentStateOptions options;
    options.data_dir = dir_.Sub("data");
    auto store = AgentStateStore::Open(options);
    CHECK_OK(store.status());
    store_ = std::move(*store);
    sink_ = std::make_unique<StateSink>(*store_, [this](TaskChange c) { sent_.push_back(c); });
  }

  testing::TempDir dir_;
  std::unique_ptr<AgentStateStore> store_;
  std::unique_ptr<StateSink> sink_;
  std::vector<TaskChange> sent_;
};

TEST_F(StateSinkTest, ChangedStoresBothThenHandsTheReportOnWithItsSeq) {
  sink_->Changed(MakeTask("a", TaskStatus::kRunning), MakeChange("a", "RUNNING"));
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].seq, 1u);
  EXPECT_EQ(sent_[0].status, "RUNNING");
  auto snapshot = store_->Load();
  ASSERT_TRUE(snapshot.ok());
  ASSERT_EQ(snapshot->tasks.size(), 1u);
  EXPECT_EQ(snapshot->tasks[0].known, TaskStatus::kRunning);
  ASSERT_EQ(snapshot->reports.size(), 1u);
  EXPECT_EQ(snapshot->reports[0], sent_[0]);
}

TEST_F(StateSinkTest, ChangedWithoutReportSendsNothing) {
  sink_->Changed(MakeTask("a", TaskStatus::kPulled), std::nullopt);
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(store_->Load()->tasks.size(), 1u);
  EXPECT_EQ(sink_->stats().changes, 1u);
  EXPECT_EQ(sink_->stats().reports, 0u);
}

TEST_F(StateSinkTest, ForgottenDropsTheTaskButNotItsReports) {
  sink_->Changed(MakeTask("a", TaskStatus::kStopped), MakeChange("a", "STOPPED"));
  sink_->Forgotten(TaskArn("a"));
  auto snapshot = store_->Load();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE(snapshot->tasks.empty());
  EXPECT_EQ(snapshot->reports.size(), 1u);
}

TEST_F(StateSinkTest, FailedWriteStillHandsTheReportOnWithoutASeq) {
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(store_->path().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  sink_->Changed(MakeTask("a", TaskStatus::kRunning), MakeChange("a", "RUNNING"));
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_EQ(sink_->stats().write_failures, 1u);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].seq, 0u);
  EXPECT_EQ(sent_[0].status, "RUNNING");
  EXPECT_TRUE(store_->Load()->reports.empty());
}

}  // namespace
}  // namespace berth::agent
