#include "agent/state/agent_state_store.h"

#include <sqlite3.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "control/store/sqlite_db.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::agent {

namespace sqlite = control::sqlite;

namespace {

// "BRTA" in ASCII: marks the file as a berth agent database.
constexpr int64_t kApplicationId = 0x42525441;
constexpr int64_t kSchemaVersion = 1;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS tasks (arn TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS reports (seq INTEGER PRIMARY KEY, task_arn TEXT NOT NULL,"
    "  change TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tombstones (arn TEXT PRIMARY KEY, reason TEXT NOT NULL,"
    "  recorded_at INTEGER NOT NULL) WITHOUT ROWID;";

constexpr std::string_view kMetaCluster = "cluster";
constexpr std::string_view kMetaInstanceArn = "container_instance_arn";
constexpr std::string_view kMetaAppliedSeq = "applied_seq";
constexpr std::string_view kMetaAgentVersion = "agent_version";
constexpr std::string_view kMetaFormatVersion = "data_format_version";

absl::Status Bind(sqlite3* db, sqlite3_stmt* stmt, int index, std::string_view text) {
  int rc = sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()),
                             SQLITE_TRANSIENT);
  return rc == SQLITE_OK ? absl::OkStatus() : sqlite::SqliteStatus(db, rc, "bind a parameter");
}

absl::Status BindInt(sqlite3* db, sqlite3_stmt* stmt, int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt, index, value);
  return rc == SQLITE_OK ? absl::OkStatus() : sqlite::SqliteStatus(db, rc, "bind a parameter");
}

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  if (text == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

}  // namespace

struct AgentStateStore::Db {
  sqlite::DbPtr db;
  sqlite::StmtPtr put_meta;
  sqlite::StmtPtr put_task;
  sqlite::StmtPtr delete_task;
  sqlite::StmtPtr put_report;
  sqlite::StmtPtr delete_report;
  sqlite::StmtPtr put_tombstone;
  sqlite::StmtPtr delete_tombstone;
  bool synchronous_full = false;  // the connection's current setting

  sqlite3* raw() const { return db.get(); }

  // Runs a prepared statement that returns no rows, then resets it.
  absl::Status Run(sqlite3_stmt* stmt, std::string_view what) {
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE) {
      return sqlite::SqliteStatus(raw(), rc, what);
    }
    return absl::OkStatus();
  }

  absl::Status PutMeta(std::string_view key, std::string_view value) {
    RETURN_IF_ERROR(Bind(raw(), put_meta.get(), 1, key));
    RETURN_IF_ERROR(Bind(raw(), put_meta.get(), 2, value));
    return Run(put_meta.get(), absl::StrCat("write meta ", Absl(key)));
  }

  absl::Status PutTask(const TaskState& state) {
    RETURN_IF_ERROR(Bind(raw(), put_task.get(), 1, state.spec.arn));
    RETURN_IF_ERROR(Bind(raw(), put_task.get(), 2, EncodeTaskState(state)));
    return Run(put_task.get(), absl::StrCat("write task ", state.spec.arn));
  }

  absl::Status PutTombstone(const StopTombstone& tombstone) {
    RETURN_IF_ERROR(Bind(raw(), put_tombstone.get(), 1, tombstone.task_arn));
    RETURN_IF_ERROR(Bind(raw(), put_tombstone.get(), 2, tombstone.reason));
    RETURN_IF_ERROR(BindInt(raw(), put_tombstone.get(), 3, absl::ToUnixMicros(tombstone.recorded_at)));
    return Run(put_tombstone.get(), absl::StrCat("write tombstone ", tombstone.task_arn));
  }

  absl::Status DeleteByText(sqlite3_stmt* stmt, std::string_view key, std::string_view what) {
    RETURN_IF_ERROR(Bind(raw(), stmt, 1, key));
    return Run(stmt, absl::StrCat(Absl(what), " ", Absl(key)));
  }

  // One transaction: `body` runs between BEGIN IMMEDIATE and COMMIT; any
  // error rolls everything back. `full` makes the commit fsync the WAL.
  template <typename Body>
  absl::Status Transaction(bool full, std::string_view what, Body body) {
    if (full != synchronous_full) {
      RETURN_IF_ERROR(sqlite::Exec(raw(), full ? "PRAGMA synchronous = FULL"
                                              : "PRAGMA synchronous = NORMAL",
                                   "set synchronous"));
      synchronous_full = full;
    }
    RETURN_IF_ERROR(sqlite::Exec(raw(), "BEGIN IMMEDIATE", absl::StrCat("begin ", Absl(what))));
    absl::Status status = body();
    if (status.ok()) {
      status = sqlite::Exec(raw(), "COMMIT", absl::StrCat("commit ", Absl(what)));
    }
    if (!status.ok() && !sqlite3_get_autocommit(raw())) {
      absl::Status rollback = sqlite::Exec(raw(), "ROLLBACK", "roll back");
      if (!rollback.ok()) {
        LOG(ERROR) << rollback;
      }
    }
    return status;
  }
};

