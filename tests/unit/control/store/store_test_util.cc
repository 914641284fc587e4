#include "tests/unit/control/store/store_test_util.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"

namespace berth::control::testing {

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                     "/berth-store-test.XXXXXX";
  char* made = mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr) << "mkdtemp " << tmpl;
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool PumpUntil(io::FakeLoop& loop, absl::FunctionRef<bool()> pred, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (true) {
    loop.RunUntilIdle();
    if (pred()) {
      return true;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

absl::Status CommitAndWait(io::FakeLoop& loop, Store& store, std::vector<Mutation> batch) {
  bool done = false;
  absl::Status result = absl::DeadlineExceededError("the commit did not complete in time");
  store.Commit(std::move(batch), [&](absl::Status s) {
    result = std::move(s);
    done = true;
  });
  PumpUntil(loop, [&] { return done; });
  return result;
}

absl::Status LoadAll(Store& store, Records* out,
                     std::vector<std::pair<std::string, std::string>>* order) {
  out->clear();
  return store.Load([&](std::string_view table, std::string_view key, std::string_view value) {
    const bool inserted =
        out->emplace(std::make_pair(std::string(table), std::string(key)), std::string(value))
            .second;
    EXPECT_TRUE(inserted) << "Load produced " << table << "/" << key << " twice";
    if (order != nullptr) {
      order->emplace_back(table, key);
    }
    return absl::OkStatus();
  });
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "write " << path;
}

bool FileExists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

RawDb::RawDb(const std::string& path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                 nullptr);
  EXPECT_EQ(rc, SQLITE_OK) << "open " << path << ": " << sqlite3_errstr(rc);
}

RawDb::~RawDb() { sqlite3_close_v2(db_); }

void RawDb::Exec(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (err ? err : "");
  sqlite3_free(err);
}

std::vector<std::string> RawDb::Column(const std::string& sql) {
  std::vector<std::string> rows;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    return rows;
  }
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
  }
  if (rc != SQLITE_DONE) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
  }
  sqlite3_finalize(stmt);
  return rows;
}

int64_t RawDb::Int(const std::string& sql) {
  std::vector<std::string> rows = Column(sql);
  int64_t v = -1;
  EXPECT_TRUE(!rows.empty() && absl::SimpleAtoi(rows.front(), &v)) << sql;
  return v;
}

}  // namespace berth::control::testing
