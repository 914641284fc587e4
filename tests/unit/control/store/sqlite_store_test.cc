#include "control/store/sqlite_store.h"

#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "io/status.h"
#include "tests/unit/control/store/store_test_util.h"

namespace berth::control {
namespace {

using testing::CommitAndWait;
using testing::LoadAll;
using testing::PumpUntil;
using testing::RawDb;
using testing::Records;
using testing::TempDir;

class SqliteStoreTest : public ::testing::Test {
 protected:
  SqliteStoreOptions Options() const {
    SqliteStoreOptions o;
    o.data_dir = dir_.Sub("data");
    return o;
  }
  std::unique_ptr<Store> Open(SqliteStoreOptions o) {
    auto store = OpenSqliteStore(loop_, std::move(o));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::unique_ptr<Store> Open() { return Open(Options()); }
  std::string DbPath() const { return dir_.Sub("data/berth.db"); }

  // Takes SQLite's write lock on another connection (as a backup tool
  // would), commits a first batch and waits until the writer has taken it:
  // the writer now waits for the lock, as it would on a slow fsync, and
  // batches committed after this share the next transaction.
  void BlockWriter(RawDb& other, Store& store) {
    other.Exec("BEGIN IMMEDIATE");
    store.Commit({Mutation::Put("meta", "blocker", "1")},
                 [](absl::Status s) { EXPECT_TRUE(s.ok()) << s; });
    ASSERT_TRUE(PumpUntil(loop_, [&] { return store.stats().queued == 0; }));
    EXPECT_EQ(store.stats().pending, 1u);
  }

  // Closes and runs the completions Close() posted.
  void CloseStore(std::unique_ptr<Store>& store) {
    ASSERT_TRUE(store->Close().ok());
    loop_.RunUntilIdle();
    store.reset();
  }

  TempDir dir_;
  io::FakeLoop loop_;
};

TEST_F(SqliteStoreTest, PutsOverwritesAndDeletesSurviveReopen) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(CommitAndWait(loop_, *store,
                            {Mutation::Put("clusters", "default", "{\"v\":1}"),
                             Mutation::Put("tasks", "t1", "run"), Mutation::Put("tasks", "t2", "run"),
                             Mutation::Put("tags", "x", "y")})
                  .ok());
  ASSERT_TRUE(CommitAndWait(loop_, *store,
                            {Mutation::Put("clusters", "default", "{\"v\":2}"),
                             Mutation::Delete("tasks", "t1"), Mutation::Delete("tasks", "absent")})
                  .ok());
  CloseStore(store);

