#include "agent/state/agent_state_store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <memory>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "io/log.h"
#include "io/worker_pool.h"
#include "tests/unit/agent/state/state_test_util.h"

namespace berth::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakeChange;
using testing::MakeTask;
using testing::TaskArn;

// A plain SQLite connection to the store's file, to damage rows or hold the
// write lock.
class RawDb {
 public:
  explicit RawDb(const std::string& path) { CHECK(sqlite3_open(path.c_str(), &db_) == SQLITE_OK); }
  ~RawDb() { sqlite3_close(db_); }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    CHECK(rc == SQLITE_OK) << sql << ": " << (err ? err : "");
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    CHECK(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class AgentStateStoreTest : public ::testing::Test {
 protected:
  AgentStateOptions Options(const std::string& cluster = "default") {
    AgentStateOptions options;
    options.data_dir = dir_.Sub("data");
    options.cluster = cluster;
    options.agent_version = "1.0.0-test";
    return options;
  }
  std::unique_ptr<AgentStateStore> OpenStore() {
    auto store = AgentStateStore::Open(Options());
    CHECK_OK(store.status());
    return std::move(*store);
  }
  // Closes and reopens, as an agent restart would, then loads everything.
  AgentSnapshot Reopen(std::unique_ptr<AgentStateStore>& store) {
    store.reset();
    store = OpenStore();
    auto snapshot = store->Load();
    CHECK_OK(snapshot.status());
    return *std::move(snapshot);
  }
  std::string DbPath() { return dir_.Sub("data") + "/agent.db"; }

  testing::TempDir dir_;
};

TEST_F(AgentStateStoreTest, FreshDatabaseIsEmptyAndInWalMode) {
  auto store = OpenStore();
  auto snapshot = store->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->meta.cluster, "default");
  EXPECT_EQ(snapshot->meta.container_instance_arn, "");
  EXPECT_EQ(snapshot->meta.applied_seq, 0u);
  EXPECT_EQ(snapshot->meta.agent_version, "1.0.0-test");
  EXPECT_EQ(snapshot->meta.data_format_version, kAgentDataFormatVersion);
  EXPECT_TRUE(snapshot->tasks.empty());
  EXPECT_TRUE(snapshot->reports.empty());
  EXPECT_TRUE(snapshot->tombstones.empty());
  EXPECT_EQ(store->path(), DbPath());
  RawDb raw(DbPath());
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
}

TEST_F(AgentStateStoreTest, InstanceArnSurvivesRestart) {
  auto store = OpenStore();
  const std::string arn = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/abc";
  ASSERT_TRUE(store->SaveInstanceArn(arn).ok());
  EXPECT_EQ(store->container_instance_arn(), arn);
  AgentSnapshot snapshot = Reopen(store);
  EXPECT_EQ(snapshot.meta.container_instance_arn, arn);
  EXPECT_EQ(store->container_instance_arn(), arn);
}

TEST_F(AgentStateStoreTest, PutTaskStoresStateAndReportTogether) {
  auto store = OpenStore();
  TaskState task = MakeTask("t1", TaskStatus::kRunning);
  auto stored = store->PutTask(task, MakeChange("t1", "RUNNING"));
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->seq, 1u);

  AgentSnapshot snapshot = Reopen(store);
  ASSERT_EQ(snapshot.tasks.size(), 1u);
  EXPECT_EQ(snapshot.tasks[0], task);
  ASSERT_EQ(snapshot.reports.size(), 1u);
  TaskChange expected = MakeChange("t1", "RUNNING");
  expected.seq = 1;
  EXPECT_EQ(snapshot.reports[0], expected);
}

TEST_F(AgentStateStoreTest, PutTaskWithoutReportReplacesTheState) {
  auto store = OpenStore();
  ASSERT_TRUE(store->PutTask(MakeTask("t1", TaskStatus::kPulled), std::nullopt).ok());
  auto stored = store->PutTask(MakeTask("t1", TaskStatus::kCreated), std::nullopt);
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->has_value());
  AgentSnapshot snapshot = Reopen(store);
  ASSERT_EQ(snapshot.tasks.size(), 1u);
  EXPECT_EQ(snapshot.tasks[0].known, TaskStatus::kCreated);
  EXPECT_TRUE(snapshot.reports.empty());
}

