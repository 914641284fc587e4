#ifndef BERTH_AGENT_ENGINE_TASK_ENGINE_H_
#define BERTH_AGENT_ENGINE_TASK_ENGINE_H_

// The task engine: every task the agent runs, one TaskRunner (task_runner.h,
// where the state machine is drawn) per task ARN. It applies berth-control's
// messages idempotently (docs/agent-protocol.md "Exactly once"), restores
// tasks after an agent restart, and gives the endpoints read access.
//
//   Apply(task)      unknown ARN      → a new runner (PENDING is reported)
//                    known ARN        → desired status only moves forward
//                    tombstoned ARN   → reported STOPPED, never started
//                    cleaned-up ARN   → ignored (for cleanup_wait)
//   Stop(arn, why)   known ARN        → desired STOPPED
//                    unknown ARN      → a tombstone (for cleanup_wait)
//   Restore(states)  after a restart, before any Apply
//
// Pure: everything real goes through ContainerDriver and EngineSink;
// time and timers come from the loop, names from the Rng. Loop thread only.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/engine/container_driver.h"
#include "agent/engine/engine_options.h"
#include "agent/engine/task_runner.h"
#include "agent/task/task_spec.h"
#include "agent/task/task_state.h"
#include "io/event_loop.h"
#include "io/rng.h"

namespace berth::agent {

class TaskEngine {
 public:
  TaskEngine(io::EventLoop& loop, ContainerDriver& driver, EngineSink& sink, io::Rng& rng,
             EngineOptions options = {});
  ~TaskEngine();
  TaskEngine(const TaskEngine&) = delete;
  TaskEngine& operator=(const TaskEngine&) = delete;

  // The states the state store loaded at start-up: each task resumes where
  // it was (containers an earlier process created or started are re-attached
  // through the driver; none is started twice); stopped ones are cleaned up
  // cleanup_wait after their stoppedAt. Call once, before any Apply.
  void Restore(std::vector<TaskState> states);

  // A task message. The spec is trusted to be valid (DecodeTaskPayload ran
  // ValidateTaskSpec); desired_status "STOPPED" stops a known task, or makes
  // an unknown one reported STOPPED without starting it.
  void Apply(TaskSpec spec);

  // A stop message.
  void Stop(std::string_view arn, std::string reason);

  // Read access (the introspection and metadata endpoints). Pointers stay
  // valid until the next call into the engine or the loop.
  const TaskState* Find(std::string_view arn) const;
  std::vector<const TaskState*> Tasks() const;  // by ARN
  struct ContainerRef {
    const TaskState* task = nullptr;
    const ContainerState* container = nullptr;
  };
  // By the exact runtime id ("DockerId"); {nullptr, nullptr} when none.
  ContainerRef FindByRuntimeId(std::string_view runtime_id) const;
  // Every container whose runtime id starts with `prefix` (the endpoint
  // matches prefixes of 12 characters or fewer), by id.
  std::vector<ContainerRef> FindByRuntimeIdPrefix(std::string_view prefix) const;
  // By the task metadata endpoint's container id.
  ContainerRef FindByMetadataId(std::string_view metadata_id) const;

  const EngineStats& stats() const { return stats_; }
  // Gauges: how many tasks are known in each status (index: TaskStatus).
  std::vector<size_t> TasksByStatus() const;
  size_t tombstone_count() const { return tombstones_.size(); }

 private:
  struct Remembered {
    std::string reason;
    absl::Time until;
  };
  struct Where {
    std::string arn;
    size_t index = 0;
  };

  TaskState NewState(TaskSpec spec);
  void Add(TaskState state, bool restored);
  void Index(const TaskState& state);
  void OnCleanedUp(const std::string& arn);
  void ExpireMemories();
  ContainerRef Resolve(const Where& where) const;

  io::EventLoop& loop_;
  ContainerDriver& driver_;
  EngineSink& sink_;
  io::Rng& rng_;
  const EngineOptions options_;
  EngineStats stats_;
  std::map<std::string, std::shared_ptr<TaskRunner>, std::less<>> runners_;
  std::map<std::string, Remembered, std::less<>> tombstones_;  // stop before task
  std::map<std::string, Remembered, std::less<>> forgotten_;   // cleaned up
  std::map<std::string, Where, std::less<>> by_runtime_id_;
  std::map<std::string, Where, std::less<>> by_metadata_id_;
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_ENGINE_TASK_ENGINE_H_