// The second connection and the bookkeeping of background checkpoints,
// shared with the jobs on the worker pool so they never outlive it.
struct AgentStateStore::Checkpointer {
  sqlite::DbPtr db;  // used only on the worker thread (one job at a time)
  io::WorkerPool* pool = nullptr;
  int pages = 1000;
  bool running = false;             // loop thread only
  int last_start = 0;               // WAL pages when the last one started; loop thread only
  std::atomic<uint64_t> done{0};
  std::string path;

  // SQLite's WAL hook: after each commit on the loop thread, with the WAL's
  // size in pages.
  static int OnCommit(void* arg, sqlite3*, const char*, int pages) {
    auto* self = static_cast<std::shared_ptr<Checkpointer>*>(arg);
    (*self)->MaybeStart(*self, pages);
    return SQLITE_OK;
  }

  void MaybeStart(const std::shared_ptr<Checkpointer>& self, int wal_pages) {
    if (wal_pages < last_start) {
      last_start = 0;  // the WAL was restarted after a complete checkpoint
    }
    // Once per `pages` new frames: a checkpoint that could not finish (the
    // writer moved on meanwhile) is not retried after every commit.
    if (running || wal_pages - last_start < pages) {
      return;
    }
    running = true;
    last_start = wal_pages;
    pool->Submit<absl::Status>(
        [self]() -> absl::Status {
          int log = 0;
          int copied = 0;
          int rc = sqlite3_wal_checkpoint_v2(self->db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                             &log, &copied);
          if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            return sqlite::SqliteStatus(self->db.get(), rc,
                                        absl::StrCat("checkpoint ", self->path));
          }
          self->done.fetch_add(1);
          return absl::OkStatus();
        },
        [self](absl::Status status) {
          self->running = false;
          if (!status.ok()) {
            LOG(WARNING) << status;
          }
        });
  }
};

AgentStateStore::AgentStateStore(std::string path, std::unique_ptr<Db> db)
    : path_(std::move(path)), db_(std::move(db)) {}

AgentStateStore::~AgentStateStore() {
  if (checkpointer_ != nullptr) {
    sqlite3_wal_hook(db_->raw(), nullptr, nullptr);
  }
}

absl::Status AgentStateStore::EnableBackgroundCheckpoints(io::WorkerPool& pool, int pages) {
  if (wal_fd_ == nullptr || checkpointer_ != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "failed to enable background checkpoints of ", path_,
        checkpointer_ != nullptr ? ": already enabled" : ": no WAL file (in memory?)"));
  }
  auto checkpointer = std::make_shared<Checkpointer>();
  ASSIGN_OR_RETURN(checkpointer->db,
                   sqlite::OpenDb(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX));
  sqlite3_busy_timeout(checkpointer->db.get(), 1000);
  checkpointer->pool = &pool;
  checkpointer->pages = pages;
  checkpointer->path = path_;
  RETURN_IF_ERROR(sqlite::Exec(db_->raw(), "PRAGMA wal_autocheckpoint = 0",
                               "turn off automatic checkpoints"));
  checkpointer_ = std::move(checkpointer);
  sqlite3_wal_hook(db_->raw(), &Checkpointer::OnCommit, &checkpointer_);
  return absl::OkStatus();
}

