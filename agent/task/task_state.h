#ifndef BERTH_AGENT_TASK_TASK_STATE_H_
#define BERTH_AGENT_TASK_TASK_STATE_H_

// What the agent knows about a task it runs: the spec plus, per container,
// how far it got, its process identity and how it ended. The engine owns and
// changes these; the state store persists them (encode/decode below); the
// endpoints read them. Statuses follow the Amazon agent's
// (../shared/reference/ecs-agent.md §6): they only move forward.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/task/task_spec.h"

namespace berth::agent {

// In order; comparisons are "how far".
enum class ContainerStatus : uint8_t { kNone, kPulled, kCreated, kRunning, kStopped };
enum class TaskStatus : uint8_t { kNone, kPulled, kCreated, kRunning, kStopped };

// The agent's names: NONE, PULLED, CREATED, RUNNING, STOPPED.
std::string_view ToString(ContainerStatus status);
std::string_view ToString(TaskStatus status);
std::optional<ContainerStatus> ParseContainerStatus(std::string_view text);
std::optional<TaskStatus> ParseTaskStatus(std::string_view text);
// What ECS is told: PENDING until RUNNING, then RUNNING, then STOPPED.
std::string_view BackendStatus(ContainerStatus status);
std::string_view BackendStatus(TaskStatus status);

// A port the container is reachable on (SubmitTaskStateChange's
// networkBindings; /v1/tasks' Ports).
struct NetworkBinding {
  std::string bind_ip = "0.0.0.0";
  int32_t container_port = 0;
  int32_t host_port = 0;
  std::string protocol = "tcp";
  friend bool operator==(const NetworkBinding&, const NetworkBinding&) = default;
};

// Identifies a live process across agent restarts: a PID alone can be reused,
// a PID with its start time (field 22 of /proc/<pid>/stat, clock ticks since
// boot) cannot.
struct ProcessIdentity {
  int32_t pid = 0;
  uint64_t start_time = 0;
  friend bool operator==(const ProcessIdentity&, const ProcessIdentity&) = default;
  bool empty() const { return pid == 0; }
};

struct ContainerState {
  std::string name;  // = spec.containers[i].name
  ContainerStatus known = ContainerStatus::kNone;
  ContainerStatus desired = ContainerStatus::kRunning;
  // "DockerId": 64 lowercase hex characters, chosen when the container is
  // created; "DockerName": ecs-<family>-<revision>-<name>-<20 hex>.
  std::string runtime_id;
  std::string runtime_name;
  std::string image_id;      // "sha256:<config digest>" once pulled
  std::string image_digest;  // "sha256:<manifest digest>" once pulled
  // The per-container id of the task metadata endpoint (a UUID).
  std::string metadata_id;
  ProcessIdentity shim;     // the monitor process that waits for the container
  ProcessIdentity process;  // the container's first process (host PID)
  std::optional<int32_t> exit_code;
  std::string reason;  // "<ErrorName>: <message>", empty when none
  bool oom_killed = false;
  std::vector<NetworkBinding> network_bindings;
  std::optional<absl::Time> created_at;
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> finished_at;

  friend bool operator==(const ContainerState&, const ContainerState&) = default;
};

struct TaskState {
  TaskSpec spec;
  TaskStatus known = TaskStatus::kNone;
  TaskStatus desired = TaskStatus::kRunning;
  std::vector<ContainerState> containers;  // parallel to spec.containers
  std::string stop_reason;                 // why desired became STOPPED, if the agent knows
  std::optional<absl::Time> pull_started_at;
  std::optional<absl::Time> pull_stopped_at;
  std::optional<absl::Time> execution_stopped_at;
  // When the task reached STOPPED (cleanup runs
  // ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION after it).
  std::optional<absl::Time> stopped_at;

  friend bool operator==(const TaskState&, const TaskState&) = default;

  ContainerState* FindContainer(std::string_view name);
  const ContainerState* FindContainer(std::string_view name) const;
};

// A fresh state for `spec`: every container NONE, desired RUNNING (or
// STOPPED for a task that is desired STOPPED).
TaskState NewTaskState(TaskSpec spec);

// One report to berth-control: SubmitTaskStateChange with the containers that
// changed since the last report of this task. `seq` orders reports across
// the agent (assigned by the reporter; 0 until then).
struct ContainerChange {
  std::string container_name;
  std::string runtime_id;
  std::string status;  // RUNNING | STOPPED (backend names)
  std::optional<int32_t> exit_code;
  std::string reason;
  std::string image_digest;
  std::vector<NetworkBinding> network_bindings;
  friend bool operator==(const ContainerChange&, const ContainerChange&) = default;
};

struct TaskChange {
  uint64_t seq = 0;
  std::string cluster_arn;
  std::string task_arn;
  std::string status;  // PENDING | RUNNING | STOPPED (backend names)
  std::string reason;
  std::vector<ContainerChange> containers;
  std::optional<absl::Time> pull_started_at;
  std::optional<absl::Time> pull_stopped_at;
  std::optional<absl::Time> execution_stopped_at;
  friend bool operator==(const TaskChange&, const TaskChange&) = default;
};

// The SubmitTaskStateChange request body (botocore's member names; times as
// epoch seconds with fractions; reasons cut to 1,024 bytes on a UTF-8
// boundary).
std::string SubmitTaskStateChangeBody(const TaskChange& change);

// `text` made fit for a report or a JSON record: each byte that is not part
// of a valid UTF-8 character becomes U+FFFD, then the result is cut to at
// most `max_bytes` without splitting a character.
std::string ReportText(std::string_view text, size_t max_bytes = SIZE_MAX);
inline constexpr size_t kMaxReasonBytes = 1024;    // reason, as ECS cuts it
inline constexpr size_t kMaxRuntimeIdBytes = 255;  // runtimeId, imageDigest

// Lossless JSON forms for the agent's state store. Decode refuses anything
// Encode would not write (DataLoss naming the member).
std::string EncodeTaskState(const TaskState& state);
absl::StatusOr<TaskState> DecodeTaskState(std::string_view json);
std::string EncodeTaskChange(const TaskChange& change);
absl::StatusOr<TaskChange> DecodeTaskChange(std::string_view json);

}  // namespace berth::agent

#endif  // BERTH_AGENT_TASK_TASK_STATE_H_
