#ifndef BERTH_CONTROL_STORE_STORE_H_
#define BERTH_CONTROL_STORE_STORE_H_

// The control plane's durable store. berth-control keeps its whole model in
// memory and writes every change through a Store before it answers the
// request that made it: a response is sent only once its write is durable.
// Records are opaque values (the ECS resource as JSON) under a table and a
// key. Two backends implement it: SQLite in --data-dir (the embedded
// default, control/store/sqlite_store.h) and, later, etcd for several
// control replicas.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace berth::control {

// One write: a put when `value` is set, a delete otherwise.
struct Mutation {
  std::string table;  // one of the tables the store was opened with
  std::string key;
  std::optional<std::string> value;

  static Mutation Put(std::string table, std::string key, std::string value) {
    return {std::move(table), std::move(key), std::move(value)};
  }
  static Mutation Delete(std::string table, std::string key) {
    return {std::move(table), std::move(key), std::nullopt};
  }
};

// The record kinds berth-control's model stores, in the order Load() walks
// them (parents before what refers to them). Every backend's default.
std::vector<std::string> DefaultStoreTables();

class Store {
 public:
  virtual ~Store() = default;

  // Calls `fn` for every stored record, table by table, keys in byte order.
  // Used once at start-up to rebuild the in-memory model. An error from `fn`
  // stops the walk and is returned.
  virtual absl::Status Load(
      absl::FunctionRef<absl::Status(std::string_view table, std::string_view key,
                                     std::string_view value)>
          fn) = 0;

  // Queues `batch` to be written atomically. `done` runs on the event loop's
  // thread once the batch is durable (fsync'd) or has failed; batches commit
  // in submission order. Batches queued while a commit is in flight are
  // written together in the next transaction (group commit), so N concurrent
  // requests cost one fsync, not N. Loop thread only.
  virtual void Commit(std::vector<Mutation> batch, absl::AnyInvocable<void(absl::Status)> done) = 0;

  // Waits for every queued batch to be durable, then stops the writer.
  // Commit() after Close() fails its batch with FailedPrecondition.
  virtual absl::Status Close() = 0;

  struct Stats {
    uint64_t batches = 0;       // Commit() calls completed
    uint64_t transactions = 0;  // fsync'd transactions (≤ batches)
    uint64_t mutations = 0;
    // Compatible additions (zero where a backend does not measure them).
    uint64_t failed_batches = 0;       // completed with an error (in `batches`)
    uint64_t bytes = 0;                // key + value bytes of committed puts
    uint64_t max_batches_per_txn = 0;  // largest group seen
    uint64_t queued = 0;   // now: batches waiting for the writer to take them
    uint64_t pending = 0;  // now: batches committed and not yet completed
    // Latency of a batch from Commit() to its completion being posted, and of
    // a transaction from BEGIN to a durable COMMIT, in microseconds, over the
    // most recent transactions (SQLite: the last 1,024).
    double batch_p50_us = 0;
    double batch_p99_us = 0;
    double txn_p50_us = 0;
    double txn_p99_us = 0;
  };
  virtual Stats stats() const = 0;
};

}  // namespace berth::control

#endif  // BERTH_CONTROL_STORE_STORE_H_