TEST_F(AgentStateStoreTest, ReportSeqsIncreaseAcrossRestarts) {
  auto store = OpenStore();
  ASSERT_TRUE(store->PutTask(MakeTask("a"), MakeChange("a", "PENDING")).ok());
  ASSERT_TRUE(store->PutTask(MakeTask("b"), MakeChange("b", "PENDING")).ok());
  ASSERT_TRUE(store->PutTask(MakeTask("a"), MakeChange("a", "RUNNING")).ok());
  ASSERT_TRUE(store->DeleteReport(1).ok());
  AgentSnapshot snapshot = Reopen(store);
  ASSERT_EQ(snapshot.reports.size(), 2u);
  EXPECT_EQ(snapshot.reports[0].seq, 2u);
  EXPECT_EQ(snapshot.reports[0].task_arn, TaskArn("b"));
  EXPECT_EQ(snapshot.reports[1].seq, 3u);
  EXPECT_EQ(snapshot.reports[1].status, "RUNNING");
  auto next = store->PutTask(MakeTask("b"), MakeChange("b", "RUNNING"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)->seq, 4u);
}

TEST_F(AgentStateStoreTest, DeletedReportIsNotLoadedAgain) {
  auto store = OpenStore();
  ASSERT_TRUE(store->PutTask(MakeTask("a"), MakeChange("a", "RUNNING")).ok());
  ASSERT_TRUE(store->DeleteReport(1).ok());
  AgentSnapshot snapshot = Reopen(store);
  EXPECT_TRUE(snapshot.reports.empty());
  EXPECT_EQ(snapshot.tasks.size(), 1u);
}

TEST_F(AgentStateStoreTest, ForgetTaskKeepsItsUnsentReports) {
  auto store = OpenStore();
  ASSERT_TRUE(store->PutTask(MakeTask("a", TaskStatus::kStopped), MakeChange("a", "STOPPED")).ok());
  ASSERT_TRUE(store->PutTask(MakeTask("b"), std::nullopt).ok());
  ASSERT_TRUE(store->ForgetTask(TaskArn("a")).ok());
  AgentSnapshot snapshot = Reopen(store);
  ASSERT_EQ(snapshot.tasks.size(), 1u);
  EXPECT_EQ(snapshot.tasks[0].spec.arn, TaskArn("b"));
  ASSERT_EQ(snapshot.reports.size(), 1u);
  EXPECT_EQ(snapshot.reports[0].task_arn, TaskArn("a"));
}

TEST_F(AgentStateStoreTest, ApplyBatchWritesTasksTombstonesAndSeqTogether) {
  auto store = OpenStore();
  const absl::Time when = absl::FromUnixSeconds(1700000000);
  AppliedBatch first;
  first.applied_seq = 3;
  first.tasks = {MakeTask("a"), MakeTask("b")};
  first.tombstones = {StopTombstone{TaskArn("x"), "Task stopped by user", when},
                      StopTombstone{TaskArn("y"), "", when}};
  ASSERT_TRUE(store->ApplyBatch(first).ok());
  EXPECT_EQ(store->applied_seq(), 3u);

  AgentSnapshot snapshot = Reopen(store);
  EXPECT_EQ(snapshot.meta.applied_seq, 3u);
  EXPECT_EQ(store->applied_seq(), 3u);
  ASSERT_EQ(snapshot.tasks.size(), 2u);
  EXPECT_EQ(snapshot.tasks[1], MakeTask("b"));
  EXPECT_THAT(snapshot.tombstones,
              ElementsAre(StopTombstone{TaskArn("x"), "Task stopped by user", when},
                          StopTombstone{TaskArn("y"), "", when}));

  AppliedBatch second;
  second.applied_seq = 7;
  second.tasks = {MakeTask("x", TaskStatus::kStopped)};
  second.cleared_tombstones = {TaskArn("x")};
  ASSERT_TRUE(store->ApplyBatch(second).ok());
  snapshot = Reopen(store);
  EXPECT_EQ(snapshot.meta.applied_seq, 7u);
  EXPECT_EQ(snapshot.tasks.size(), 3u);
  EXPECT_THAT(snapshot.tombstones, ElementsAre(StopTombstone{TaskArn("y"), "", when}));
}

