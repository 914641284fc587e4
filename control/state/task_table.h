#ifndef BERTH_CONTROL_STATE_TASK_TABLE_H_
#define BERTH_CONTROL_STATE_TASK_TABLE_H_

// Tasks by "<cluster>/<id>" (ordered: one cluster's tasks are a contiguous
// range for ListTasks paging), with an index by id and, per cluster, the
// keys of the tasks whose desiredStatus is RUNNING (ListTasks' default) so
// a cluster full of stopped tasks does not slow the common listing.
//
// A task is kept as the API shows it (a JSON object in the model's member
// names, without tags), so DescribeTasks copies rather than converts; the
// members the indexes and the scheduler read are mirrored in typed fields,
// refreshed from the object on every Put and Load.
//
// The table keeps ClusterCounts (running, pending, unstopped tasks) and the
// scheduler's view (Schedulers) current as tasks change.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/json/object.hpp"
#include "control/scheduler/task_needs.h"
#include "control/state/change_set.h"
#include "control/state/cluster_table.h"
#include "ecs/tag.h"

namespace berth::control::state {

class Schedulers;

// The task lifecycle (reference: PROVISIONING → PENDING → ACTIVATING →
// RUNNING → DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED), in order:
// a task's lastStatus only moves forward.
enum class TaskStatus {
  kProvisioning,
  kPending,
  kActivating,
  kRunning,
  kDeactivating,
  kStopping,
  kDeprovisioning,
  kStopped,
};
std::string_view ToString(TaskStatus status);
std::optional<TaskStatus> ParseTaskStatus(std::string_view text);
inline constexpr std::string_view kTaskStatusValues =
    "PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED";

struct TaskEntry {
  std::string cluster;     // cluster name
  std::string id;          // 32 hex digits, the last part of taskArn
  boost::json::object task;  // the API's Task, without "tags"
  std::vector<ecs::Tag> tags;
  scheduler::TaskNeeds needs;  // what it holds on its instance until STOPPED

  // Mirrored from `task` by Refresh() (Put and Load call it).
  std::string task_arn;
  std::string container_instance_id;  // "" when not on an instance
  std::string family;
  std::string group;
  std::string started_by;
  TaskStatus last_status = TaskStatus::kPending;
  bool desired_running = true;  // desiredStatus RUNNING (else STOPPED)
  size_t launch_type = 0;       // LaunchType as an index into ClusterCounts
  std::optional<absl::Time> stopped_at;

  // `task` serialized, made on first use by Serialized() (DescribeTasks) and
  // dropped by every Put, so it never outlives the object it was made from.
  mutable std::shared_ptr<const std::string> serialized;
  const std::string& Serialized() const;

  // Re-reads the mirrored fields; InvalidArgument naming the member when the
  // object lacks taskArn, lastStatus or desiredStatus or holds bad values.
  absl::Status Refresh();
};

class TaskTable {
 public:
  static constexpr std::string_view kTable = "tasks";
  using Map = std::map<std::string, TaskEntry, std::less<>>;

  TaskTable(ClusterTable& clusters, Schedulers& schedulers)
      : clusters_(&clusters), schedulers_(&schedulers) {}

  // "<cluster>/<id>", the record key.
  static std::string Key(std::string_view cluster, std::string_view id);

  // nullptr when no task has this id.
  const TaskEntry* FindById(std::string_view id) const;
  // nullptr unless the task with this id belongs to `cluster`.
  const TaskEntry* Find(std::string_view cluster, std::string_view id) const;

  // Inserts or replaces the task (Refresh()ed; InvalidArgument leaves the
  // table unchanged) and records the write.
  absl::Status Put(TaskEntry entry, ChangeSet& changes);
  // Removes a task (expiry of stopped tasks) and records the delete.
  void Remove(std::string_view cluster, std::string_view id, ChangeSet& changes);
  // Removes up to `max` tasks stopped before `cutoff`, oldest first (ECS
  // keeps a stopped task describable for about an hour). Returns how many.
  size_t ExpireStopped(absl::Time cutoff, size_t max, ChangeSet& changes);

  const Map& entries() const { return by_key_; }
  // Keys of `cluster`'s tasks whose desiredStatus is RUNNING, ordered.
  const std::set<std::string, std::less<>>& DesiredRunning(std::string_view cluster) const;
  // Stopped tasks by stoppedAt (oldest first): (stoppedAt, key).
  const std::set<std::pair<absl::Time, std::string>>& stopped() const { return stopped_; }

  // Start-up: one stored record. The scheduler's view is rebuilt afterwards
  // (Model::Load), not from here.
  absl::Status Load(std::string_view key, std::string_view value);

 private:
  void Account(const TaskEntry& entry, int sign);
  void Insert(TaskEntry entry, bool mirror);
  void Unindex(const TaskEntry& entry);

  ClusterTable* clusters_;
  Schedulers* schedulers_;
  Map by_key_;
  absl::flat_hash_map<std::string, const TaskEntry*> by_id_;  // into by_key_
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> desired_running_;
  std::set<std::pair<absl::Time, std::string>> stopped_;
};

// Table "tasks", key = TaskTable::Key(cluster, id): the API object plus
// "cluster", "tags" and "berthNeeds" ({cpu, memory, tcp, udp}). Decoding
// fails with DataLoss naming what is wrong.
std::string EncodeTask(const TaskEntry& entry);
absl::StatusOr<TaskEntry> DecodeTask(std::string_view json);

}  // namespace berth::control::state

#endif  // BERTH_CONTROL_STATE_TASK_TABLE_H_
