#ifndef BERTH_CONTROL_STATE_MODEL_H_
#define BERTH_CONTROL_STATE_MODEL_H_

// berth-control's whole model, in memory: one table per resource kind, each
// with the indexes its operations need. Operations read it directly and
// change it through the tables' mutators, which record every write in the
// request's ChangeSet; the API framework commits that to the Store before it
// answers (docs/control.md, "Durability"). At start-up Load() rebuilds it
// from the Store.
//
// Adding a resource kind: a table class with Find/Put/Load (cluster_table.h
// is the pattern), its record codec in records.h, a member here, its name in
// Tables() and a branch in Load(). Tables whose resources DescribeClusters
// counts update clusters().MutableCounts(cluster) as their records change.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "control/state/account_setting.h"
#include "control/state/agent_outbox_table.h"
#include "control/state/cluster_table.h"
#include "control/state/container_instance_table.h"
#include "control/state/schedulers.h"
#include "control/state/task_definition_table.h"
#include "control/state/task_table.h"
#include "control/store/store.h"
#include "ecs/arn.h"

namespace berth::control::state {

class Model {
 public:
  explicit Model(ecs::ArnScope scope);
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // The tables the Store must be opened with.
  static std::vector<std::string> Tables();

  // Rebuilds the model from every stored record. A record that does not
  // decode fails with DataLoss naming the table and key; the model must then
  // not be used.
  absl::Status Load(Store& store);

  const ecs::ArnScope& scope() const { return scope_; }
  // "arn:aws:iam::<account>:root": the principal berth acts for (it has no
  // IAM), and whose account settings are the account defaults.
  const std::string& root_principal_arn() const { return account_settings_.root_principal_arn(); }

  ClusterTable& clusters() { return clusters_; }
  const ClusterTable& clusters() const { return clusters_; }
  TaskDefinitionTable& task_definitions() { return task_definitions_; }
  const TaskDefinitionTable& task_definitions() const { return task_definitions_; }
  ContainerInstanceTable& container_instances() { return container_instances_; }
  const ContainerInstanceTable& container_instances() const { return container_instances_; }
  TaskTable& tasks() { return tasks_; }
  const TaskTable& tasks() const { return tasks_; }
  // The scheduler's view of each cluster, kept current by the tables.
  Schedulers& schedulers() { return schedulers_; }
  const Schedulers& schedulers() const { return schedulers_; }
  // The stored agent outboxes (control/api/agent_dispatch.h keeps them).
  AgentOutboxTable& agent_outboxes() { return agent_outboxes_; }
  const AgentOutboxTable& agent_outboxes() const { return agent_outboxes_; }
  AccountSettingTable& account_settings() { return account_settings_; }
  const AccountSettingTable& account_settings() const { return account_settings_; }

  std::string ClusterArn(std::string_view name) const { return ecs::ClusterArn(scope_, name); }
  std::string TaskDefinitionArn(std::string_view family, int32_t revision) const {
    return ecs::TaskDefinitionArn(scope_, family, revision);
  }
  std::string ContainerInstanceArn(std::string_view cluster, std::string_view id) const {
    return ecs::ContainerInstanceArn(scope_, cluster, id);
  }
  std::string TaskArn(std::string_view cluster, std::string_view id) const {
    return ecs::TaskArn(scope_, cluster, id);
  }

 private:
  absl::Status LoadRecord(std::string_view table, std::string_view key, std::string_view value);

  ecs::ArnScope scope_;
  ClusterTable clusters_;
  TaskDefinitionTable task_definitions_;
  Schedulers schedulers_;
  ContainerInstanceTable container_instances_{clusters_, &schedulers_};
  TaskTable tasks_{clusters_, schedulers_};
  AccountSettingTable account_settings_;
  AgentOutboxTable agent_outboxes_;
};

}  // namespace berth::control::state

#endif  // BERTH_CONTROL_STATE_MODEL_H_
