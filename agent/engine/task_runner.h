#ifndef BERTH_AGENT_ENGINE_TASK_RUNNER_H_
#define BERTH_AGENT_ENGINE_TASK_RUNNER_H_

// One task's state machine. The TaskEngine makes one TaskRunner per task ARN;
// the runner owns the task's TaskState, drives its containers through the
// ContainerDriver and hands every change to the EngineSink.
//
// Each container (desired RUNNING until the task stops):
//
//          Pull ok             Create ok        Start ok           exit
//   NONE ───────────► PULLED ─────────────► CREATED ────────► RUNNING ──────► STOPPED
//    │  (all pulls     │ (dependsOn resolved; │ (state persisted  │ desired STOPPED and
//    │   at once)      │  CreateTask once)    │  first: the start │ its dependents STOPPED:
//    │                 │                      │  intent)          │ Signal(SIGTERM); after
//    │ Pull fails /    │ Create fails /       │ Start fails       │ stopTimeout: Kill
//    │ times out       │ terminal dependency  │                   │ (cgroup.kill)
//    ▼                 ▼ error (exit 143)     ▼                   ▼
//   STOPPED  ◄─────── desired STOPPED before the process started: STOPPED at once
//
// The task:
//
//   known = min over its containers (NONE < PULLED < CREATED < RUNNING < STOPPED),
//           only forward, and never past an essential container that has STOPPED
//           until the task is STOPPED (Amazon's updateTaskKnownStatus exception)
//
//   desired RUNNING ──► STOPPED when: a stop message (Stop, or Apply with
//   desiredStatus STOPPED), an essential container STOPPED or desired STOPPED,
//   or CreateTask failed ("CgroupError: ..."). Every container then follows.
//
//   known STOPPED ──(cleanup_wait)──► Remove each container, RemoveTask,
//                                     EngineSink::Forgotten
//
// Reports (EngineSink::Changed): the runner's whole progress happens in
// Progress(), which ends with one Changed when the state differs from the one
// last handed over; its TaskChange holds the task's backend status (PENDING,
// RUNNING, STOPPED) and the containers whose backend status moved since the
// last report. A task's first Changed always reports (PENDING, or STOPPED for
// a task stopped before it started). Since the sink persists state and
// report in one write, what was reported is what the persisted state says,
// and a restored runner starts from there: no report is lost or repeated.
//
// Start intent: Start is only called after a state with the container CREATED
// (its runtime id chosen at Apply) was handed to the sink. A restored
// container that is CREATED is asked of the driver through Reattach: it was
// started (shim filled, or on_exit called before Reattach returns) or it was
// not (neither), and only then is Start called. A container is never started
// twice.
//
// Re-entrancy: driver callbacks may run inside driver calls (a fake's pull,
// Reattach's on_exit); they record what happened and call Progress(), which
// runs again after the current pass instead of nesting.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "agent/engine/container_driver.h"
#include "agent/engine/engine_options.h"
#include "agent/task/task_state.h"
#include "io/event_loop.h"

namespace berth::agent {

class TaskRunner : public std::enable_shared_from_this<TaskRunner> {
 public:
  struct Env {
    io::EventLoop* loop = nullptr;
    ContainerDriver* driver = nullptr;
    EngineSink* sink = nullptr;
    const EngineOptions* options = nullptr;
    EngineStats* stats = nullptr;
    // Called once, after Forgotten, when the runner may be destroyed.
    absl::AnyInvocable<void(const std::string& arn)> on_cleaned_up;
  };

  // `state` is a new task's (restored = false) or one restored from the
  // state store after an agent restart (restored = true). Runners live in a
  // shared_ptr (callbacks hold weak references).
  TaskRunner(Env env, TaskState state, bool restored);
  ~TaskRunner();
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  // Starts the machine: a restored runner first re-attaches to the
  // containers an earlier agent process created or started.
  void Begin();

  // A stop message: desired STOPPED (only forward); `reason` is kept as the
  // task's stop reason when it has none yet.
  void StopTask(const std::string& reason);

  const TaskState& state() const { return state_; }

 private:
  struct Runtime;  // per container, not persisted

  void Progress();
  bool ProgressOnce();
  bool ApplyExit(size_t i);
  bool PropagateDesired();
  bool StopContainer(size_t i);
  bool AdvanceContainer(size_t i, std::vector<size_t>& to_start);
  bool EnsureTaskResources();
  bool CreateContainer(size_t i);
  void StartContainer(size_t i);
  void StartPull(size_t i);
  void Reattach(size_t i);
  void Fail(size_t i, std::string reason, std::optional<int32_t> exit_code = std::nullopt);
  bool UpdateTaskStatus();
  void ArmStartTimeout(size_t i);
  void ArmCleanup();
  void Emit();
  std::optional<TaskChange> MakeReport();

  void OnPulled(size_t i, uint64_t generation, absl::StatusOr<PulledImage> result);
  void OnPullTimeout(size_t i, uint64_t generation);
  void OnExit(size_t i, uint64_t generation, ContainerExit exit);
  void OnStopTimeout(size_t i, uint64_t generation);
  absl::Duration StopTimeout(size_t i) const;
  void OnCleanup();

  absl::Time Now() const;
  std::weak_ptr<TaskRunner> Weak() { return weak_from_this(); }

  Env env_;
  TaskState state_;
  const bool restored_;
  std::vector<Runtime> runtime_;
  bool task_resources_ready_ = false;  // CreateTask succeeded in this process
  bool progressing_ = false;
  bool progress_again_ = false;
  bool cleanup_armed_ = false;
  io::TimerId cleanup_timer_ = 0;
  // What ECS was last told (backend names); "" before the first report.
  std::string reported_task_;
  std::vector<std::string> reported_containers_;
  // The state last handed to the sink (Emit skips an unchanged state).
  std::optional<TaskState> emitted_;
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_ENGINE_TASK_RUNNER_H_