  store = Open();
  ASSERT_NE(store, nullptr);
  Records records;
  ASSERT_TRUE(LoadAll(*store, &records).ok());
  EXPECT_EQ(records, (Records{{{"clusters", "default"}, "{\"v\":2}"},
                              {{"tasks", "t2"}, "run"},
                              {{"tags", "x"}, "y"}}));
  // A delete after reopen, seen by the next reopen.
  ASSERT_TRUE(CommitAndWait(loop_, *store, {Mutation::Delete("tags", "x")}).ok());
  CloseStore(store);
  store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(LoadAll(*store, &records).ok());
  EXPECT_EQ(records.count({"tags", "x"}), 0u);
  EXPECT_EQ(records.size(), 2u);
}

TEST_F(SqliteStoreTest, LoadWalksTablesInOptionOrderAndKeysInByteOrderWithBinaryData) {
  SqliteStoreOptions o = Options();
  o.tables = {"zeta", "alpha"};
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  const std::string nul_key("a\0b", 3);
  const std::string binary_value("\0\xff\x01", 3);
  ASSERT_TRUE(CommitAndWait(loop_, *store,
                            {Mutation::Put("alpha", "b", "1"), Mutation::Put("alpha", "\xff", "2"),
                             Mutation::Put("alpha", nul_key, binary_value),
                             Mutation::Put("alpha", "a", ""), Mutation::Put("zeta", "k", "3")})
                  .ok());
  CloseStore(store);
  store = Open(o);
  ASSERT_NE(store, nullptr);
  Records records;
  std::vector<std::pair<std::string, std::string>> order;
  ASSERT_TRUE(LoadAll(*store, &records, &order).ok());
  EXPECT_EQ(order, (std::vector<std::pair<std::string, std::string>>{
                       {"zeta", "k"}, {"alpha", "a"}, {"alpha", nul_key}, {"alpha", "b"},
                       {"alpha", "\xff"}}));
  EXPECT_EQ(records[std::make_pair(std::string("alpha"), nul_key)], binary_value);
  EXPECT_EQ(records[std::make_pair(std::string("alpha"), std::string("a"))], "");
}

TEST_F(SqliteStoreTest, LoadStopsAtTheCallbacksError) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(CommitAndWait(loop_, *store,
                            {Mutation::Put("tasks", "a", "1"), Mutation::Put("tasks", "b", "2")})
                  .ok());
  int seen = 0;
  absl::Status s = store->Load([&](std::string_view, std::string_view, std::string_view) {
    ++seen;
    return absl::DataLossError("bad json");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(seen, 1);
}

TEST_F(SqliteStoreTest, DoneCallbacksRunOnTheLoopThreadInSubmissionOrder) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const auto loop_thread = std::this_thread::get_id();
  std::vector<int> order;
  constexpr int kBatches = 300;
  for (int i = 0; i < kBatches; ++i) {
    // Every seventh batch is bad: failures keep their place in the order.
    std::vector<Mutation> batch = {Mutation::Put("tasks", absl::StrCat("k", i), "v")};
    if (i % 7 == 3) {
      batch.push_back(Mutation::Put("unknown", "k", "v"));
    }
    store->Commit(std::move(batch), [&order, i, loop_thread](absl::Status s) {
      EXPECT_EQ(std::this_thread::get_id(), loop_thread);
      EXPECT_EQ(s.ok(), i % 7 != 3) << i << ": " << s;
      order.push_back(i);
    });
  }
  ASSERT_TRUE(PumpUntil(loop_, [&] { return order.size() == kBatches; }));
  for (int i = 0; i < kBatches; ++i) {
    ASSERT_EQ(order[i], i);
  }
  const Store::Stats stats = store->stats();
  EXPECT_EQ(stats.batches, static_cast<uint64_t>(kBatches));
  EXPECT_EQ(stats.failed_batches, 43u);  // i % 7 == 3 for i < 300
  EXPECT_EQ(stats.mutations, static_cast<uint64_t>(kBatches - 43));
}

TEST_F(SqliteStoreTest, SequentialCommitsAreOneTransactionEach) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(CommitAndWait(loop_, *store, {Mutation::Put("tasks", absl::StrCat(i), "v")}).ok());
  }
  const Store::Stats stats = store->stats();
  EXPECT_EQ(stats.batches, 20u);
  EXPECT_EQ(stats.transactions, 20u);
  EXPECT_EQ(stats.max_batches_per_txn, 1u);
  EXPECT_GT(stats.txn_p50_us, 0);
  EXPECT_GE(stats.batch_p99_us, stats.batch_p50_us);
}

// Holds SQLite's write lock from another connection so the store's writer
// waits in its busy handler, the way it waits on a slow fsync.
TEST_F(SqliteStoreTest, BatchesQueuedWhileTheWriterIsBusyShareOneTransaction) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  RawDb other(DbPath());
  other.Exec("BEGIN IMMEDIATE");
  constexpr int kBatches = 1000;
  int done = 0;
  int failed = 0;
  for (int i = 0; i < kBatches; ++i) {
    store->Commit({Mutation::Put("tasks", absl::StrCat("task-", i), std::string(100, 'x'))},
                  [&](absl::Status s) {
                    ++done;
                    failed += s.ok() ? 0 : 1;
                  });
  }
  ASSERT_TRUE(PumpUntil(loop_, [&] { return store->stats().queued < kBatches; }));
  // Give a broken store the chance to complete something it could not have
  // made durable; a correct one cannot while the lock is held.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  loop_.RunUntilIdle();
  EXPECT_EQ(done, 0) << "a batch completed while another connection held the write lock";
  EXPECT_EQ(store->stats().pending, static_cast<uint64_t>(kBatches));
  other.Exec("COMMIT");
  ASSERT_TRUE(PumpUntil(loop_, [&] { return done == kBatches; }));
  EXPECT_EQ(failed, 0);
  const Store::Stats stats = store->stats();
  EXPECT_EQ(stats.batches, static_cast<uint64_t>(kBatches));
  // The writer took what was queued when it woke (at least the first batch)
  // into one transaction and everything else into the next.
  EXPECT_LE(stats.transactions, 2u);
  EXPECT_GE(stats.max_batches_per_txn, static_cast<uint64_t>(kBatches / 2));
  EXPECT_EQ(other.Int("SELECT count(*) FROM records WHERE tbl = 'tasks'"), kBatches);
}

TEST_F(SqliteStoreTest, MaxTxnBytesSplitsABacklogIntoSeveralTransactions) {
  SqliteStoreOptions o = Options();
  o.max_txn_bytes = 64 * 1024;
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  RawDb other(DbPath());
  other.Exec("BEGIN IMMEDIATE");
  int done = 0;
  for (int i = 0; i < 100; ++i) {  // 100 × ~4 KiB = 400 KiB
    store->Commit({Mutation::Put("tasks", absl::StrCat(i), std::string(4096, 'v'))},
                  [&](absl::Status s) {
                    EXPECT_TRUE(s.ok()) << s;
                    ++done;
                  });
  }
  other.Exec("COMMIT");
  ASSERT_TRUE(PumpUntil(loop_, [&] { return done == 100; }));
  const Store::Stats stats = store->stats();
  EXPECT_GE(stats.transactions, 7u);   // ≥ 400 KiB / 64 KiB
  EXPECT_LE(stats.max_batches_per_txn, 16u);  // ≤ 64 KiB / 4 KiB
}

