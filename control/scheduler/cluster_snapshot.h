#ifndef BERTH_CONTROL_SCHEDULER_CLUSTER_SNAPSHOT_H_
#define BERTH_CONTROL_SCHEDULER_CLUSTER_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "control/scheduler/filter.h"
#include "control/scheduler/group_state.h"
#include "control/scheduler/partition.h"
#include "control/scheduler/node.h"
#include "control/scheduler/placement_request.h"
#include "control/scheduler/plan.h"
#include "control/scheduler/task_needs.h"
#include "ecs/attribute.h"
#include "ecs/container_instance.h"
#include "ecs/resource.h"

namespace berth::scheduler {

// A task the scheduler accounts for: what it holds on which instance.
struct TaskRecord {
  std::string task_arn;
  std::string container_instance;  // ARN or id
  std::string group;               // "family:web", "service:web", ...
  TaskNeeds needs;
  bool running = false;  // RUNNING (runningTasksCount) rather than PENDING
};

namespace internal {

// Everything a snapshot holds; Place() reads it.
struct SnapshotState {
  std::vector<Node> nodes;  // by slot; dead slots are reused
  std::vector<Slot> free_slots;
  std::vector<Slot> live;  // live slots, in no particular order
  std::vector<uint32_t> live_position;
  absl::flat_hash_map<std::string, Slot> by_arn;
  absl::flat_hash_map<std::string, Slot> by_id;

  struct TaskEntry {
    Slot slot;
    uint32_t group;
    TaskNeeds needs;
    bool running;
  };
  absl::flat_hash_map<std::string, TaskEntry> tasks;
  absl::flat_hash_map<std::string, uint32_t> group_ids;
  std::vector<GroupState> groups;

  std::vector<Partition> partitions;
  absl::flat_hash_map<std::string, std::unique_ptr<Filter>> filters;

  int FindPartition(std::string_view attribute) const;  // -1 when absent
  const Filter* FindFilter(std::string_view key) const;
  const GroupState* FindGroup(std::string_view name, uint32_t* id) const;
  // The slot of an instance given by ARN or id; false when unknown.
  bool Lookup(std::string_view arn_or_id, Slot* slot) const;
};

}  // namespace internal

// The cluster as the scheduler sees it: container instances, the resources
// their tasks hold, task groups, and indexes over them that every update
// keeps current, so Place() rarely scans the cluster.
//
// Not thread-safe: one writer. Place() only reads, so several Place() calls
// may share a snapshot while nothing updates it.
class ClusterSnapshot {
 public:
  ClusterSnapshot() = default;
  ClusterSnapshot(const ClusterSnapshot&) = delete;
  ClusterSnapshot& operator=(const ClusterSnapshot&) = delete;

  // Adds an instance from its registration: registeredResources (CPU and
  // MEMORY required; PORTS / PORTS_UDP reserved ports), status,
  // agentConnected, attributes, ec2InstanceId, versionInfo, registeredAt.
  // remainingResources and task counts are ignored: tasks are added with
  // AddTask. InvalidArgument without an ARN or CPU/MEMORY; AlreadyExists.
  absl::Status AddInstance(const ecs::ContainerInstance& instance);
  // Replaces the same registration fields of a known instance, keeping its
  // tasks. NotFound.
  absl::Status UpdateInstance(const ecs::ContainerInstance& instance);
  absl::Status SetStatus(std::string_view arn, ecs::ContainerInstanceStatus status);
  absl::Status SetAgentConnected(std::string_view arn, bool connected);
  absl::Status SetAttributes(std::string_view arn, const std::vector<ecs::Attribute>& attributes);
  // Removes the instance and every task on it. NotFound.
  absl::Status RemoveInstance(std::string_view arn);

  // Accounts a task on its instance. Over-commit is allowed here (the
  // snapshot mirrors what runs); Place() never adds to it. NotFound for the
  // instance, AlreadyExists for the task ARN.
  absl::Status AddTask(const TaskRecord& task);
  absl::Status SetTaskRunning(std::string_view task_arn, bool running);
  absl::Status RemoveTask(std::string_view task_arn);
  // Adds the plan's placements as PENDING tasks named `task_arns` (one per
  // placement, in order), all or none: InvalidArgument when the counts
  // differ, NotFound for a vanished instance, AlreadyExists for a known or
  // repeated task ARN.
  absl::Status Commit(const Plan& plan, const PlacementRequest& request,
                      absl::Span<const std::string> task_arns);

  // Builds the indexes `request` can use (its filter, the partition of a
  // leading spread(attribute:X), the filter's order for a binpack after it);
  // kept up to date from then on. Cheap when already built. Place() works
  // without it, by scanning.
  void Prepare(const PlacementRequest& request);

  size_t instance_count() const { return state_.live.size(); }
  size_t task_count() const { return state_.tasks.size(); }
  bool HasInstance(std::string_view arn_or_id) const;
  // remainingResources as ECS reports them (PORTS lists the taken ports).
  absl::StatusOr<std::vector<ecs::Resource>> RemainingResources(std::string_view arn) const;

  const internal::SnapshotState& state() const { return state_; }

 private:
  using Slot = internal::Slot;

  absl::StatusOr<Slot> SlotOf(std::string_view arn) const;
  // Registration fields from `instance` into the node; InvalidArgument.
  absl::Status FillNode(const ecs::ContainerInstance& instance, internal::Node* node);
  // Remove the node from / add it to every index (around static changes).
  void Detach(Slot slot);
  void Attach(Slot slot);
  void AccountTask(Slot slot, uint32_t group, const TaskNeeds& needs, int sign);
  uint32_t InternGroup(std::string_view name);
  bool EvaluateFilter(const internal::Filter& filter, const internal::Node& node) const;
  int EnsurePartition(const std::string& attribute);
  internal::Filter* EnsureFilter(const PlacementRequest& request);

  internal::SnapshotState state_;
  uint64_t prepare_clock_ = 0;
};

}  // namespace berth::scheduler

#endif  // BERTH_CONTROL_SCHEDULER_CLUSTER_SNAPSHOT_H_
