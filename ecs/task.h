#ifndef BERTH_ECS_TASK_H_
#define BERTH_ECS_TASK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "boost/json/object.hpp"

namespace berth::ecs {

// ECS `Task`, the members the scheduler and control plane read; the rest
// (containers, overrides, attachments, ...) stays verbatim in `other`.
struct Task {
  std::string task_arn;                               // "taskArn"
  std::optional<std::string> cluster_arn;             // "clusterArn"
  std::optional<std::string> container_instance_arn;  // "containerInstanceArn"
  std::optional<std::string> task_definition_arn;     // "taskDefinitionArn"
  // The task group: "family:<family>" for standalone tasks unless RunTask
  // named one, "service:<name>" for a service's tasks.
  std::optional<std::string> group;
  std::optional<std::string> started_by;              // "startedBy", e.g. ecs-svc/<id>
  std::optional<std::string> last_status;             // "lastStatus": PENDING, RUNNING, ...
  std::optional<std::string> desired_status;          // "desiredStatus"
  std::optional<std::string> cpu;                     // task size as strings, like ECS
  std::optional<std::string> memory;
  std::optional<std::string> launch_type;             // "launchType": EC2, FARGATE, EXTERNAL
  std::optional<std::string> availability_zone;       // "availabilityZone"
  std::optional<absl::Time> created_at;               // "createdAt"
  std::optional<absl::Time> started_at;               // "startedAt"
  std::optional<int64_t> version;
  boost::json::object other;

  friend bool operator==(const Task&, const Task&) = default;
};

// The service a task group names ("service:web" -> "web"), or "" when the
// group is not a service's.
std::string_view ServiceOfGroup(std::string_view group);

// The default group of a standalone task of `family`: "family:<family>".
std::string FamilyGroup(std::string_view family);

}  // namespace berth::ecs

#endif  // BERTH_ECS_TASK_H_