uint64_t AgentStateStore::background_checkpoints() const {
  return checkpointer_ == nullptr ? 0 : checkpointer_->done.load();
}

absl::StatusOr<std::unique_ptr<AgentStateStore>> AgentStateStore::Open(
    const AgentStateOptions& options) {
  std::string path = ":memory:";
  if (!options.in_memory) {
    if (mkdir(options.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, absl::StrCat("create the data directory ", options.data_dir));
    }
    path = absl::StrCat(options.data_dir, "/agent.db");
  }
  auto db = std::make_unique<Db>();
  ASSIGN_OR_RETURN(db->db, sqlite::OpenDb(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                                    SQLITE_OPEN_NOMUTEX));
  sqlite3* raw = db->raw();
  auto what = [&path](std::string_view verb) { return absl::StrCat(Absl(verb), " ", path); };

  // A file that is not a database at all fails here (SQLITE_NOTADB → DataLoss).
  ASSIGN_OR_RETURN(int64_t app_id, sqlite::QueryInt(raw, "PRAGMA application_id",
                                                    what("read the application id of")));
  ASSIGN_OR_RETURN(int64_t tables,
                   sqlite::QueryInt(raw, "SELECT count(*) FROM sqlite_master",
                                    what("read the schema of")));
  if (app_id != kApplicationId && (app_id != 0 || tables != 0)) {
    return absl::DataLossError(
        absl::StrCat("failed to open ", path, ": not a berth agent database (application_id ",
                     app_id, ")"));
  }
  RETURN_IF_ERROR(sqlite::Exec(raw,
                               "PRAGMA cell_size_check = ON; PRAGMA synchronous = NORMAL;"
                               "PRAGMA journal_size_limit = 16777216;",
                               what("configure")));
  if (!options.in_memory) {
    ASSIGN_OR_RETURN(std::string mode, sqlite::QueryText(raw, "PRAGMA journal_mode = WAL",
                                                         what("switch to WAL")));
    if (mode != "wal") {
      return absl::FailedPreconditionError(
          absl::StrCat("failed to switch ", path, " to WAL: journal mode is ", mode));
    }
  }
  if (tables == 0) {
    RETURN_IF_ERROR(sqlite::Exec(
        raw,
        absl::StrCat("BEGIN IMMEDIATE;", kSchema, "PRAGMA application_id = ", kApplicationId,
                     "; PRAGMA user_version = ", kSchemaVersion, "; COMMIT;"),
        what("create the tables of")));
  } else {
    ASSIGN_OR_RETURN(int64_t version,
                     sqlite::QueryInt(raw, "PRAGMA user_version", what("read the version of")));
    if (version > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "failed to open ", path, ": schema version ", version,
          " was written by a newer agent (this one reads up to ", kSchemaVersion, ")"));
    }
  }

  ASSIGN_OR_RETURN(db->put_meta,
                   sqlite::Prepare(raw, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"));
  ASSIGN_OR_RETURN(db->put_task,
                   sqlite::Prepare(raw, "INSERT OR REPLACE INTO tasks (arn, state) VALUES (?, ?)"));
  ASSIGN_OR_RETURN(db->delete_task, sqlite::Prepare(raw, "DELETE FROM tasks WHERE arn = ?"));
  ASSIGN_OR_RETURN(db->put_report,
                   sqlite::Prepare(raw, "INSERT INTO reports (seq, task_arn, change) VALUES (?, ?, ?)"));
  ASSIGN_OR_RETURN(db->delete_report, sqlite::Prepare(raw, "DELETE FROM reports WHERE seq = ?"));
  ASSIGN_OR_RETURN(db->put_tombstone,
                   sqlite::Prepare(raw, "INSERT OR REPLACE INTO tombstones (arn, reason, recorded_at)"
                                        " VALUES (?, ?, ?)"));
  ASSIGN_OR_RETURN(db->delete_tombstone,
                   sqlite::Prepare(raw, "DELETE FROM tombstones WHERE arn = ?"));

  std::unique_ptr<AgentStateStore> store(new AgentStateStore(path, std::move(db)));
  // Only meta is read here: a task row that does not decode is Load()'s
  // error, named there, and does not keep the agent from knowing who it is.
  ASSIGN_OR_RETURN(AgentMeta meta, store->LoadMeta());
  const std::string saved_cluster = meta.cluster;
  if (!saved_cluster.empty() && saved_cluster != options.cluster) {
    return absl::FailedPreconditionError(absl::StrCat(
        "failed to open ", path, ": data mismatch: the saved cluster '", saved_cluster,
        "' does not match the configured cluster '", options.cluster,
        "'; set ECS_CLUSTER to '", saved_cluster, "' or remove ", path,
        " to register as a new container instance"));
  }
  if (meta.data_format_version > kAgentDataFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "failed to open ", path, ": data format version ", meta.data_format_version,
        " was written by a newer agent (this one reads up to ", kAgentDataFormatVersion, ")"));
  }
  store->applied_seq_ = meta.applied_seq;
  store->instance_arn_ = meta.container_instance_arn;
  ASSIGN_OR_RETURN(int64_t max_seq, sqlite::QueryInt(raw, "SELECT coalesce(max(seq), 0) FROM reports",
                                                     what("read the last report of")));
  store->next_report_seq_ = static_cast<uint64_t>(max_seq) + 1;

  Db& d = *store->db_;
  RETURN_IF_ERROR(d.Transaction(true, "record the agent's identity", [&]() -> absl::Status {
    RETURN_IF_ERROR(d.PutMeta(kMetaCluster, options.cluster));
    RETURN_IF_ERROR(d.PutMeta(kMetaAgentVersion, options.agent_version));
    RETURN_IF_ERROR(d.PutMeta(kMetaFormatVersion, absl::StrCat(kAgentDataFormatVersion)));
    if (meta.cluster.empty()) {
      RETURN_IF_ERROR(d.PutMeta(kMetaAppliedSeq, "0"));
      RETURN_IF_ERROR(d.PutMeta(kMetaInstanceArn, ""));
    }
    return absl::OkStatus();
  }));
  ++store->synced_commits_;
  if (!options.in_memory) {
    // The WAL exists now (the write above made it): make its directory entry
    // durable once, and keep an fd for ApplyBatchAsync's fdatasync.
    const int wal = open(absl::StrCat(path, "-wal").c_str(), O_RDONLY | O_CLOEXEC);
    const int dir = open(options.data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (wal >= 0 && dir >= 0 && fsync(dir) == 0) {
      store->wal_fd_ = std::shared_ptr<const int>(new int(wal), [](const int* fd) {
        close(*fd);
        delete fd;
      });
    } else {
      LOG(WARNING) << ErrnoStatus(errno, absl::StrCat("open and sync ", path, "-wal and its directory"))
                   << "; applied batches are fsynced on the loop thread";
      if (wal >= 0) {
        close(wal);
      }
    }
    if (dir >= 0) {
      close(dir);
    }
  }
  return store;
}