TEST_F(AgentStateStoreTest, ApplyBatchRefusesAnAppliedSeqGoingBackwards) {
  auto store = OpenStore();
  ASSERT_TRUE(store->ApplyBatch(AppliedBatch{.applied_seq = 5}).ok());
  AppliedBatch late;
  late.applied_seq = 4;
  late.tasks = {MakeTask("a")};
  absl::Status s = store->ApplyBatch(late);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("seq 4 is below the applied 5"));
  AgentSnapshot snapshot = Reopen(store);
  EXPECT_EQ(snapshot.meta.applied_seq, 5u);
  EXPECT_TRUE(snapshot.tasks.empty());
}

TEST_F(AgentStateStoreTest, AcknowledgedWritesAreFsyncedReportsAreNot) {
  auto store = OpenStore();
  const uint64_t synced = store->synced_commits();
  ASSERT_TRUE(store->PutTask(MakeTask("a"), MakeChange("a", "PENDING")).ok());
  ASSERT_TRUE(store->DeleteReport(1).ok());
  ASSERT_TRUE(store->ForgetTask(TaskArn("a")).ok());
  EXPECT_EQ(store->synced_commits(), synced);
  EXPECT_EQ(store->unsynced_commits(), 3u);
  ASSERT_TRUE(store->ApplyBatch(AppliedBatch{.applied_seq = 1}).ok());
  ASSERT_TRUE(store->SaveInstanceArn("arn:x").ok());
  EXPECT_EQ(store->synced_commits(), synced + 2);
}

// Runs `loop` until `done` holds (the worker pool posts from its thread).
bool PumpUntil(io::FakeLoop& loop, const std::function<bool()>& done) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done() && std::chrono::steady_clock::now() < end) {
    loop.RunUntilIdle();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

TEST_F(AgentStateStoreTest, ApplyBatchAsyncCommitsThenSyncsOnAWorker) {
  io::FakeLoop loop;
  io::WorkerPool pool(loop, 1);
  auto store = OpenStore();
  const uint64_t synced = store->synced_commits();
  std::optional<absl::Status> result;
  store->ApplyBatchAsync(AppliedBatch{.applied_seq = 4, .tasks = {MakeTask("a")}}, pool,
                         [&](absl::Status s) { result = s; });
  EXPECT_FALSE(result.has_value());  // never inside the call
  // Committed already (a kill now loses nothing), without an fsync on the
  // calling thread.
  EXPECT_EQ(store->applied_seq(), 4u);
  EXPECT_EQ(store->synced_commits(), synced);
  ASSERT_TRUE(PumpUntil(loop, [&] { return result.has_value(); }));
  EXPECT_TRUE(result->ok()) << *result;
  AgentSnapshot snapshot = Reopen(store);
  EXPECT_EQ(snapshot.meta.applied_seq, 4u);
  ASSERT_EQ(snapshot.tasks.size(), 1u);
}

TEST_F(AgentStateStoreTest, ApplyBatchAsyncReportsARefusedSeqThroughDone) {
  io::FakeLoop loop;
  io::WorkerPool pool(loop, 1);
  auto store = OpenStore();
  ASSERT_TRUE(store->ApplyBatch(AppliedBatch{.applied_seq = 5}).ok());
  std::optional<absl::Status> result;
  store->ApplyBatchAsync(AppliedBatch{.applied_seq = 3, .tasks = {MakeTask("a")}}, pool,
                         [&](absl::Status s) { result = s; });
  ASSERT_TRUE(PumpUntil(loop, [&] { return result.has_value(); }));
  EXPECT_EQ(result->code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store->Load()->tasks.empty());
}

TEST_F(AgentStateStoreTest, ApplyBatchAsyncWorksInMemory) {
  io::FakeLoop loop;
  io::WorkerPool pool(loop, 1);
  AgentStateOptions options = Options();
  options.in_memory = true;
  auto store = AgentStateStore::Open(options);
  ASSERT_TRUE(store.ok());
  std::optional<absl::Status> result;
  (*store)->ApplyBatchAsync(AppliedBatch{.applied_seq = 2}, pool,
                            [&](absl::Status s) { result = s; });
  ASSERT_TRUE(PumpUntil(loop, [&] { return result.has_value(); }));
  EXPECT_TRUE(result->ok());
  EXPECT_EQ((*store)->applied_seq(), 2u);
}

TEST_F(AgentStateStoreTest, CheckpointsRunOnTheWorkerOnceTheWalIsLongEnough) {
  io::FakeLoop loop;
  io::WorkerPool pool(loop, 1);
  auto store = OpenStore();
  ASSERT_TRUE(store->EnableBackgroundCheckpoints(pool, /*pages=*/50).ok());
  EXPECT_EQ(store->EnableBackgroundCheckpoints(pool).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->PutTask(MakeTask("a"), MakeChange("a", "PENDING")).ok());
  loop.RunUntilIdle();
  EXPECT_EQ(store->background_checkpoints(), 0u);  // a few pages only
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(store->PutTask(MakeTask("t" + std::to_string(i)), MakeChange("a", "RUNNING")).ok());
    loop.RunUntilIdle();
  }
  ASSERT_TRUE(PumpUntil(loop, [&] { return store->background_checkpoints() >= 1; }));
  // Writes go on during and after checkpoints; everything reloads.
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(store->PutTask(MakeTask("u" + std::to_string(i)), std::nullopt).ok());
    loop.RunUntilIdle();
  }
  ASSERT_TRUE(PumpUntil(loop, [&] { return store->background_checkpoints() >= 2; }));
  AgentSnapshot snapshot = Reopen(store);
  EXPECT_EQ(snapshot.tasks.size(), 121u);
  EXPECT_EQ(snapshot.reports.size(), 61u);
}

