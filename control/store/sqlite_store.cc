#include "control/store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "control/store/data_dir.h"
#include "control/store/schema.h"
#include "control/store/sqlite_db.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::control {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kDbName[] = "berth.db";
constexpr size_t kLatencyWindow = 1024;
constexpr char kPutSql[] =
    "INSERT INTO records(tbl, key, value) VALUES(?1, ?2, ?3) "
    "ON CONFLICT(tbl, key) DO UPDATE SET value = excluded.value";
constexpr char kDeleteSql[] = "DELETE FROM records WHERE tbl = ?1 AND key = ?2";
constexpr char kLoadSql[] = "SELECT key, value FROM records WHERE tbl = ?1 ORDER BY key";

// The last kLatencyWindow samples, for percentiles in stats().
class LatencyWindow {
 public:
  void Add(double us) {
    if (samples_.size() < kLatencyWindow) {
      samples_.push_back(us);
    } else {
      samples_[next_] = us;
    }
    next_ = (next_ + 1) % kLatencyWindow;
  }
  double Percentile(double p) const {
    if (samples_.empty()) {
      return 0;
    }
    std::vector<double> sorted = samples_;
    const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
    std::nth_element(sorted.begin(), sorted.begin() + i, sorted.end());
    return sorted[i];
  }

 private:
  std::vector<double> samples_;
  size_t next_ = 0;
};

double MicrosSince(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double, std::micro>(end - start).count();
}