absl::StatusOr<AgentMeta> AgentStateStore::LoadMeta() const {
  sqlite3* raw = db_->raw();
  AgentMeta meta;
  meta.data_format_version = 0;
  auto row_error = [](std::string_view key, std::string_view what) {
    return absl::DataLossError(
        absl::StrCat("failed to load meta row '", Absl(key), "': ", Absl(what)));
  };
  ASSIGN_OR_RETURN(sqlite::StmtPtr stmt, sqlite::Prepare(raw, "SELECT key, value FROM meta"));
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    std::string key = ColumnText(stmt.get(), 0);
    std::string value = ColumnText(stmt.get(), 1);
    if (key == kMetaCluster) {
      meta.cluster = value;
    } else if (key == kMetaInstanceArn) {
      meta.container_instance_arn = value;
    } else if (key == kMetaAgentVersion) {
      meta.agent_version = value;
    } else if (key == kMetaAppliedSeq) {
      if (!absl::SimpleAtoi(value, &meta.applied_seq)) {
        return row_error(key, absl::StrCat("not a sequence number: '", value, "'"));
      }
    } else if (key == kMetaFormatVersion) {
      if (!absl::SimpleAtoi(value, &meta.data_format_version)) {
        return row_error(key, absl::StrCat("not a version: '", value, "'"));
      }
    }
    // Unknown keys are ignored: a newer agent of the same format version may
    // have added one.
  }
  if (rc != SQLITE_DONE) {
    return sqlite::SqliteStatus(raw, rc, "read meta");
  }
  return meta;
}