TEST_F(AgentStateStoreTest, BackgroundCheckpointsNeedAFile) {
  io::FakeLoop loop;
  io::WorkerPool pool(loop, 1);
  AgentStateOptions options = Options();
  options.in_memory = true;
  auto store = AgentStateStore::Open(options);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->EnableBackgroundCheckpoints(pool).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(AgentStateStoreTest, AnotherClustersDatabaseIsRefused) {
  { auto store = OpenStore(); }
  auto other = AgentStateStore::Open(Options("prod"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.status().message(),
              HasSubstr("the saved cluster 'default' does not match the configured cluster "
                        "'prod'"));
  // The file was left as it was.
  auto again = AgentStateStore::Open(Options("default"));
  EXPECT_TRUE(again.ok()) << again.status();
}

// A damaged or foreign agent.db is refused with a status saying what is
// wrong: at Open when the file or its meta rows cannot be trusted, else at
// Load, the Open still working so that the agent learns who it is and can
// say what is broken.
struct DamagedDatabase {
  std::string name;
  // When set, a store first wrote task "a" and its RUNNING report (report
  // row 1); else the data directory is empty.
  bool over_a_store;
  std::function<void(const std::string& db_path)> damage;
  bool fails_at_open;  // else at Load
  absl::StatusCode code;
  std::string message;  // a part of the message; "" checks the code only

  friend void PrintTo(const DamagedDatabase& d, std::ostream* os) { *os << d.name; }
};

std::function<void(const std::string&)> Sql(std::string sql) {
  return [sql = std::move(sql)](const std::string& db_path) { RawDb(db_path).Exec(sql); };
}

std::vector<DamagedDatabase> DamagedDatabases() {
  return {
      {.name = "NewerFormatVersion",
       .over_a_store = true,
       .damage = Sql("UPDATE meta SET value = '99' WHERE key = 'data_format_version'"),
       .fails_at_open = true,
       .code = absl::StatusCode::kFailedPrecondition,
       .message = "data format version 99"},
      {.name = "FileThatIsNotADatabase",
       .over_a_store = false,
       .damage =
           [](const std::string& db_path) { std::ofstream(db_path) << std::string(8192, 'x'); },
       .fails_at_open = true,
       .code = absl::StatusCode::kDataLoss,
       .message = ""},
      {.name = "AnotherApplicationsDatabase",
       .over_a_store = false,
       .damage = Sql("CREATE TABLE other (x INTEGER)"),
       .fails_at_open = true,
       .code = absl::StatusCode::kDataLoss,
       .message = "not a berth agent database"},
      {.name = "CorruptedAppliedSeq",
       .over_a_store = true,
       .damage = Sql("UPDATE meta SET value = 'seven' WHERE key = 'applied_seq'"),
       .fails_at_open = true,
       .code = absl::StatusCode::kDataLoss,
       .message = "meta row 'applied_seq'"},
      {.name = "CorruptedTaskRow",
       .over_a_store = true,
       .damage = Sql("UPDATE tasks SET state = '{\"spec\": 7}'"),
       .fails_at_open = false,
       .code = absl::StatusCode::kDataLoss,
       .message = "tasks row '" + TaskArn("a") + "'"},
      {.name = "TaskRowUnderAnotherArn",
       .over_a_store = true,
       .damage = Sql("UPDATE tasks SET arn = 'arn:elsewhere'"),
       .fails_at_open = false,
       .code = absl::StatusCode::kDataLoss,
       .message = "tasks row 'arn:elsewhere': holds task"},
      {.name = "CorruptedReportRow",
       .over_a_store = true,
       .damage = Sql("UPDATE reports SET change = 'not json'"),
       .fails_at_open = false,
       .code = absl::StatusCode::kDataLoss,
       .message = "reports row '1'"},
  };
}

class DamagedDatabaseTest : public AgentStateStoreTest,
                            public ::testing::WithParamInterface<DamagedDatabase> {};

TEST_P(DamagedDatabaseTest, IsRefusedSayingWhatIsWrong) {
  const DamagedDatabase& c = GetParam();
  if (c.over_a_store) {
    auto store = OpenStore();
    ASSERT_TRUE(store->PutTask(MakeTask("a"), MakeChange("a", "RUNNING")).ok());
  } else {
    ASSERT_EQ(mkdir(dir_.Sub("data").c_str(), 0700), 0);
  }
  c.damage(DbPath());
  auto store = AgentStateStore::Open(Options());
  absl::Status status;
  if (c.fails_at_open) {
    ASSERT_FALSE(store.ok());
    status = store.status();
  } else {
    ASSERT_TRUE(store.ok()) << store.status();
    status = (*store)->Load().status();
  }
  EXPECT_EQ(status.code(), c.code) << status;
  EXPECT_THAT(status.message(), HasSubstr(c.message));
}

INSTANTIATE_TEST_SUITE_P(Cases, DamagedDatabaseTest, ::testing::ValuesIn(DamagedDatabases()),
                         [](const ::testing::TestParamInfo<DamagedDatabase>& info) {
                           return info.param.name;
                         });

TEST_F(AgentStateStoreTest, WriteLockedDatabaseFailsTheWriteAndKeepsTheOldState) {
  auto store = OpenStore();
  ASSERT_TRUE(store->PutTask(MakeTask("a", TaskStatus::kPulled), std::nullopt).ok());
  {
    RawDb other(DbPath());
    other.Exec("BEGIN IMMEDIATE");
    auto stored = store->PutTask(MakeTask("a", TaskStatus::kRunning), MakeChange("a", "RUNNING"));
    ASSERT_FALSE(stored.ok());
    EXPECT_EQ(stored.status().code(), absl::StatusCode::kUnavailable);
    other.Exec("ROLLBACK");
  }
  AgentSnapshot snapshot = Reopen(store);
  ASSERT_EQ(snapshot.tasks.size(), 1u);
  EXPECT_EQ(snapshot.tasks[0].known, TaskStatus::kPulled);
  EXPECT_TRUE(snapshot.reports.empty());
}

TEST_F(AgentStateStoreTest, InMemoryStoreKeepsNothing) {
  AgentStateOptions options = Options();
  options.in_memory = true;
  {
    auto store = AgentStateStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->PutTask(MakeTask("a"), MakeChange("a", "PENDING")).ok());
    auto snapshot = (*store)->Load();
    ASSERT_TRUE(snapshot.ok());
    EXPECT_EQ(snapshot->tasks.size(), 1u);
  }
  auto store = AgentStateStore::Open(options);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->Load()->tasks.empty());
  EXPECT_FALSE(access(DbPath().c_str(), F_OK) == 0);
}

