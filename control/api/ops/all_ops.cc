#include "control/api/ops/ops.h"

namespace berth::control::ops {

void RegisterAllOperations(OperationRegistry& registry) {
  RegisterClusterOperations(registry);
  RegisterTaskDefinitionOperations(registry);
  RegisterContainerInstanceOperations(registry);
  RegisterAttributeOperations(registry);
  RegisterTagOperations(registry);
  RegisterAccountSettingOperations(registry);
  RegisterTaskOperations(registry);
  RegisterTaskStateOperations(registry);
  RegisterAgentOperations(registry);
}

}  // namespace berth::control::ops
