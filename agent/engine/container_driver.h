#ifndef BERTH_AGENT_ENGINE_CONTAINER_DRIVER_H_
#define BERTH_AGENT_ENGINE_CONTAINER_DRIVER_H_

// The seams between the task engine (a pure state machine on the event loop)
// and the world: ContainerDriver does things to containers (images, cgroups,
// processes), EngineSink persists and reports what the engine decided. The
// real driver (agent/engine/real_driver.*) combines agent/images, cgroups/ and
// agent/runtime; unit tests use fakes (tests/unit/agent/engine).
//
// Every call is made on the loop thread; every callback runs there.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/task/task_spec.h"
#include "agent/task/task_state.h"

namespace berth::agent {

struct PulledImage {
  std::string image_id;      // "sha256:<config digest>"
  std::string image_digest;  // "sha256:<manifest digest>"
};

// How a container's first process ended.
struct ContainerExit {
  int32_t exit_code = 0;    // the shell's convention: 128 + signal when killed
  bool oom_killed = false;  // the container's own cgroup recorded an OOM kill
  // Set when the exit status could not be known (the process vanished while
  // the agent was down and left no record): "ContainerVanishedError: ...".
  std::string error;
};

class ContainerDriver {
 public:
  virtual ~ContainerDriver() = default;

  // Makes the container's image available locally. Failure is reported as
  // "CannotPullContainerError: <message>".
  virtual void Pull(const TaskSpec& task, const ContainerSpec& container,
                    absl::AnyInvocable<void(absl::StatusOr<PulledImage>)> done) = 0;

  // The task's own resources (its cgroup, with task-level limits). Called
  // once before the first container is created; idempotent. Failure stops
  // the task with "CgroupError: Agent could not create task's platform
  // resources".
  virtual absl::Status CreateTask(const TaskSpec& task) = 0;

  // The container's cgroup with its limits, its root filesystem and its log
  // files. `state.runtime_id`, `runtime_name` and `metadata_id` are set by
  // the engine beforehand. Idempotent. Failure: "CannotCreateContainerError".
  virtual absl::Status Create(const TaskSpec& task, const ContainerSpec& container,
                              ContainerState& state) = 0;

  // Starts the container's first process; on success fills `state.shim`,
  // `state.process` and `state.network_bindings`. `on_exit` runs once, when
  // the process has ended. Failure: "CannotStartContainerError".
  virtual absl::Status Start(const TaskSpec& task, const ContainerSpec& container,
                             ContainerState& state,
                             absl::AnyInvocable<void(ContainerExit)> on_exit) = 0;

  // After an agent restart, for a container an earlier agent process started
  // (state.shim / state.process set): watches it again. `on_exit` runs once
  // it has ended, at once if it ended while the agent was down (with its real
  // exit code), or with `error` set if nothing is known about how it ended.
  virtual void Reattach(const TaskSpec& task, const ContainerSpec& container,
                        ContainerState& state,
                        absl::AnyInvocable<void(ContainerExit)> on_exit) = 0;

  // Sends `signal` to the container's first process.
  virtual void Signal(const ContainerState& state, int signal) = 0;
  // Kills every process in the container's cgroup at once (cgroup.kill).
  virtual void Kill(const ContainerState& state) = 0;

  // Cleanup, after ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION: removes the
  // container's cgroup, root filesystem and logs / the task's cgroup.
  // Best effort: failures are logged.
  virtual void Remove(const TaskSpec& task, const ContainerState& state) = 0;
  virtual void RemoveTask(const TaskSpec& task) = 0;
};

class EngineSink {
 public:
  virtual ~EngineSink() = default;
  // `state` changed; `report`, when set, is what berth-control must be told
  // about it. The sink persists both in one atomic write, then queues the
  // report for sending (reports of one task go out in the order given).
  virtual void Changed(const TaskState& state, std::optional<TaskChange> report) = 0;
  // The task was cleaned up: forget it (and drop nothing still unsent).
  virtual void Forgotten(const std::string& task_arn) = 0;
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_ENGINE_CONTAINER_DRIVER_H_
