// What OpenSqliteStore refuses, and that a refused file is left as it was:
// the store is never reset or repaired behind the operator's back.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/store/sqlite_store.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "io/status.h"
#include "tests/unit/control/store/store_test_util.h"

namespace berth::control {
namespace {

using testing::CommitAndWait;
using testing::FileExists;
using testing::RawDb;
using testing::ReadFileBytes;
using testing::TempDir;
using testing::WriteFileBytes;

class SqliteOpenTest : public ::testing::Test {
 protected:
  SqliteStoreOptions Options() const {
    SqliteStoreOptions o;
    o.data_dir = dir_.Sub("data");
    return o;
  }
  std::string DbPath() const { return dir_.Sub("data/berth.db"); }

  // A closed store holding `records` tasks of ~1 KiB, so the file has many
  // pages (and no WAL: Close() checkpointed it).
  void MakeStore(int records) {
    auto store = OpenSqliteStore(loop_, Options());
    ASSERT_TRUE(store.ok()) << store.status();
    std::vector<Mutation> batch;
    for (int i = 0; i < records; ++i) {
      batch.push_back(Mutation::Put("tasks", absl::StrCat("task-", i), std::string(1000, 'a' + i % 26)));
    }
    ASSERT_TRUE(CommitAndWait(loop_, **store, std::move(batch)).ok());
    ASSERT_TRUE((*store)->Close().ok());
    loop_.RunUntilIdle();
    ASSERT_FALSE(FileExists(DbPath() + "-wal"));
  }

  // Opens, expects `code` with every piece of `words` in the message, and
  // checks berth.db is byte-identical afterwards.
  void ExpectRefused(absl::StatusCode code, const std::vector<std::string>& words,
                     SqliteStoreOptions::Check check = SqliteStoreOptions::Check::kFull) {
    const std::string before = ReadFileBytes(DbPath());
    const std::string wal_before = ReadFileBytes(DbPath() + "-wal");  // "" when missing
    SqliteStoreOptions options = Options();
    options.open_check = check;
    auto store = OpenSqliteStore(loop_, options);
    ASSERT_FALSE(store.ok()) << "opened a store it should have refused";
    EXPECT_EQ(store.status().code(), code) << store.status();
    for (const std::string& w : words) {
      EXPECT_NE(store.status().message().find(w), std::string::npos)
          << "'" << w << "' missing from: " << store.status();
    }
    EXPECT_TRUE(ReadFileBytes(DbPath()) == before) << "the refused file was modified";
    EXPECT_TRUE(FileExists(DbPath()));
    // The check's read-only connection may create an empty WAL, never write one.
    EXPECT_TRUE(ReadFileBytes(DbPath() + "-wal") == wal_before) << "the WAL was modified";
  }