TEST_F(SqliteStoreTest, ABatchWithAnUnknownTableFailsAloneInsideAGroup) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  RawDb other(DbPath());
  BlockWriter(other, *store);
  std::vector<absl::Status> results(3, absl::UnknownError("not run"));
  store->Commit({Mutation::Put("tasks", "a", "1")}, [&](absl::Status s) { results[0] = s; });
  store->Commit({Mutation::Put("tasks", "b", "1"), Mutation::Put("taks", "c", "1")},
                [&](absl::Status s) { results[1] = s; });
  store->Commit({Mutation::Put("tasks", "d", "1")}, [&](absl::Status s) { results[2] = s; });
  other.Exec("COMMIT");
  ASSERT_TRUE(PumpUntil(loop_, [&] { return store->stats().batches == 4; }));
  loop_.RunUntilIdle();
  EXPECT_EQ(store->stats().transactions, 2u);
  EXPECT_EQ(store->stats().max_batches_per_txn, 2u) << "the good batches around it share one";
  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_EQ(results[1].code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(results[1].message().find("unknown table 'taks'"), std::string::npos) << results[1];
  EXPECT_TRUE(results[2].ok()) << results[2];
  Records records;
  ASSERT_TRUE(LoadAll(*store, &records).ok());
  EXPECT_EQ(records, (Records{{{"meta", "blocker"}, "1"}, {{"tasks", "a"}, "1"},
                              {{"tasks", "d"}, "1"}}));
}

TEST_F(SqliteStoreTest, AnOversizedRecordFailsItsBatchBeforeAnythingIsWritten) {
  SqliteStoreOptions o = Options();
  o.max_value_bytes = 1000;
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  absl::Status s = CommitAndWait(
      loop_, *store, {Mutation::Put("tasks", "ok", "1"), Mutation::Put("tasks", "big", std::string(1001, 'x'))});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("limit of 1000"), std::string::npos) << s;
  Records records;
  ASSERT_TRUE(LoadAll(*store, &records).ok());
  EXPECT_TRUE(records.empty());
}

TEST_F(SqliteStoreTest, AFullDatabaseFailsTheWholeTransactionRollsBackAndRecovers) {
  SqliteStoreOptions o = Options();
  o.max_db_bytes = 256 * 1024;
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(CommitAndWait(loop_, *store, {Mutation::Put("tasks", "before", "1")}).ok());

  RawDb other(DbPath());
  BlockWriter(other, *store);
  std::vector<absl::Status> results(2, absl::UnknownError("not run"));
  store->Commit({Mutation::Put("tasks", "small", "1")}, [&](absl::Status s) { results[0] = s; });
  std::vector<Mutation> big;
  for (int i = 0; i < 200; ++i) {  // 200 × 2 KiB: far past 256 KiB with b-tree overhead
    big.push_back(Mutation::Put("tasks", absl::StrCat("big-", i), std::string(2048, 'x')));
  }
  store->Commit(std::move(big), [&](absl::Status s) { results[1] = s; });
  other.Exec("COMMIT");
  ASSERT_TRUE(PumpUntil(loop_, [&] { return store->stats().batches == 4; }));
  loop_.RunUntilIdle();
  for (const absl::Status& r : results) {
    EXPECT_EQ(r.code(), absl::StatusCode::kResourceExhausted) << r;
    EXPECT_NE(r.message().find("SQLITE_FULL"), std::string::npos) << r;
    EXPECT_NE(r.message().find("rolled back"), std::string::npos) << r;
  }
  // Not sticky: a full database takes writes again once there is room.
  EXPECT_TRUE(CommitAndWait(loop_, *store, {Mutation::Put("tasks", "after", "1")}).ok());
  CloseStore(store);
  store = Open(o);
  ASSERT_NE(store, nullptr);
  Records records;
  ASSERT_TRUE(LoadAll(*store, &records).ok());
  EXPECT_EQ(records, (Records{{{"meta", "blocker"}, "1"}, {{"tasks", "after"}, "1"},
                              {{"tasks", "before"}, "1"}}));
}