// SQLite results after which what reached the disk is unknown (a failed
// fsync may have dropped dirty pages; the file may be damaged): the store
// stops writing rather than build on it.
bool IsSticky(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_IOERR || primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

struct Pending {
  std::vector<Mutation> batch;
  absl::AnyInvocable<void(absl::Status)> done;
  absl::Status precheck;  // not OK: fails in its turn, never reaches SQLite
  size_t bytes = 0;
  Clock::time_point queued;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(io::EventLoop& loop, SqliteStoreOptions options, DataDir dir, std::string path,
              sqlite::DbPtr db, sqlite::StmtPtr put, sqlite::StmtPtr del)
      : loop_(loop),
        options_(std::move(options)),
        tables_(options_.tables.begin(), options_.tables.end()),
        dir_(std::move(dir)),
        path_(std::move(path)),
        db_(std::move(db)),
        put_(std::move(put)),
        del_(std::move(del)) {
    writer_ = std::thread([this] { WriterMain(); });
  }

  ~SqliteStore() override {
    absl::Status s = Close();
    if (!s.ok()) {
      LOG(ERROR) << "closing the store: " << s;
    }
  }

  absl::Status Load(absl::FunctionRef<absl::Status(std::string_view, std::string_view,
                                                   std::string_view)>
                        fn) override {
    std::lock_guard<std::mutex> db_lock(db_mu_);
    if (!db_) {
      return absl::FailedPreconditionError(absl::StrCat("the store ", path_, " is closed"));
    }
    ASSIGN_OR_RETURN(sqlite::StmtPtr stmt, sqlite::Prepare(db_.get(), kLoadSql));
    for (const std::string& table : options_.tables) {
      sqlite3_reset(stmt.get());
      sqlite3_bind_text(stmt.get(), 1, table.data(), static_cast<int>(table.size()),
                        SQLITE_STATIC);
      int rc;
      while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
        const auto* key = static_cast<const char*>(sqlite3_column_blob(stmt.get(), 0));
        const size_t key_len = sqlite3_column_bytes(stmt.get(), 0);
        const auto* value = static_cast<const char*>(sqlite3_column_blob(stmt.get(), 1));
        const size_t value_len = sqlite3_column_bytes(stmt.get(), 1);
        RETURN_IF_ERROR(fn(table, std::string_view(key ? key : "", key_len),
                           std::string_view(value ? value : "", value_len)));
      }
      if (rc != SQLITE_DONE) {
        return sqlite::SqliteStatus(db_.get(), rc,
                                    absl::StrCat("read table ", table, " from ", path_));
      }
    }
    return absl::OkStatus();
  }

  void Commit(std::vector<Mutation> batch,
              absl::AnyInvocable<void(absl::Status)> done) override {
    Pending p;
    p.precheck = Validate(batch, &p.bytes);
    p.batch = std::move(batch);
    p.done = std::move(done);
    p.queued = Clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!closing_) {
        queue_.push_back(std::move(p));
        cv_.notify_one();
        return;
      }
    }
    // Closed: the queue has been drained and every completion posted, so
    // posting this one keeps submission order.
    loop_.Post([done = std::move(p.done), path = path_]() mutable {
      if (done) {
        done(absl::FailedPreconditionError(
            absl::StrCat("failed to commit to the store ", path, ": it is closed")));
      }
    });
  }

  absl::Status Close() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) {
      writer_.join();
    }
    std::lock_guard<std::mutex> db_lock(db_mu_);
    if (db_) {
      put_.reset();
      del_.reset();
      // The last connection's close checkpoints the WAL into berth.db
      // (fsync'd: synchronous=FULL) and removes it.
      const int rc = sqlite3_close(db_.get());
      if (rc != SQLITE_OK) {
        close_status_ = sqlite::SqliteStatus(db_.get(), rc, absl::StrCat("close ", path_));
        sqlite3_close_v2(db_.release());
      } else {
        (void)db_.release();
      }
      dir_.lock_fd.Reset();
    }
    std::lock_guard<std::mutex> lock(mu_);
    return failed_.ok() ? close_status_ : failed_;
  }

  Stats stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    Stats s = stats_;
    s.queued = queue_.size();
    s.pending = queue_.size() + in_writer_;
    s.batch_p50_us = batch_latency_.Percentile(0.50);
    s.batch_p99_us = batch_latency_.Percentile(0.99);
    s.txn_p50_us = txn_latency_.Percentile(0.50);
    s.txn_p99_us = txn_latency_.Percentile(0.99);
    return s;
  }

 private:
  // On the loop thread, so a bad batch fails alone and never reaches a
  // transaction it could spoil for the batches grouped with it.
  absl::Status Validate(const std::vector<Mutation>& batch, size_t* bytes) const {
    *bytes = 0;
    for (const Mutation& m : batch) {
      if (!tables_.contains(m.table)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "failed to commit a batch: unknown table '", m.table, "' (the store has ",
            absl::StrJoin(options_.tables, ", "), ")"));
      }
      const size_t value_len = m.value ? m.value->size() : 0;
      if (m.key.size() > options_.max_value_bytes || value_len > options_.max_value_bytes) {
        return absl::InvalidArgumentError(absl::StrCat(
            "failed to commit a batch: the record ", m.table, "/", m.key.substr(0, 64), " has ",
            m.key.size() + value_len, " bytes, more than the store's limit of ",
            options_.max_value_bytes));
      }
      *bytes += m.table.size() + m.key.size() + value_len;
    }
    return absl::OkStatus();
  }

  void WriterMain() {
    while (true) {
      std::vector<Pending> group;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) {
          return;  // closing, and everything queued is done
        }
        size_t bytes = 0;
        while (!queue_.empty() &&
               (group.empty() || bytes + queue_.front().bytes <= options_.max_txn_bytes)) {
          bytes += queue_.front().bytes;
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        in_writer_ = group.size();
      }
      Process(group);
    }
  }

  // Writes a group in one transaction and posts every batch's completion,
  // in order, with one Post.
  void Process(std::vector<Pending>& group) {
    absl::Status sticky;
    {
      std::lock_guard<std::mutex> lock(mu_);
      sticky = failed_;
    }
    std::vector<absl::Status> results(group.size());
    size_t good = 0;
    size_t mutations = 0;
    size_t bytes = 0;
    for (size_t i = 0; i < group.size(); ++i) {
      if (!group[i].precheck.ok()) {
        results[i] = group[i].precheck;
      } else if (!sticky.ok()) {
        results[i] = sticky;
      } else {
        ++good;
        mutations += group[i].batch.size();
        bytes += group[i].bytes;
      }
    }
    absl::Status txn;
    int rc = SQLITE_OK;
    const Clock::time_point begin = Clock::now();
    if (good > 0 && sticky.ok()) {
      txn = WriteTransaction(group, good, mutations, &rc);
      if (!txn.ok()) {
        for (size_t i = 0; i < group.size(); ++i) {
          if (group[i].precheck.ok()) {
            results[i] = txn;
          }
        }
      }
    }
    const Clock::time_point end = Clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_writer_ = 0;
      stats_.batches += group.size();
      for (const absl::Status& r : results) {
        stats_.failed_batches += r.ok() ? 0 : 1;
      }
      if (good > 0 && sticky.ok() && txn.ok()) {
        ++stats_.transactions;
        stats_.mutations += mutations;
        stats_.bytes += bytes;
        stats_.max_batches_per_txn = std::max<uint64_t>(stats_.max_batches_per_txn, good);
        txn_latency_.Add(MicrosSince(begin, end));
        for (const Pending& p : group) {
          batch_latency_.Add(MicrosSince(p.queued, end));
        }
      }
      if (!txn.ok() && IsSticky(rc) && failed_.ok()) {
        failed_ = absl::UnavailableError(absl::StrCat(
            "the store ", path_, " takes no more writes after an I/O error (", txn.message(),
            "); restart berth-control once the disk is healthy"));
        LOG(ERROR) << failed_;
      }
    }
    std::vector<std::pair<absl::AnyInvocable<void(absl::Status)>, absl::Status>> completions;
    completions.reserve(group.size());
    for (size_t i = 0; i < group.size(); ++i) {
      completions.emplace_back(std::move(group[i].done), std::move(results[i]));
    }
    loop_.Post([completions = std::move(completions)]() mutable {
      for (auto& [done, status] : completions) {
        if (done) {
          done(std::move(status));
        }
      }
    });
  }

  // One transaction of every batch in `group` that passed validation. On
  // failure `*rc` is SQLite's result and the transaction is rolled back.
  absl::Status WriteTransaction(const std::vector<Pending>& group, size_t good, size_t mutations,
                                int* rc_out) {
    std::lock_guard<std::mutex> db_lock(db_mu_);
    sqlite3* db = db_.get();
    const std::string what = absl::StrCat("commit ", good, " batch(es) of ", mutations,
                                          " mutation(s) to ", path_);
    auto fail = [&](int rc) {
      *rc_out = rc;
      absl::Status s = sqlite::SqliteStatus(db, rc, what);
      if (sqlite3_get_autocommit(db) == 0) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      }
      return absl::Status(s.code(), absl::StrCat(s.message(), "; rolled back, none was written"));
    };
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      return fail(rc);
    }
    for (const Pending& p : group) {
      if (!p.precheck.ok()) {
        continue;
      }
      for (const Mutation& m : p.batch) {
        sqlite3_stmt* stmt = m.value ? put_.get() : del_.get();
        sqlite3_bind_text(stmt, 1, m.table.data(), static_cast<int>(m.table.size()),
                          SQLITE_STATIC);
        sqlite3_bind_blob(stmt, 2, m.key.data(), static_cast<int>(m.key.size()), SQLITE_STATIC);
        if (m.value) {
          sqlite3_bind_blob(stmt, 3, m.value->data(), static_cast<int>(m.value->size()),
                            SQLITE_STATIC);
        }
        rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        if (rc != SQLITE_DONE) {
          return fail(rc);
        }
      }
    }
    rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      return fail(rc);
    }
    return absl::OkStatus();
  }

  io::EventLoop& loop_;
  const SqliteStoreOptions options_;
  const std::set<std::string, std::less<>> tables_;
  DataDir dir_;
  const std::string path_;

  std::mutex db_mu_;  // the connection: the writer's transactions, Load, Close
  sqlite::DbPtr db_;
  sqlite::StmtPtr put_;
  sqlite::StmtPtr del_;
  absl::Status close_status_;  // guarded by db_mu_

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool closing_ = false;       // guarded by mu_
  size_t in_writer_ = 0;       // guarded by mu_: batches taken, not yet posted
  absl::Status failed_;        // guarded by mu_; sticky after an I/O error
  Stats stats_;                // guarded by mu_
  LatencyWindow batch_latency_;  // guarded by mu_
  LatencyWindow txn_latency_;    // guarded by mu_
  std::thread writer_;
};

