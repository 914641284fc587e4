#ifndef BERTH_CONTROL_API_OPS_OPS_H_
#define BERTH_CONTROL_API_OPS_OPS_H_

// The ECS operations berth-control serves, one Register* function per
// resource family, each in its own <family>_ops.cc. A new family adds its
// function here and one line in RegisterAllOperations (all_ops.cc).

#include "control/api/operation.h"

namespace berth::control::ops {

// CreateCluster, DescribeClusters, ListClusters, DeleteCluster,
// UpdateCluster, UpdateClusterSettings.
void RegisterClusterOperations(OperationRegistry& registry);
// RegisterTaskDefinition, DescribeTaskDefinition, DeregisterTaskDefinition,
// ListTaskDefinitions, ListTaskDefinitionFamilies.
void RegisterTaskDefinitionOperations(OperationRegistry& registry);
// RegisterContainerInstance, DescribeContainerInstances,
// ListContainerInstances, DeregisterContainerInstance,
// UpdateContainerInstancesState.
void RegisterContainerInstanceOperations(OperationRegistry& registry);
// PutAttributes, DeleteAttributes, ListAttributes (container instances).
void RegisterAttributeOperations(OperationRegistry& registry);
// TagResource, UntagResource, ListTagsForResource.
void RegisterTagOperations(OperationRegistry& registry);
// ListAccountSettings, PutAccountSetting, PutAccountSettingDefault,
// DeleteAccountSetting.
void RegisterAccountSettingOperations(OperationRegistry& registry);
// DiscoverPollEndpoint (the agent channel, docs/agent-protocol.md).
void RegisterAgentOperations(OperationRegistry& registry);

// RunTask, StartTask, StopTask, DescribeTasks, ListTasks.
void RegisterTaskOperations(OperationRegistry& registry);
// SubmitTaskStateChange, SubmitContainerStateChange (from agents).
void RegisterTaskStateOperations(OperationRegistry& registry);

// Every family above.
void RegisterAllOperations(OperationRegistry& registry);

}  // namespace berth::control::ops

#endif  // BERTH_CONTROL_API_OPS_OPS_H_
