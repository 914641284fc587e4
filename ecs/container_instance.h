#ifndef BERTH_ECS_CONTAINER_INSTANCE_H_
#define BERTH_ECS_CONTAINER_INSTANCE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "boost/json/object.hpp"
#include "ecs/attribute.h"
#include "ecs/resource.h"

namespace berth::ecs {

// ECS `ContainerInstance.status`. The model types the member as a plain
// string; its documentation lists these six values (INACTIVE is not in the
// ContainerInstanceStatus enum but is what a deregistered instance shows).
// Only ACTIVE instances accept new tasks.
enum class ContainerInstanceStatus {
  kActive,
  kDraining,
  kInactive,
  kRegistering,
  kDeregistering,
  kRegistrationFailed,
};

std::string_view ToString(ContainerInstanceStatus status);
std::optional<ContainerInstanceStatus> ParseContainerInstanceStatus(std::string_view text);
inline constexpr std::string_view kContainerInstanceStatusValues =
    "ACTIVE, DRAINING, INACTIVE, REGISTERING, DEREGISTERING, REGISTRATION_FAILED";

// ECS `VersionInfo`.
struct VersionInfo {
  std::optional<std::string> agent_version;   // "agentVersion", e.g. "1.70.2"
  std::optional<std::string> agent_hash;      // "agentHash"
  std::optional<std::string> docker_version;  // "dockerVersion"

  friend bool operator==(const VersionInfo&, const VersionInfo&) = default;
};

// ECS `ContainerInstance`: a node registered to a cluster, as
// DescribeContainerInstances returns it. Members the model has but berth
// does not use yet (attachments, tags, healthStatus, agentUpdateStatus) are
// kept verbatim in `other` by the codec.
struct ContainerInstance {
  std::string container_instance_arn;                // "containerInstanceArn"
  std::string ec2_instance_id;                       // "ec2InstanceId"
  std::optional<std::string> capacity_provider_name; // "capacityProviderName"
  std::optional<int64_t> version;                    // "version"
  std::optional<VersionInfo> version_info;           // "versionInfo"
  std::vector<Resource> remaining_resources;         // "remainingResources"
  std::vector<Resource> registered_resources;        // "registeredResources"
  ContainerInstanceStatus status = ContainerInstanceStatus::kActive;
  std::optional<std::string> status_reason;          // "statusReason"
  bool agent_connected = false;                      // "agentConnected"
  int32_t running_tasks_count = 0;                   // "runningTasksCount"
  int32_t pending_tasks_count = 0;                   // "pendingTasksCount"
  std::vector<Attribute> attributes;                 // "attributes"
  std::optional<absl::Time> registered_at;           // "registeredAt"
  boost::json::object other;

  friend bool operator==(const ContainerInstance&, const ContainerInstance&) = default;

  // The attribute named `name`, or nullptr.
  const Attribute* FindAttribute(std::string_view name) const;
};

}  // namespace berth::ecs

#endif  // BERTH_ECS_CONTAINER_INSTANCE_H_