TEST_F(SqliteStoreTest, CloseDrainsTheQueueAndLaterCommitsFail) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  int ok = 0;
  for (int i = 0; i < 200; ++i) {
    store->Commit({Mutation::Put("tasks", absl::StrCat(i), "v")},
                  [&](absl::Status s) { ok += s.ok() ? 1 : 0; });
  }
  ASSERT_TRUE(store->Close().ok());
  absl::Status after = absl::UnknownError("not run");
  store->Commit({Mutation::Put("tasks", "late", "v")}, [&](absl::Status s) { after = s; });
  loop_.RunUntilIdle();
  EXPECT_EQ(ok, 200) << "Close() must drain, and its completions run on the loop";
  EXPECT_EQ(after.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Load([](auto, auto, auto) { return absl::OkStatus(); }).code(),
            absl::StatusCode::kFailedPrecondition);
  store.reset();
  EXPECT_FALSE(testing::FileExists(DbPath() + "-wal")) << "Close() checkpoints and removes the WAL";

  store = Open();
  ASSERT_NE(store, nullptr);
  Records records;
  ASSERT_TRUE(LoadAll(*store, &records).ok());
  EXPECT_EQ(records.size(), 200u);
  EXPECT_EQ(records.count({"tasks", "late"}), 0u);
}

TEST_F(SqliteStoreTest, ASecondStoreOnTheSameDirectoryIsRefusedUntilTheFirstCloses) {
  auto first = Open();
  ASSERT_NE(first, nullptr);
  auto second = OpenSqliteStore(loop_, Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another berth-control"), std::string::npos)
      << second.status();
  EXPECT_NE(second.status().message().find(absl::StrCat("process ", getpid())), std::string::npos)
      << second.status();
  CloseStore(first);
  auto third = OpenSqliteStore(loop_, Options());
  EXPECT_TRUE(third.ok()) << third.status();
}

TEST_F(SqliteStoreTest, ANewStoreIsWalFullSyncSchemaVersion1InA0700Directory) {
  SqliteStoreOptions o = Options();
  o.data_dir = dir_.Sub("a/b/data");
  auto store = Open(o);
  ASSERT_NE(store, nullptr);
  struct stat st;
  ASSERT_EQ(stat(o.data_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  RawDb raw(o.data_dir + "/berth.db");
  EXPECT_EQ(raw.Int("PRAGMA user_version"), SqliteStoreSchemaVersion());
  EXPECT_EQ(raw.Int("PRAGMA application_id"), 0x62727468);
  EXPECT_EQ(raw.Column("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  EXPECT_EQ(raw.Column("SELECT name FROM sqlite_schema ORDER BY name"),
            (std::vector<std::string>{"records", "sqlite_autoindex_records_1"}));
}

TEST_F(SqliteStoreTest, BadOptionsAreRejected) {
  SqliteStoreOptions o = Options();
  o.tables = {"a", "a"};
  EXPECT_EQ(OpenSqliteStore(loop_, o).status().code(), absl::StatusCode::kInvalidArgument);
  o = Options();
  o.data_dir = "";
  EXPECT_EQ(OpenSqliteStore(loop_, o).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, Loads100kRecords) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  constexpr int kRecords = 100000;
  constexpr int kPerBatch = 1000;
  int done = 0;
  for (int b = 0; b < kRecords / kPerBatch; ++b) {
    std::vector<Mutation> batch;
    for (int i = b * kPerBatch; i < (b + 1) * kPerBatch; ++i) {
      batch.push_back(Mutation::Put("tasks", absl::StrCat("task-", 1000000 + i),
                                    absl::StrCat("{\"n\":", i, ",\"pad\":\"", std::string(200, 'p'),
                                                 "\"}")));
    }
    store->Commit(std::move(batch), [&](absl::Status s) {
      ASSERT_TRUE(s.ok()) << s;
      ++done;
    });
  }
  ASSERT_TRUE(PumpUntil(loop_, [&] { return done == kRecords / kPerBatch; }, 120));
  CloseStore(store);

  const auto start = std::chrono::steady_clock::now();
  store = Open();
  ASSERT_NE(store, nullptr);
  const auto opened = std::chrono::steady_clock::now();
  int n = 0;
  std::string last;
  ASSERT_TRUE(store
                  ->Load([&](std::string_view table, std::string_view key, std::string_view value) {
                    EXPECT_EQ(table, "tasks");
                    EXPECT_LT(last, key);
                    EXPECT_EQ(value.substr(0, 5 + std::to_string(n).size()),
                              absl::StrCat("{\"n\":", n));
                    last = std::string(key);
                    ++n;
                    return absl::OkStatus();
                  })
                  .ok());
  const auto loaded = std::chrono::steady_clock::now();
  EXPECT_EQ(n, kRecords);
  std::printf("100k records (~230 B): open with integrity_check %.1f ms, Load %.1f ms\n",
              std::chrono::duration<double, std::milli>(opened - start).count(),
              std::chrono::duration<double, std::milli>(loaded - opened).count());
}

}  // namespace
}  // namespace berth::control