// A crash in the middle of a transaction: a child process opens the store,
// writes up to `point` and dies there (_exit, no cleanup, like kill -9).
class AgentStateCrashTest : public AgentStateStoreTest {
 protected:
  // Dies at the `occurrence`th time `point` is reached.
  template <typename Write>
  void CrashAt(const std::string& point, Write write, int occurrence = 1) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = AgentStateStore::Open(Options());
      if (!store.ok()) {
        _exit(2);
      }
      int seen = 0;
      (*store)->SetCrashHookForTest([&point, &seen, occurrence](std::string_view at) {
        if (at == point && ++seen == occurrence) {
          _exit(0);
        }
      });
      write(**store);
      _exit(3);  // the crash point was never reached
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0) << "the child did not reach " << point;
  }
};

TEST_F(AgentStateCrashTest, CrashBetweenTaskRowAndReportLeavesNeither) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->PutTask(MakeTask("a", TaskStatus::kPulled), std::nullopt).ok());
  }
  CrashAt("PutTask: task row written", [](AgentStateStore& store) {
    (void)store.PutTask(MakeTask("a", TaskStatus::kRunning), MakeChange("a", "RUNNING"));
  });
  auto store = OpenStore();
  auto snapshot = store->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  ASSERT_EQ(snapshot->tasks.size(), 1u);
  EXPECT_EQ(snapshot->tasks[0].known, TaskStatus::kPulled);
  EXPECT_TRUE(snapshot->reports.empty());
  // The store is usable after the crash.
  ASSERT_TRUE(store->PutTask(MakeTask("a", TaskStatus::kRunning), MakeChange("a", "RUNNING")).ok());
}

