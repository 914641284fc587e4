#ifndef BERTH_AGENT_STATE_AGENT_STATE_STORE_H_
#define BERTH_AGENT_STATE_AGENT_STATE_STORE_H_

// The agent's crash-safe state: one SQLite database, <ECS_DATADIR>/agent.db
// (WAL). What it holds and when each write is fsynced is in README.md:
//
//   meta        cluster, container instance ARN, applied message seq, agent
//               version, data format version
//   tasks       task ARN → EncodeTaskState
//   reports     report seq → EncodeTaskChange, the unsent ones only
//   tombstones  task ARN → a stop order that came before its task
//
// Every method is one transaction: after a crash the database holds each
// call's effect completely or not at all. Single-threaded (the loop thread).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/functional/any_invocable.h"
#include "agent/task/task_state.h"
#include "io/worker_pool.h"

namespace berth::agent {

// Bumped when the meaning of a stored row changes; an agent refuses a
// database written with a newer version.
inline constexpr int64_t kAgentDataFormatVersion = 1;

struct AgentMeta {
  std::string cluster;
  std::string container_instance_arn;  // "" before the first registration
  uint64_t applied_seq = 0;            // the highest poll message seq applied
  std::string agent_version;           // of the agent that last opened the file
  int64_t data_format_version = kAgentDataFormatVersion;
};

// A stop order for a task the agent had not been given (docs/agent-protocol.md,
// "Exactly once"): a later `task` message for it is reported STOPPED without
// starting.
struct StopTombstone {
  std::string task_arn;
  std::string reason;
  absl::Time recorded_at = absl::UnixEpoch();
  friend bool operator==(const StopTombstone&, const StopTombstone&) = default;
};

// Everything the agent persisted, for restart recovery.
struct AgentSnapshot {
  AgentMeta meta;
  std::vector<TaskState> tasks;           // ordered by task ARN
  std::vector<TaskChange> reports;        // unsent, in seq order (seq set)
  std::vector<StopTombstone> tombstones;  // ordered by task ARN
};

// The durable effect of one poll answer (ApplyBatch): written together with
// the new applied seq, so an ack never covers a message whose effect is lost.
struct AppliedBatch {
  uint64_t applied_seq = 0;                    // must not go backwards
  std::vector<TaskState> tasks = {};           // upserted
  std::vector<StopTombstone> tombstones = {};  // upserted
  std::vector<std::string> cleared_tombstones = {};  // deleted (task ARNs)
};

struct AgentStateOptions {
  // The directory holding agent.db; created (one level) if missing.
  std::string data_dir;
  // ECS_CHECKPOINT=false: an in-memory database, nothing survives the process.
  bool in_memory = false;
  // The configured cluster. A database that belongs to another cluster is
  // refused (FailedPrecondition), as Amazon's agent refuses it.
  std::string cluster = "default";
  std::string agent_version;
};

class AgentStateStore {
 public:
  // Opens or creates the database and records cluster, agent version and
  // format version. Errors: FailedPrecondition for another cluster's or a
  // newer agent's database; DataLoss for a file that is not an agent
  // database or is corrupt; the errno of the failing call otherwise.
  static absl::StatusOr<std::unique_ptr<AgentStateStore>> Open(const AgentStateOptions& options);
  ~AgentStateStore();
  AgentStateStore(const AgentStateStore&) = delete;
  AgentStateStore& operator=(const AgentStateStore&) = delete;

  // Reads everything. A row that does not decode fails with DataLoss naming
  // the table and key ("tasks row 'arn:…': …").
  absl::StatusOr<AgentSnapshot> Load() const;

  const std::string& path() const { return path_; }
  uint64_t applied_seq() const { return applied_seq_; }
  const std::string& container_instance_arn() const { return instance_arn_; }

  // The ARN registration returned (fsynced).
  absl::Status SaveInstanceArn(std::string_view arn);

  // A task's new state and, when set, its report, in one transaction (not
  // fsynced: it survives a kill of the agent, see README.md). Returns the
  // report with its seq assigned (seq > every earlier one of this store).
  absl::StatusOr<std::optional<TaskChange>> PutTask(const TaskState& state,
                                                     std::optional<TaskChange> report);

  // The batch's tasks, tombstones and applied seq in one fsynced transaction.
  // InvalidArgument if applied_seq is lower than the saved one.
  absl::Status ApplyBatch(const AppliedBatch& batch);

  // ApplyBatch without holding the loop thread during the fsync: the
  // transaction commits here without one (so it already survives a kill of
  // the agent), then the WAL file is fdatasynced on `pool` and `done` runs on
  // the loop thread. Only `done` may let the ack leave. Errors (a refused
  // seq, a failed commit or fdatasync) come through `done` too. The store
  // must outlive the call's completion.
  void ApplyBatchAsync(const AppliedBatch& batch, io::WorkerPool& pool,
                       absl::AnyInvocable<void(absl::Status)> done);

  // Drops a task's state (cleanup); its unsent reports stay.
  absl::Status ForgetTask(std::string_view task_arn);
  // Drops a report berth-control acknowledged (or that can never be sent).
  absl::Status DeleteReport(uint64_t seq);

  // Moves SQLite's checkpoints (copying the WAL back into agent.db, with two
  // fsyncs) off the loop thread: automatic checkpoints stop, and once the WAL
  // holds `pages` pages a PASSIVE checkpoint runs on `pool` over a second
  // connection (writers are not blocked by it). Not for in-memory stores.
  // `pool` must outlive the store (commits submit to it); a checkpoint still
  // running when the store goes away finishes on its own connection.
  absl::Status EnableBackgroundCheckpoints(io::WorkerPool& pool, int pages = 1000);
  // Background checkpoints completed (for tests and metrics).
  uint64_t background_checkpoints() const;

  // Number of fsynced / unsynced commits so far (for tests and metrics).
  uint64_t synced_commits() const { return synced_commits_; }
  uint64_t unsynced_commits() const { return unsynced_commits_; }

  // Tests simulate a crash inside a transaction: `hook` runs at named points
  // between a transaction's writes (a child process _exit()s there).
  void SetCrashHookForTest(std::function<void(std::string_view point)> hook) {
    crash_hook_ = std::move(hook);
  }

  struct Db;

 private:
  AgentStateStore(std::string path, std::unique_ptr<Db> db);
  absl::StatusOr<AgentMeta> LoadMeta() const;
  absl::Status CommitBatch(const AppliedBatch& batch, bool full);
  void CrashPoint(std::string_view point) {
    if (crash_hook_) {
      crash_hook_(point);
    }
  }

  std::string path_;
  std::unique_ptr<Db> db_;
  uint64_t applied_seq_ = 0;
  std::string instance_arn_;
  uint64_t next_report_seq_ = 1;
  uint64_t synced_commits_ = 0;
  uint64_t unsynced_commits_ = 0;
  std::function<void(std::string_view)> crash_hook_;
  // An fd of agent.db-wal for ApplyBatchAsync's fdatasync (-1: none, the
  // synchronous FULL commit is used instead). SQLite keeps the WAL file
  // (the same inode) while the connection is open.
  std::shared_ptr<const int> wal_fd_;
  struct Checkpointer;
  std::shared_ptr<Checkpointer> checkpointer_;
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_STATE_AGENT_STATE_STORE_H_