absl::Status ValidateOptions(const SqliteStoreOptions& options) {
  if (options.tables.empty()) {
    return absl::InvalidArgumentError("the store needs at least one table");
  }
  std::set<std::string> seen;
  for (const std::string& t : options.tables) {
    if (t.empty() || !seen.insert(t).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("the store's tables must be distinct and named: '", t, "'"));
    }
  }
  if (options.max_txn_bytes == 0 || options.max_value_bytes == 0 ||
      options.max_value_bytes > (1u << 30)) {
    return absl::InvalidArgumentError(
        "the store's max_txn_bytes must be > 0 and max_value_bytes in (0, 1 GiB]");
  }
  return absl::OkStatus();
}

absl::StatusOr<sqlite::DbPtr> OpenWritable(const std::string& path,
                                           const SqliteStoreOptions& options) {
  ASSIGN_OR_RETURN(sqlite::DbPtr db,
                   sqlite::OpenDb(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                            SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW));
  sqlite3* raw = db.get();
  // No writes to sqlite_schema through SQL, even by mistake.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_busy_timeout(raw, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
  // FULL: in WAL mode, every COMMIT fsyncs the WAL before it returns.
  RETURN_IF_ERROR(sqlite::Exec(raw,
                               "PRAGMA synchronous = FULL; PRAGMA cell_size_check = ON; "
                               "PRAGMA journal_size_limit = 67108864;",
                               absl::StrCat("configure ", path)));
  ASSIGN_OR_RETURN(std::string mode, sqlite::QueryText(raw, "PRAGMA journal_mode = WAL",
                                                       absl::StrCat("set WAL mode on ", path)));
  if (mode != "wal") {
    return absl::FailedPreconditionError(absl::StrCat(
        "failed to set WAL mode on ", path, ": SQLite kept journal mode '", mode,
        "' (the filesystem may lack shared-memory support for WAL)"));
  }
  if (options.max_db_bytes > 0) {
    ASSIGN_OR_RETURN(int64_t page, sqlite::QueryInt(raw, "PRAGMA page_size", "read page size"));
    const uint64_t pages = std::max<uint64_t>(1, options.max_db_bytes / page);
    RETURN_IF_ERROR(sqlite::QueryInt(raw, absl::StrCat("PRAGMA max_page_count = ", pages),
                                     "cap the database size")
                        .status());
  }
  RETURN_IF_ERROR(schema::Migrate(raw, path));
  return db;
}

}  // namespace