TEST_F(AgentStateCrashTest, CrashBeforeTheAppliedSeqLeavesTheWholeBatchUnapplied) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->ApplyBatch(AppliedBatch{.applied_seq = 2, .tasks = {MakeTask("a")}}).ok());
  }
  CrashAt("ApplyBatch: rows written", [](AgentStateStore& store) {
    (void)store.ApplyBatch(AppliedBatch{
        .applied_seq = 4,
        .tasks = {MakeTask("b"), MakeTask("c")},
        .tombstones = {StopTombstone{TaskArn("d"), "stop", absl::UnixEpoch()}}});
  });
  auto store = OpenStore();
  auto snapshot = store->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->meta.applied_seq, 2u);
  ASSERT_EQ(snapshot->tasks.size(), 1u);
  EXPECT_EQ(snapshot->tasks[0].spec.arn, TaskArn("a"));
  EXPECT_TRUE(snapshot->tombstones.empty());
}

TEST_F(AgentStateCrashTest, CommittedWritesSurviveAKilledProcess) {
  CrashAt("PutTask: task row written", [](AgentStateStore& store) {
    CHECK_OK(store.PutTask(MakeTask("a", TaskStatus::kRunning), MakeChange("a", "RUNNING"))
                 .status());
    CHECK_OK(store.ApplyBatch(AppliedBatch{.applied_seq = 9}));
    (void)store.PutTask(MakeTask("b"), std::nullopt);  // dies here
  }, /*occurrence=*/2);
  auto store = OpenStore();
  auto snapshot = store->Load();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(snapshot->meta.applied_seq, 9u);
  ASSERT_EQ(snapshot->tasks.size(), 1u);
  EXPECT_EQ(snapshot->tasks[0].known, TaskStatus::kRunning);
  ASSERT_EQ(snapshot->reports.size(), 1u);
  EXPECT_EQ(snapshot->reports[0].status, "RUNNING");
}