  TempDir dir_;
  io::FakeLoop loop_;
};

TEST_F(SqliteOpenTest, ANewerSchemaVersionIsRefusedNamingBothVersions) {
  MakeStore(10);
  {
    RawDb raw(DbPath());
    raw.Exec("PRAGMA user_version = 7");
  }
  ExpectRefused(absl::StatusCode::kFailedPrecondition,
                {DbPath(), "schema version is 7", absl::StrCat("up to ", SqliteStoreSchemaVersion()),
                 "has not modified it"});
}

TEST_F(SqliteOpenTest, AFileThatIsNotSqliteIsRefused) {
  ASSERT_EQ(mkdir(dir_.Sub("data").c_str(), 0700), 0);
  std::mt19937 rng(42);
  std::string garbage(10000, '\0');
  for (char& c : garbage) {
    c = static_cast<char>(rng());
  }
  WriteFileBytes(DbPath(), garbage);
  ExpectRefused(absl::StatusCode::kDataLoss,
                {DbPath(), "not a SQLite database", "Restore it from a backup", "-wal"});
}

TEST_F(SqliteOpenTest, ATruncatedDatabaseIsRefused) {
  MakeStore(500);
  std::string bytes = ReadFileBytes(DbPath());
  ASSERT_GT(bytes.size(), 100000u);
  bytes.resize(bytes.size() / 2);
  WriteFileBytes(DbPath(), bytes);
  ExpectRefused(absl::StatusCode::kDataLoss, {DbPath(), "corrupt", "Restore it from a backup"});
}

TEST_F(SqliteOpenTest, ADamagedBtreePageIsRefused) {
  MakeStore(500);
  std::string bytes = ReadFileBytes(DbPath());
  const size_t page = 4096;
  ASSERT_GT(bytes.size(), 20 * page);
  // Page 2 is the records table's root, an interior page by now: scribble
  // over its header and cell pointers.
  for (size_t i = page; i < page + 64; ++i) {
    bytes[i] = static_cast<char>(0xA5);
  }
  WriteFileBytes(DbPath(), bytes);
  ExpectRefused(absl::StatusCode::kDataLoss, {DbPath(), "corrupt", "Restore it from a backup"});
  ExpectRefused(absl::StatusCode::kDataLoss, {DbPath(), "corrupt"},
                SqliteStoreOptions::Check::kQuick);
}

// A row whose key no longer matches its index entry is structurally sound,
// so quick_check passes it, but Load (which walks the index) would return
// the stale key. integrity_check compares the index with the table.
TEST_F(SqliteOpenTest, ARowThatDisagreesWithTheIndexIsRefusedByTheFullCheckOnly) {
  MakeStore(500);
  std::string bytes = ReadFileBytes(DbPath());
  const size_t page = 4096;
  size_t at = std::string::npos;
  for (size_t pos = bytes.find("task-123"); pos != std::string::npos;
       pos = bytes.find("task-123", pos + 1)) {
    if (bytes[pos / page * page] == 0x0d) {  // a table leaf page, not the index
      at = pos;
      break;
    }
  }
  ASSERT_NE(at, std::string::npos) << "no table leaf holds task-123";
  bytes[at + 3] = 'K';  // "tasK-123": same length, same structure
  WriteFileBytes(DbPath(), bytes);
  const std::string before = ReadFileBytes(DbPath());

  SqliteStoreOptions o = Options();
  o.open_check = SqliteStoreOptions::Check::kFull;
  auto store = OpenSqliteStore(loop_, o);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_NE(store.status().message().find("integrity_check"), std::string::npos)
      << store.status();
  EXPECT_TRUE(ReadFileBytes(DbPath()) == before);

  o.open_check = SqliteStoreOptions::Check::kQuick;
  store = OpenSqliteStore(loop_, o);
  EXPECT_TRUE(store.ok()) << "quick_check does not compare indexes with tables: "
                          << store.status();
}

TEST_F(SqliteOpenTest, ASqliteDatabaseOfSomethingElseIsRefused) {
  ASSERT_EQ(mkdir(dir_.Sub("data").c_str(), 0700), 0);
  {
    RawDb raw(DbPath());
    raw.Exec("CREATE TABLE users(name TEXT); INSERT INTO users VALUES('ann')");
  }
  ExpectRefused(absl::StatusCode::kFailedPrecondition, {DbPath(), "not a berth store"});
}

TEST_F(SqliteOpenTest, AnUnknownSchemaAtAKnownVersionIsRefused) {
  MakeStore(1);
  {
    RawDb raw(DbPath());
    raw.Exec("CREATE INDEX records_by_value ON records(value)");
  }
  ExpectRefused(absl::StatusCode::kFailedPrecondition,
                {DbPath(), "not berth's schema version 1", "records_by_value"});
}

TEST_F(SqliteOpenTest, RecordsInATableThisBinaryDoesNotKnowAreRefused) {
  MakeStore(3);
  {
    RawDb raw(DbPath());
    raw.Exec("INSERT INTO records VALUES('capacity_providers', 'cp', '{}')");
  }
  ExpectRefused(absl::StatusCode::kFailedPrecondition,
                {DbPath(), "'capacity_providers'", "does not know"});
}

TEST_F(SqliteOpenTest, AMissingDatabaseWithAWalIsRefusedNotDiscarded) {
  MakeStore(3);
  // Simulate an operator deleting berth.db while its WAL holds commits.
  const std::string wal = std::string(4096, 'w');
  ASSERT_EQ(unlink(DbPath().c_str()), 0);
  WriteFileBytes(DbPath() + "-wal", wal);
  auto store = OpenSqliteStore(loop_, Options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_TRUE(ReadFileBytes(DbPath() + "-wal") == wal);
  EXPECT_FALSE(FileExists(DbPath()));
}

TEST_F(SqliteOpenTest, AnEmptyDatabaseFileIsANewStore) {
  ASSERT_EQ(mkdir(dir_.Sub("data").c_str(), 0700), 0);
  WriteFileBytes(DbPath(), "");
  auto store = OpenSqliteStore(loop_, Options());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE(CommitAndWait(loop_, **store, {Mutation::Put("tasks", "a", "1")}).ok());
}

TEST_F(SqliteOpenTest, ADataDirThatIsAFileIsRefused) {
  WriteFileBytes(dir_.Sub("data"), "x");
  auto store = OpenSqliteStore(loop_, Options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_NE(store.status().message().find("not a directory"), std::string::npos);
}

// Root reads any directory, so the check runs in a child that drops to
// nobody when the test runs as root.
TEST_F(SqliteOpenTest, AnInaccessibleDataDirIsPermissionDenied) {
  const std::string data = dir_.Sub("data");
  ASSERT_EQ(mkdir(data.c_str(), 0700), 0);
  ASSERT_EQ(chmod(dir_.path().c_str(), 0755), 0);
  ASSERT_EQ(chmod(data.c_str(), 0), 0);
  fflush(nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
      _exit(10);
    }
    io::FakeLoop loop;
    SqliteStoreOptions o;
    o.data_dir = data;
    auto store = OpenSqliteStore(loop, o);
    if (store.ok()) {
      _exit(11);
    }
    const bool words = store.status().message().find(data) != std::string::npos &&
                       store.status().message().find("EACCES") != std::string::npos;
    _exit(store.status().code() == absl::StatusCode::kPermissionDenied && words ? 0 : 12);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  chmod(data.c_str(), 0700);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: could not drop privileges, 11: opened, 12: wrong error";
}

}  // namespace
}  // namespace berth::control
