#ifndef BERTH_CONTROL_STATE_RECORDS_H_
#define BERTH_CONTROL_STATE_RECORDS_H_

// The stored form of each record: compact JSON in the ECS model's member
// names, one record per key. Decoders check what they read, so a damaged
// store fails start-up with the table, key and field instead of loading a
// half-read model.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "control/state/account_setting.h"
#include "control/state/container_instance_table.h"
#include "control/state/task_definition_table.h"
#include "ecs/cluster.h"

namespace berth::control::state {

// Table "clusters", key = cluster name.
std::string EncodeCluster(const ecs::Cluster& cluster);
absl::StatusOr<ecs::Cluster> DecodeCluster(std::string_view json);

// Table "account_settings", key = AccountSettingKey(principal, name).
std::string EncodeAccountSetting(const AccountSetting& setting);
absl::StatusOr<AccountSetting> DecodeAccountSetting(std::string_view json);

// Table "task_definitions", key = TaskDefinitionTable::Key(family, revision):
// the model's TaskDefinition (without its ARN) plus "tags". Family, revision
// and status are required.
std::string EncodeTaskDefinition(const TaskDefinitionEntry& entry);
absl::StatusOr<TaskDefinitionEntry> DecodeTaskDefinition(std::string_view json);

// Table "container_instances", key = ContainerInstanceTable::Key(cluster,
// id): the model's ContainerInstance plus "cluster" and "tags". The id is the
// last part of containerInstanceArn, which is required.
std::string EncodeContainerInstance(const ContainerInstanceEntry& entry);
absl::StatusOr<ContainerInstanceEntry> DecodeContainerInstance(std::string_view json);

}  // namespace berth::control::state

#endif  // BERTH_CONTROL_STATE_RECORDS_H_
