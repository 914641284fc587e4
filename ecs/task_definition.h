#ifndef BERTH_ECS_TASK_DEFINITION_H_
#define BERTH_ECS_TASK_DEFINITION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "boost/json/object.hpp"
#include "ecs/attribute.h"
#include "ecs/container_definition.h"
#include "ecs/placement_constraint.h"

namespace berth::ecs {

// ECS `NetworkMode`. On Linux EC2 instances an absent mode means bridge.
enum class NetworkMode { kBridge, kHost, kAwsvpc, kNone };

std::string_view ToString(NetworkMode mode);
std::optional<NetworkMode> ParseNetworkMode(std::string_view text);
inline constexpr std::string_view kNetworkModeValues = "bridge, host, awsvpc, none";

// ECS `TaskDefinition`, the members the control plane and scheduler read;
// the rest (volumes, pidMode, proxyConfiguration, ...) stays verbatim in
// `other`.
struct TaskDefinition {
  std::string task_definition_arn;                     // "taskDefinitionArn"
  std::vector<ContainerDefinition> container_definitions;
  std::string family;
  std::optional<std::string> task_role_arn;            // "taskRoleArn"
  std::optional<std::string> execution_role_arn;       // "executionRoleArn"
  std::optional<NetworkMode> network_mode;             // "networkMode"
  int32_t revision = 0;
  std::optional<std::string> status;                   // ACTIVE | INACTIVE
  std::vector<Attribute> requires_attributes;          // "requiresAttributes"
  // Only memberOf is valid here (TaskDefinitionPlacementConstraintType).
  std::vector<PlacementConstraint> placement_constraints;
  std::vector<std::string> compatibilities;            // EC2, FARGATE, EXTERNAL
  std::vector<std::string> requires_compatibilities;   // "requiresCompatibilities"
  // Task size as ECS keeps it: strings, "1024" or "1 vCPU" / "2 GB" as
  // registered (ecs/task_size.h converts).
  std::optional<std::string> cpu;
  std::optional<std::string> memory;
  std::optional<absl::Time> registered_at;             // "registeredAt"
  std::optional<absl::Time> deregistered_at;           // "deregisteredAt"
  std::optional<std::string> registered_by;            // "registeredBy"
  boost::json::object other;

  friend bool operator==(const TaskDefinition&, const TaskDefinition&) = default;

  NetworkMode EffectiveNetworkMode() const { return network_mode.value_or(NetworkMode::kBridge); }
};

}  // namespace berth::ecs

#endif  // BERTH_ECS_TASK_DEFINITION_H_
