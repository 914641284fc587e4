#ifndef BERTH_CONTROL_API_OPS_TASK_DEFINITION_REQUEST_H_
#define BERTH_CONTROL_API_OPS_TASK_DEFINITION_REQUEST_H_

// Reading and checking a RegisterTaskDefinition request (reference §3.6).
// Every rule answers with ECS's exception type and, where ECS's own text is
// known, its message (docs/control.md lists them):
//   ClientException            the definition's content (family, containers,
//                              memory, cpu, essential, network mode and port
//                              mappings, dependsOn, requiresCompatibilities)
//   InvalidParameterException  a placement constraint expression, tags,
//                              a missing required member
//   SerializationException     a member of the wrong JSON type

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "control/api/args.h"
#include "ecs/attribute.h"
#include "ecs/task_definition.h"

namespace berth::control::ops {

// Limits from the model's documentation and the ECS service quotas.
inline constexpr size_t kMaxContainersPerTaskDefinition = 10;
inline constexpr size_t kMaxTaskDefinitionPlacementConstraints = 10;
inline constexpr size_t kMaxTaskDefinitionNameLength = 255;  // family and container names
inline constexpr size_t kMaxImageLength = 255;
// ContainerDefinition.memory: "The Docker 20.10.0 or later daemon reserves a
// minimum of 6 MiB of memory for a container. So, don't specify less than
// 6 MiB" (older daemons: 4 MiB).
inline constexpr int32_t kMinContainerMemoryMiB = 6;
inline constexpr int64_t kMinTaskCpuUnits = 128;      // EC2, 2023 docs
inline constexpr int64_t kMaxTaskCpuUnits = 10'240;

// The request's task definition with every rule of §3.6 checked. Members
// the model's RegisterTaskDefinitionRequest has but berth does not read
// (volumes, pidMode, ...) are kept verbatim in `other`; members it does not
// have are ignored. Revision, status, ARN and the derived members are not
// set.
absl::StatusOr<ecs::TaskDefinition> ReadTaskDefinitionRequest(const Args& args);

// The checks alone, on a decoded definition (unit tests use them directly).
absl::Status ValidateTaskDefinition(const ecs::TaskDefinition& definition);

// `requiresAttributes` ECS derives from the definition: the capabilities an
// instance must advertise to run it (task-iam-role, task-eni,
// container-ordering, container-health-check, logging-driver.<driver>).
std::vector<ecs::Attribute> DerivedRequiresAttributes(const ecs::TaskDefinition& definition);

// `compatibilities` of a registered definition: EC2 and EXTERNAL always,
// FARGATE too when it was asked for.
std::vector<std::string> DerivedCompatibilities(const ecs::TaskDefinition& definition);

}  // namespace berth::control::ops

#endif  // BERTH_CONTROL_API_OPS_TASK_DEFINITION_REQUEST_H_
