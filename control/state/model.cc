#include "control/state/model.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control::state {

Model::Model(ecs::ArnScope scope)
    : scope_(std::move(scope)),
      account_settings_(absl::StrCat("arn:aws:iam::", scope_.account, ":root")) {}

std::vector<std::string> Model::Tables() {
  return {std::string(ClusterTable::kTable), std::string(TaskDefinitionTable::kTable),
          std::string(ContainerInstanceTable::kTable), std::string(TaskTable::kTable),
          std::string(AccountSettingTable::kTable), std::string(AgentOutboxTable::kTable),
          std::string(AgentOutboxTable::kMessagesTable)};
}

absl::Status Model::LoadRecord(std::string_view table, std::string_view key,
                               std::string_view value) {
  absl::Status status;
  if (table == ClusterTable::kTable) {
    status = clusters_.Load(key, value);
  } else if (table == TaskDefinitionTable::kTable) {
    status = task_definitions_.Load(key, value);
  } else if (table == ContainerInstanceTable::kTable) {
    status = container_instances_.Load(key, value);
  } else if (table == TaskTable::kTable) {
    status = tasks_.Load(key, value);
  } else if (table == AccountSettingTable::kTable) {
    status = account_settings_.Load(key, value);
  } else if (table == AgentOutboxTable::kTable) {
    status = agent_outboxes_.LoadHeader(key, value);
  } else if (table == AgentOutboxTable::kMessagesTable) {
    status = agent_outboxes_.LoadMessage(key, value);
  } else {
    // A table this version does not know: written by a newer berth-control.
    // Refuse rather than drop its records on the next write.
    return absl::FailedPreconditionError(absl::StrCat(
        "the store holds table '", Absl(table), "', which this berth-control does not know"));
  }
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat("failed to load ", Absl(table), " record '",
                                            Absl(key), "': ", status.message()));
  }
  return absl::OkStatus();
}

absl::Status Model::Load(Store& store) {
  RETURN_IF_ERROR(
      store.Load([this](std::string_view table, std::string_view key, std::string_view value) {
        return LoadRecord(table, key, value);
      }));
  schedulers_.Rebuild(container_instances_, tasks_);
  return absl::OkStatus();
}

}  // namespace berth::control::state
