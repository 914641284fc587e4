#ifndef BERTH_CONTROL_STATE_SCHEDULERS_H_
#define BERTH_CONTROL_STATE_SCHEDULERS_H_

// The scheduler's view of every cluster: one scheduler::ClusterSnapshot per
// cluster name, mirroring the container instance and task tables. The
// tables call the *Changed hooks on every Put; Model::Load calls Rebuild()
// once all records are in. Not stored: derived from the tables.
//
// agentConnected is the model's (the agent channel sets it); registered
// resources, status and attributes come from the instance records; a task
// holds its needs on its instance from the moment it is placed until its
// lastStatus is STOPPED.

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "control/scheduler/cluster_snapshot.h"

namespace berth::control::state {

struct ContainerInstanceEntry;
struct TaskEntry;
class ContainerInstanceTable;
class TaskTable;

class Schedulers {
 public:
  // The cluster's snapshot, created empty on first use.
  scheduler::ClusterSnapshot& Of(std::string_view cluster);
  // nullptr when the cluster has none yet.
  const scheduler::ClusterSnapshot* Find(std::string_view cluster) const;

  // An instance record changed: added, updated, or removed when it is no
  // longer registered (its tasks leave the snapshot with it).
  void InstanceChanged(const ContainerInstanceEntry& entry);
  // A task record changed; `before` is the previous record (nullptr: new).
  void TaskChanged(const TaskEntry* before, const TaskEntry& after);
  void TaskRemoved(const TaskEntry& entry);

  // Start-up: every snapshot rebuilt from the tables.
  void Rebuild(const ContainerInstanceTable& instances, const TaskTable& tasks);

 private:
  std::map<std::string, std::unique_ptr<scheduler::ClusterSnapshot>, std::less<>> by_cluster_;
};

}  // namespace berth::control::state

#endif  // BERTH_CONTROL_STATE_SCHEDULERS_H_