int SqliteStoreSchemaVersion() { return schema::kVersion; }

absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(io::EventLoop& loop,
                                                       SqliteStoreOptions options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  ASSIGN_OR_RETURN(DataDir dir, OpenDataDir(options.data_dir));
  const std::string path = absl::StrCat(dir.path, "/", kDbName);
  ASSIGN_OR_RETURN(FileKind kind, ProbeFile(path));
  ASSIGN_OR_RETURN(FileKind wal, ProbeFile(absl::StrCat(path, "-wal")));
  switch (kind) {
    case FileKind::kOther:
      return absl::DataLossError(absl::StrCat(
          "refusing to open the berth store ", path,
          ": it is not a SQLite database (its first bytes are not SQLite's header). ",
          schema::RefusalAdvice(path)));
    case FileKind::kMissing:
    case FileKind::kEmpty:
      // SQLite deletes the WAL of a database with no pages; that WAL holds
      // committed data no berth-control created this way.
      if (wal != FileKind::kMissing && wal != FileKind::kEmpty) {
        return absl::FailedPreconditionError(absl::StrCat(
            "refusing to open the berth store ", path, ": it is ",
            kind == FileKind::kMissing ? "missing" : "empty", " but ", path,
            "-wal holds data that opening it would discard. ", schema::RefusalAdvice(path)));
      }
      break;
    case FileKind::kSqlite:
      RETURN_IF_ERROR(schema::CheckExisting(path, options.open_check, options.tables));
      break;
  }
  ASSIGN_OR_RETURN(sqlite::DbPtr db, OpenWritable(path, options));
  RETURN_IF_ERROR(dir.Sync());
  ASSIGN_OR_RETURN(sqlite::StmtPtr put, sqlite::Prepare(db.get(), kPutSql));
  ASSIGN_OR_RETURN(sqlite::StmtPtr del, sqlite::Prepare(db.get(), kDeleteSql));
  return std::make_unique<SqliteStore>(loop, std::move(options), std::move(dir), path,
                                       std::move(db), std::move(put), std::move(del));
}

}  // namespace berth::control
