#ifndef BERTH_AGENT_TASK_TASK_SPEC_H_
#define BERTH_AGENT_TASK_TASK_SPEC_H_

// What the agent is asked to run: a task as berth-control sends it
// (docs/agent-protocol.md: {"task": <Task>, "taskDefinition": <TaskDefinition>}),
// decoded once, with the task's overrides already applied to each container.
// Everything the engine, the runtime and the endpoints read is here; nothing
// downstream looks at the JSON again.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ecs/port_mapping.h"
#include "ecs/task_definition.h"

namespace berth::agent {

// ContainerDependency.condition. CREATE is the agent's own (not sent by ECS).
enum class DependencyCondition { kStart, kComplete, kSuccess, kHealthy };
std::string_view ToString(DependencyCondition condition);  // "START", ...
std::optional<DependencyCondition> ParseDependencyCondition(std::string_view text);
inline constexpr std::string_view kDependencyConditionValues = "START, COMPLETE, SUCCESS, HEALTHY";

struct ContainerDependency {
  std::string container_name;
  DependencyCondition condition = DependencyCondition::kStart;
  friend bool operator==(const ContainerDependency&, const ContainerDependency&) = default;
};

struct ContainerSpec {
  std::string name;
  std::string image;
  int32_t cpu = 0;                            // CPU units as given (0 = none)
  std::optional<int32_t> memory;              // hard limit, MiB
  std::optional<int32_t> memory_reservation;  // soft limit, MiB
  bool essential = true;
  // Absent means "the image's"; present and empty means "none" (Docker's rules).
  std::optional<std::vector<std::string>> entry_point;
  std::optional<std::vector<std::string>> command;
  // In order; a later entry for the same name wins. The definition's
  // environment, then the container override's.
  std::vector<std::pair<std::string, std::string>> environment;
  std::optional<std::string> working_directory;
  std::optional<std::string> user;  // "uid", "uid:gid", "name", "name:group"
  std::optional<std::string> hostname;
  std::vector<ecs::PortMapping> port_mappings;
  std::vector<ContainerDependency> depends_on;
  std::optional<int32_t> start_timeout;  // seconds
  std::optional<int32_t> stop_timeout;   // seconds
  bool init_process_enabled = false;     // linuxParameters.initProcessEnabled
  bool readonly_root_filesystem = false;
  std::string log_driver = "json-file";  // logConfiguration.logDriver
  std::vector<std::pair<std::string, std::string>> docker_labels;

  friend bool operator==(const ContainerSpec&, const ContainerSpec&) = default;
};

struct TaskSpec {
  std::string arn;
  std::string id;  // the ARN's last segment
  std::string cluster_arn;
  std::string container_instance_arn;
  std::string task_definition_arn;
  std::string family;
  int32_t revision = 0;
  std::string desired_status = "RUNNING";  // RUNNING | STOPPED
  // Task-level size (after overrides): CPU units and MiB.
  std::optional<int64_t> cpu_units;
  std::optional<int64_t> memory_mib;
  ecs::NetworkMode network_mode = ecs::NetworkMode::kBridge;
  std::string launch_type = "EC2";
  std::string availability_zone;
  std::string group;
  std::string started_by;
  std::optional<int64_t> version;
  std::vector<ContainerSpec> containers;

  friend bool operator==(const TaskSpec&, const TaskSpec&) = default;

  const ContainerSpec* FindContainer(std::string_view name) const;
};

// Decodes a task message's payload. InvalidArgument naming the member for
// anything malformed (the engine reports such a task STOPPED with
// "UnrecognizedTaskError: Error loading task - <message>").
absl::StatusOr<TaskSpec> DecodeTaskPayload(std::string_view json);

// The rules every spec obeys (DecodeTaskPayload and DecodeTaskState check
// them): an id of [A-Za-z0-9-]; at least one container; container names of
// [A-Za-z0-9_-]{1,255}, unique; an image for each; no negative size or
// timeout; dependsOn naming other containers of the task, without a cycle.
// Ids and container names become cgroup and file names, hence the alphabets.
// InvalidArgument naming the member as "<containers_path>[i].<member>"
// (or `id_path` for the id).
// desiredStatus is the decoders' to check.
absl::Status ValidateTaskSpec(const TaskSpec& spec, std::string_view id_path,
                              std::string_view containers_path);

// The task id of a task ARN: its last '/'-separated segment.
std::string_view TaskIdOfArn(std::string_view arn);

}  // namespace berth::agent

#endif  // BERTH_AGENT_TASK_TASK_SPEC_H_
