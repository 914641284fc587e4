#ifndef BERTH_TESTS_UNIT_CONTROL_STORE_STORE_TEST_UTIL_H_
#define BERTH_TESTS_UNIT_CONTROL_STORE_STORE_TEST_UTIL_H_

// Helpers shared by the store tests (unit and kernel tiers): a temporary
// directory, a blocking commit on a FakeLoop, Load into a map, file bytes,
// and a second SQLite connection that holds the write lock.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "control/store/store.h"
#include "io/fake_loop.h"

struct sqlite3;

namespace berth::control::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs the fake loop (whose completions arrive from the store's writer
// thread) until `pred` holds or `seconds` pass. Returns whether it held.
bool PumpUntil(io::FakeLoop& loop, absl::FunctionRef<bool()> pred, double seconds = 20);

// Commits `batch` and waits for its completion.
absl::Status CommitAndWait(io::FakeLoop& loop, Store& store, std::vector<Mutation> batch);

using Records = std::map<std::pair<std::string, std::string>, std::string>;
// Every record, and the (table, key) order Load() produced them in.
absl::Status LoadAll(Store& store, Records* out,
                     std::vector<std::pair<std::string, std::string>>* order = nullptr);

std::string ReadFileBytes(const std::string& path);  // "" if missing
void WriteFileBytes(const std::string& path, const std::string& bytes);
bool FileExists(const std::string& path);

// A plain SQLite connection to a store's file, for setting up damaged or
// foreign databases and for holding the write lock (BEGIN IMMEDIATE) so the
// store's writer waits and batches pile up.
class RawDb {
 public:
  explicit RawDb(const std::string& path);
  ~RawDb();
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  // Runs SQL; fails the current test on error.
  void Exec(const std::string& sql);
  // The first column of every row, as text.
  std::vector<std::string> Column(const std::string& sql);
  int64_t Int(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace berth::control::testing

#endif  // BERTH_TESTS_UNIT_CONTROL_STORE_STORE_TEST_UTIL_H_