// Measures the commits on the launch path; prints, asserts nothing about
// time. Run by hand: --gtest_also_run_disabled_tests
// --gtest_filter='*DISABLED_MeasureCommitCost*'.
TEST_F(AgentStateStoreTest, DISABLED_MeasureCommitCost) {
  auto store = OpenStore();
  constexpr int kRounds = 2000;
  TaskState task = MakeTask("measure", TaskStatus::kRunning);
  TaskChange change = MakeChange("measure", "RUNNING");
  auto encode_start = std::chrono::steady_clock::now();
  size_t bytes = 0;
  for (int i = 0; i < kRounds; ++i) {
    bytes += EncodeTaskState(task).size() + EncodeTaskChange(change).size();
  }
  auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (int i = 0; i < kRounds; ++i) {
    CHECK_OK(store->PutTask(task, change).status());
  }
  const std::clock_t cpu_mid = std::clock();
  auto mid = std::chrono::steady_clock::now();
  for (int i = 1; i <= kRounds / 10; ++i) {
    CHECK_OK(store->ApplyBatch(AppliedBatch{.applied_seq = static_cast<uint64_t>(i),
                                            .tasks = {task}}));
  }
  auto end = std::chrono::steady_clock::now();
  auto us = [](auto d) { return std::chrono::duration<double, std::micro>(d).count(); };
  io::FakeLoop loop;
  io::WorkerPool pool(loop, 1);
  double in_call_us = 0;
  for (int i = 1; i <= kRounds / 10; ++i) {
    bool done = false;
    auto call_start = std::chrono::steady_clock::now();
    store->ApplyBatchAsync(
        AppliedBatch{.applied_seq = static_cast<uint64_t>(kRounds + i), .tasks = {task}}, pool,
        [&](absl::Status s) {
          CHECK_OK(s);
          done = true;
        });
    in_call_us += us(std::chrono::steady_clock::now() - call_start);
    CHECK(PumpUntil(loop, [&] { return done; }));
  }
  std::printf("ApplyBatchAsync (1 task + seq): %.1f us/commit on the calling thread\n",
              in_call_us / (kRounds / 10));
  // The slowest commits: SQLite's automatic checkpoint (two fsyncs) lands on
  // the committing thread unless checkpoints run on the pool.
  auto tail = [&](AgentStateStore& s, const char* what) {
    std::vector<double> times;
    for (int i = 0; i < kRounds; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      CHECK_OK(s.PutTask(task, change).status());
      times.push_back(us(std::chrono::steady_clock::now() - t0));
      loop.RunUntilIdle();
    }
    std::sort(times.begin(), times.end());
    std::printf("PutTask with %s: p50 %.0f us, p99 %.0f us, max %.0f us\n", what,
                times[times.size() / 2], times[times.size() * 99 / 100], times.back());
  };
  tail(*store, "automatic checkpoints");
  CHECK_OK(store->EnableBackgroundCheckpoints(pool));
  tail(*store, "background checkpoints");
  CHECK(PumpUntil(loop, [&] { return store->background_checkpoints() > 0; }));
  std::printf("background checkpoints: %llu\n",
              static_cast<unsigned long long>(store->background_checkpoints()));
  std::printf("EncodeTaskState + EncodeTaskChange alone: %.1f us (%zu bytes)\n",
              us(start - encode_start) / kRounds, bytes / kRounds);
  std::printf("PutTask (task + report, synchronous=NORMAL): %.1f us/commit (%.1f us CPU)\n",
              us(mid - start) / kRounds,
              1e6 * static_cast<double>(cpu_mid - cpu_start) / CLOCKS_PER_SEC / kRounds);
  std::printf("ApplyBatch (1 task + seq, synchronous=FULL): %.1f us/commit\n",
              us(end - mid) / (kRounds / 10));
  EXPECT_EQ(store->unsynced_commits(), static_cast<uint64_t>(kRounds));
}

}  // namespace
}  // namespace berth::agent