absl::StatusOr<AgentSnapshot> AgentStateStore::Load() const {
  sqlite3* raw = db_->raw();
  AgentSnapshot snapshot;
  auto row_error = [](std::string_view table, std::string_view key, const absl::Status& why) {
    return absl::DataLossError(absl::StrCat("failed to load ", Absl(table), " row '", Absl(key),
                                            "': ", why.message()));
  };

  ASSIGN_OR_RETURN(snapshot.meta, LoadMeta());
  {
    ASSIGN_OR_RETURN(sqlite::StmtPtr stmt,
                     sqlite::Prepare(raw, "SELECT arn, state FROM tasks ORDER BY arn"));
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      std::string arn = ColumnText(stmt.get(), 0);
      absl::StatusOr<TaskState> state = DecodeTaskState(ColumnText(stmt.get(), 1));
      if (!state.ok()) {
        return row_error("tasks", arn, state.status());
      }
      if (state->spec.arn != arn) {
        return row_error("tasks", arn,
                         absl::DataLossError(absl::StrCat("holds task ", state->spec.arn)));
      }
      snapshot.tasks.push_back(*std::move(state));
    }
    if (rc != SQLITE_DONE) {
      return sqlite::SqliteStatus(raw, rc, "read tasks");
    }
  }
  {
    ASSIGN_OR_RETURN(sqlite::StmtPtr stmt,
                     sqlite::Prepare(raw, "SELECT seq, task_arn, change FROM reports ORDER BY seq"));
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      int64_t seq = sqlite3_column_int64(stmt.get(), 0);
      std::string key = absl::StrCat(seq);
      absl::StatusOr<TaskChange> change = DecodeTaskChange(ColumnText(stmt.get(), 2));
      if (!change.ok()) {
        return row_error("reports", key, change.status());
      }
      if (seq <= 0 || change->task_arn != ColumnText(stmt.get(), 1)) {
        return row_error("reports", key,
                         absl::DataLossError(absl::StrCat("holds a report of task ",
                                                          change->task_arn)));
      }
      change->seq = static_cast<uint64_t>(seq);
      snapshot.reports.push_back(*std::move(change));
    }
    if (rc != SQLITE_DONE) {
      return sqlite::SqliteStatus(raw, rc, "read reports");
    }
  }
  {
    ASSIGN_OR_RETURN(sqlite::StmtPtr stmt,
                     sqlite::Prepare(raw, "SELECT arn, reason, recorded_at FROM tombstones "
                                          "ORDER BY arn"));
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      StopTombstone tombstone;
      tombstone.task_arn = ColumnText(stmt.get(), 0);
      tombstone.reason = ColumnText(stmt.get(), 1);
      tombstone.recorded_at = absl::FromUnixMicros(sqlite3_column_int64(stmt.get(), 2));
      snapshot.tombstones.push_back(std::move(tombstone));
    }
    if (rc != SQLITE_DONE) {
      return sqlite::SqliteStatus(raw, rc, "read tombstones");
    }
  }
  return snapshot;
}

