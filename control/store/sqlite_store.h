#ifndef BERTH_CONTROL_STORE_SQLITE_STORE_H_
#define BERTH_CONTROL_STORE_SQLITE_STORE_H_

// The embedded store: SQLite in WAL mode in <data_dir>/berth.db, with one
// writer thread that group-commits every batch queued while the previous
// transaction was being made durable. docs/control-store.md is the design
// (schema, crash semantics, corruption policy, figures).
//
//   loop thread                 writer thread
//   Commit(batch, done) ──────▶ queue ──▶ BEGIN IMMEDIATE
//     (tables and sizes           puts/deletes of every queued batch
//      validated here)            COMMIT   (WAL fsync: synchronous=FULL)
//   done(status) ◀── loop.Post ◀─ one post per transaction, in order

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "control/store/store.h"
#include "io/event_loop.h"

namespace berth::control {

struct SqliteStoreOptions {
  // Created (mode 0700, parents too) if missing. Holds berth.db, its -wal and
  // -shm files, and berth.lock (an flock that keeps a second berth-control
  // off the same directory).
  std::string data_dir;
  std::vector<std::string> tables = DefaultStoreTables();

  // A transaction takes queued batches until their keys and values add up to
  // this many bytes (always at least one batch), so one huge backlog does not
  // become one huge transaction.
  size_t max_txn_bytes = 8u << 20;
  // A record's value (and key) larger than this fails its batch with
  // InvalidArgument before anything is queued.
  size_t max_value_bytes = 4u << 20;
  // How long a write waits for a lock held by another connection (a backup
  // tool, the sqlite3 shell) before its transaction fails with Unavailable.
  absl::Duration busy_timeout = absl::Seconds(5);

  // What Open verifies before it lets a writable connection near the file.
  // kQuick (PRAGMA quick_check) reads every page and checks the b-tree
  // structure; kFull (integrity_check) also checks that the (tbl, key)
  // index and the table agree, so Load (which walks the index) cannot skip
  // or misname a record. kFull costs ~2.5 µs per 1 KiB record against
  // kQuick's ~1 µs (100k records: 252 ms vs 99 ms; docs/control-store.md).
  enum class Check { kNone, kQuick, kFull };
  Check open_check = Check::kFull;

  // Caps the database file (PRAGMA max_page_count); 0 is no cap. A commit
  // that would grow past it fails with ResourceExhausted and is rolled back,
  // exactly like a full disk.
  uint64_t max_db_bytes = 0;
};

// Opens (creating or migrating) the store. Runs on the calling thread before
// the loop runs; starts the writer thread. Fails, leaving every existing file
// as it was, when berth.db is not a SQLite database, fails its check, has a
// schema or version this binary does not know, or holds records in tables not
// in `options.tables` (FailedPrecondition or DataLoss, naming the file and
// what the operator can do). Another process holding the directory gives
// FailedPrecondition; an inaccessible directory gives its errno's code.
//
// The loop must outlive the store; Close() (or destruction) drains the queue,
// and the completions it posts run the next time the loop runs.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteStore(io::EventLoop& loop,
                                                       SqliteStoreOptions options);

// The schema version this binary writes and reads (PRAGMA user_version).
int SqliteStoreSchemaVersion();

}  // namespace berth::control

#endif  // BERTH_CONTROL_STORE_SQLITE_STORE_H_
