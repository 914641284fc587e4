#ifndef BERTH_AGENT_ENGINE_ENGINE_OPTIONS_H_
#define BERTH_AGENT_ENGINE_ENGINE_OPTIONS_H_

#include <cstdint>

#include "absl/time/time.h"

namespace berth::agent {

struct EngineOptions {
  // ECS_CONTAINER_STOP_TIMEOUT: SIGTERM → cgroup.kill, for a container whose
  // definition has no stopTimeout (> 0).
  absl::Duration stop_timeout = absl::Seconds(30);
  // ECS_CONTAINER_START_TIMEOUT. Amazon's agent bounds Docker's start call
  // with it; berth's Create and Start are synchronous (clone3 returns or
  // fails), so it bounds nothing here yet.
  absl::Duration start_timeout = absl::Minutes(3);
  // ECS_IMAGE_PULL_TIMEOUT: driver.Pull (the image resolved, downloaded,
  // layers unpacked). On expiry the container stops with
  // "CannotPullContainerError: timed out after waiting <d>" and a late
  // answer is ignored (the download itself goes on: other tasks may share it).
  absl::Duration pull_timeout = absl::Hours(2);
  // ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION: STOPPED → containers removed and
  // the task forgotten. Also how long a stop tombstone and a forgotten ARN
  // are remembered.
  absl::Duration cleanup_wait = absl::Hours(3);
};

// Counters for /metrics (monotonic; gauges are computed from the tasks).
struct EngineStats {
  uint64_t tasks_applied = 0;         // new tasks accepted by Apply
  uint64_t duplicate_applies = 0;     // Apply of a known ARN (desired status moved forward only)
  uint64_t ignored_applies = 0;       // Apply of an ARN already cleaned up
  uint64_t tombstones = 0;            // Stop of an unknown ARN
  uint64_t tombstoned_tasks = 0;      // Apply of a tombstoned ARN: reported STOPPED, never started
  uint64_t tasks_restored = 0;
  uint64_t tasks_stopped = 0;         // tasks that reached STOPPED
  uint64_t tasks_cleaned_up = 0;
  uint64_t pulls = 0;
  uint64_t pull_failures = 0;         // including timeouts
  uint64_t create_failures = 0;
  uint64_t start_failures = 0;
  uint64_t task_resource_failures = 0;  // CreateTask (CgroupError)
  uint64_t dependency_errors = 0;
  uint64_t containers_started = 0;
  uint64_t containers_exited = 0;
  uint64_t containers_oom_killed = 0;
  uint64_t containers_reattached = 0;   // found alive (or ended with a status) after a restart
  uint64_t containers_never_started = 0;  // CREATED at restart, driver: never started
  uint64_t stop_signals = 0;          // SIGTERMs sent
  uint64_t kills = 0;                 // stop timeouts that ended in cgroup.kill
  uint64_t stuck_stops = 0;           // no exit a stop timeout after cgroup.kill
  uint64_t reports = 0;               // TaskChanges handed to the sink
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_ENGINE_ENGINE_OPTIONS_H_