absl::Status AgentStateStore::SaveInstanceArn(std::string_view arn) {
  RETURN_IF_ERROR(db_->Transaction(true, "save the container instance ARN",
                                   [&] { return db_->PutMeta(kMetaInstanceArn, arn); }));
  ++synced_commits_;
  instance_arn_ = std::string(arn);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<TaskChange>> AgentStateStore::PutTask(
    const TaskState& state, std::optional<TaskChange> report) {
  const uint64_t seq = next_report_seq_;
  if (report.has_value()) {
    report->seq = seq;
  }
  Db& d = *db_;
  RETURN_IF_ERROR(d.Transaction(false, absl::StrCat("save task ", state.spec.arn), [&]() -> absl::Status {
    RETURN_IF_ERROR(d.PutTask(state));
    CrashPoint("PutTask: task row written");
    if (report.has_value()) {
      RETURN_IF_ERROR(BindInt(d.raw(), d.put_report.get(), 1, static_cast<int64_t>(seq)));
      RETURN_IF_ERROR(Bind(d.raw(), d.put_report.get(), 2, report->task_arn));
      RETURN_IF_ERROR(Bind(d.raw(), d.put_report.get(), 3, EncodeTaskChange(*report)));
      RETURN_IF_ERROR(d.Run(d.put_report.get(), absl::StrCat("write report ", seq)));
    }
    return absl::OkStatus();
  }));
  ++unsynced_commits_;
  if (report.has_value()) {
    ++next_report_seq_;
  }
  return report;
}

absl::Status AgentStateStore::ApplyBatch(const AppliedBatch& batch) {
  return CommitBatch(batch, /*full=*/true);
}

void AgentStateStore::ApplyBatchAsync(const AppliedBatch& batch, io::WorkerPool& pool,
                                      absl::AnyInvocable<void(absl::Status)> done) {
  const bool async = wal_fd_ != nullptr;
  absl::Status committed = CommitBatch(batch, /*full=*/!async);
  pool.Submit<absl::Status>(
      [committed, wal = wal_fd_, path = path_]() -> absl::Status {
        if (!committed.ok() || wal == nullptr) {
          return committed;
        }
        if (fdatasync(*wal) != 0) {
          return ErrnoStatus(errno, absl::StrCat("fdatasync ", path, "-wal"));
        }
        return absl::OkStatus();
      },
      std::move(done));
}

absl::Status AgentStateStore::CommitBatch(const AppliedBatch& batch, bool full) {
  if (batch.applied_seq < applied_seq_) {
    return absl::InvalidArgumentError(absl::StrCat("failed to apply a message batch: seq ",
                                                   batch.applied_seq, " is below the applied ",
                                                   applied_seq_));
  }
  Db& d = *db_;
  RETURN_IF_ERROR(d.Transaction(full, absl::StrCat("apply messages up to ", batch.applied_seq),
                                [&]() -> absl::Status {
    for (const TaskState& task : batch.tasks) {
      RETURN_IF_ERROR(d.PutTask(task));
    }
    for (const StopTombstone& tombstone : batch.tombstones) {
      RETURN_IF_ERROR(d.PutTombstone(tombstone));
    }
    for (const std::string& arn : batch.cleared_tombstones) {
      RETURN_IF_ERROR(d.DeleteByText(d.delete_tombstone.get(), arn, "delete tombstone"));
    }
    CrashPoint("ApplyBatch: rows written");
    return d.PutMeta(kMetaAppliedSeq, absl::StrCat(batch.applied_seq));
  }));
  ++(full ? synced_commits_ : unsynced_commits_);
  applied_seq_ = batch.applied_seq;
  return absl::OkStatus();
}

absl::Status AgentStateStore::ForgetTask(std::string_view task_arn) {
  RETURN_IF_ERROR(db_->Transaction(false, absl::StrCat("forget task ", Absl(task_arn)), [&] {
    return db_->DeleteByText(db_->delete_task.get(), task_arn, "delete task");
  }));
  ++unsynced_commits_;
  return absl::OkStatus();
}

absl::Status AgentStateStore::DeleteReport(uint64_t seq) {
  RETURN_IF_ERROR(db_->Transaction(false, absl::StrCat("delete report ", seq), [&]() -> absl::Status {
    RETURN_IF_ERROR(BindInt(db_->raw(), db_->delete_report.get(), 1, static_cast<int64_t>(seq)));
    return db_->Run(db_->delete_report.get(), absl::StrCat("delete report ", seq));
  }));
  ++unsynced_commits_;
  return absl::OkStatus();
}

}  // namespace berth::agent
