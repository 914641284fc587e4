#include "control/state/schedulers.h"

#include "control/state/container_instance_table.h"
#include "control/state/task_table.h"
#include "io/log.h"

namespace berth::control::state {
namespace {

scheduler::TaskRecord RecordOf(const TaskEntry& entry) {
  scheduler::TaskRecord record;
  record.task_arn = entry.task_arn;
  record.container_instance = entry.container_instance_id;
  record.group = entry.group;
  record.needs = entry.needs;
  record.running = entry.last_status >= TaskStatus::kRunning;
  return record;
}

bool Holds(const TaskEntry& entry) {
  return !entry.container_instance_id.empty() && entry.last_status != TaskStatus::kStopped;
}

}  // namespace

scheduler::ClusterSnapshot& Schedulers::Of(std::string_view cluster) {
  auto it = by_cluster_.find(cluster);
  if (it == by_cluster_.end()) {
    it = by_cluster_
             .emplace(std::string(cluster), std::make_unique<scheduler::ClusterSnapshot>())
             .first;
  }
  return *it->second;
}

const scheduler::ClusterSnapshot* Schedulers::Find(std::string_view cluster) const {
  auto it = by_cluster_.find(cluster);
  return it == by_cluster_.end() ? nullptr : it->second.get();
}

void Schedulers::InstanceChanged(const ContainerInstanceEntry& entry) {
  scheduler::ClusterSnapshot& snapshot = Of(entry.cluster);
  const std::string& arn = entry.instance.container_instance_arn;
  if (!entry.registered()) {
    if (snapshot.HasInstance(arn)) {
      CHECK_OK(snapshot.RemoveInstance(arn));
    }
    return;
  }
  absl::Status status = snapshot.HasInstance(arn) ? snapshot.UpdateInstance(entry.instance)
                                                  : snapshot.AddInstance(entry.instance);
  if (!status.ok()) {
    // Registration without CPU/MEMORY: not a placement target.
    LOG(WARNING) << "container instance " << arn << " is not schedulable: " << status;
  }
}

void Schedulers::TaskChanged(const TaskEntry* before, const TaskEntry& after) {
  scheduler::ClusterSnapshot& snapshot = Of(after.cluster);
  bool held = before != nullptr && Holds(*before);
  if (held && (!Holds(after) || before->container_instance_id != after.container_instance_id)) {
    snapshot.RemoveTask(before->task_arn).IgnoreError();  // gone with its instance
    held = false;
  }
  if (!Holds(after)) {
    return;
  }
  if (!held) {
    // NotFound when the instance was deregistered: nothing to account.
    snapshot.AddTask(RecordOf(after)).IgnoreError();
    return;
  }
  snapshot.SetTaskRunning(after.task_arn, after.last_status >= TaskStatus::kRunning)
      .IgnoreError();
}

void Schedulers::TaskRemoved(const TaskEntry& entry) {
  if (Holds(entry)) {
    Of(entry.cluster).RemoveTask(entry.task_arn).IgnoreError();
  }
}

void Schedulers::Rebuild(const ContainerInstanceTable& instances, const TaskTable& tasks) {
  by_cluster_.clear();
  for (const auto& [key, entry] : instances.entries()) {
    InstanceChanged(entry);
  }
  for (const auto& [key, entry] : tasks.entries()) {
    TaskChanged(nullptr, entry);
  }
}

}  // namespace berth::control::state
