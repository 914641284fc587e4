#include "agent/engine/task_runner.h"

#include <signal.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/engine/dependencies.h"
#include "agent/engine/reasons.h"
#include "io/absl_compat.h"
#include "io/log.h"

namespace berth::agent {
namespace {

TaskStatus AsTaskStatus(ContainerStatus status) {
  return static_cast<TaskStatus>(static_cast<uint8_t>(status));
}

}  // namespace

struct TaskRunner::Runtime {
  bool pulling = false;
  uint64_t pull_generation = 0;  // a pull's answer counts only for its generation
  io::TimerId pull_timer = 0;
  uint64_t watch_generation = 0;      // likewise for on_exit of Start / Reattach
  std::optional<ContainerExit> exit;  // reported, applied by the next pass
  bool signaled = false;              // SIGTERM sent by this process
  uint64_t stop_generation = 0;
  io::TimerId kill_timer = 0;
  bool start_timer_armed = false;
};

TaskRunner::TaskRunner(Env env, TaskState state, bool restored)
    : env_(std::move(env)), state_(std::move(state)), restored_(restored) {
  CHECK_EQ(state_.containers.size(), state_.spec.containers.size());
  runtime_.resize(state_.containers.size());
  reported_containers_.resize(state_.containers.size(), "PENDING");
  if (restored_) {
    // Every persisted state was persisted with its report: what it says was
    // reported.
    reported_task_ = std::string(BackendStatus(state_.known));
    for (size_t i = 0; i < state_.containers.size(); ++i) {
      reported_containers_[i] = std::string(BackendStatus(state_.containers[i].known));
    }
    emitted_ = state_;
  }
}

TaskRunner::~TaskRunner() {
  for (Runtime& r : runtime_) {
    if (r.pull_timer != 0) env_.loop->CancelTimer(r.pull_timer);
    if (r.kill_timer != 0) env_.loop->CancelTimer(r.kill_timer);
  }
  if (cleanup_timer_ != 0) env_.loop->CancelTimer(cleanup_timer_);
}

absl::Time TaskRunner::Now() const { return env_.loop->time().Now(); }

void TaskRunner::Begin() {
  if (restored_) {
    // Exits the driver reports from inside Reattach wait for the pass below.
    progressing_ = true;
    for (size_t i = 0; i < state_.containers.size(); ++i) {
      const ContainerStatus known = state_.containers[i].known;
      if (known == ContainerStatus::kCreated || known == ContainerStatus::kRunning) {
        Reattach(i);
      }
      if (state_.containers[i].known == ContainerStatus::kRunning) {
        ArmStartTimeout(i);
      }
    }
    if (state_.known == TaskStatus::kStopped) {
      ArmCleanup();
    }
    progressing_ = false;
  }
  Progress();
}

void TaskRunner::StopTask(const std::string& reason) {
  if (state_.stop_reason.empty() && state_.desired != TaskStatus::kStopped) {
    state_.stop_reason = reason;
  }
  state_.desired = TaskStatus::kStopped;
  Progress();
}

void TaskRunner::Progress() {
  if (progressing_) {
    progress_again_ = true;
    return;
  }
  progressing_ = true;
  // Keep ourselves alive through callbacks that might drop the last owner.
  std::shared_ptr<TaskRunner> self = shared_from_this();
  do {
    progress_again_ = false;
    while (ProgressOnce()) {
    }
  } while (progress_again_);
  progressing_ = false;
  Emit();
}

bool TaskRunner::ProgressOnce() {
  bool changed = false;
  for (size_t i = 0; i < state_.containers.size(); ++i) {
    changed |= ApplyExit(i);
  }
  changed |= PropagateDesired();
  std::vector<size_t> to_start;
  for (size_t i = 0; i < state_.containers.size(); ++i) {
    if (state_.containers[i].desired == ContainerStatus::kStopped) {
      changed |= StopContainer(i);
    } else {
      changed |= AdvanceContainer(i, to_start);
    }
  }
  if (!to_start.empty()) {
    // The start intent: every container about to start is persisted CREATED,
    // with its runtime id, before its process may exist (one write for all
    // the containers this pass starts).
    Emit();
    for (size_t i : to_start) {
      StartContainer(i);
    }
    changed = true;
  }
  // Pulls are over once none is in flight and none is still to begin.
  if (state_.pull_started_at.has_value() && !state_.pull_stopped_at.has_value()) {
    // (A container stopped while its pull was in flight no longer counts.)
    bool pulling = false;
    for (size_t i = 0; i < state_.containers.size(); ++i) {
      const ContainerState& c = state_.containers[i];
      pulling |= c.known == ContainerStatus::kNone &&
                 (runtime_[i].pulling || c.desired != ContainerStatus::kStopped);
    }
    if (!pulling) {
      state_.pull_stopped_at = Now();
      changed = true;
    }
  }
  changed |= UpdateTaskStatus();
  return changed;
}

bool TaskRunner::ApplyExit(size_t i) {
  Runtime& r = runtime_[i];
  ContainerState& c = state_.containers[i];
  if (!r.exit.has_value()) {
    return false;
  }
  ContainerExit exit = std::move(*r.exit);
  r.exit.reset();
  if (c.known == ContainerStatus::kStopped) {
    return false;
  }
  c.known = ContainerStatus::kStopped;
  c.desired = ContainerStatus::kStopped;
  c.finished_at = Now();
  if (!c.started_at.has_value()) {
    c.started_at = c.finished_at;  // it ran while the agent was down; when is unknown
  }
  if (!exit.error.empty()) {
    c.exit_code.reset();
    c.reason = exit.error;
  } else {
    c.exit_code = exit.exit_code;
    c.oom_killed = exit.oom_killed;
    if (exit.oom_killed) {
      c.reason = std::string(reasons::kOutOfMemory);
      ++env_.stats->containers_oom_killed;
    }
  }
  if (r.kill_timer != 0) {
    env_.loop->CancelTimer(r.kill_timer);
    r.kill_timer = 0;
  }
  ++r.stop_generation;
  ++env_.stats->containers_exited;
  return true;
}

bool TaskRunner::PropagateDesired() {
  bool changed = false;
  if (state_.desired != TaskStatus::kStopped) {
    for (size_t i = 0; i < state_.containers.size(); ++i) {
      const ContainerState& c = state_.containers[i];
      if (!state_.spec.containers[i].essential ||
          (c.known != ContainerStatus::kStopped && c.desired != ContainerStatus::kStopped)) {
        continue;
      }
      // An essential container ended (or will never run): the task stops. A
      // container that never ran gives the task its reason (ECS shows a task
      // that failed to start with it); an exit's reason is the control
      // plane's to write ("Essential container in task exited").
      state_.desired = TaskStatus::kStopped;
      if (state_.stop_reason.empty() && !HasRun(c) && !c.reason.empty()) {
        state_.stop_reason = c.reason;
      }
      changed = true;
      break;
    }
  }
  if (state_.desired == TaskStatus::kStopped) {
    for (ContainerState& c : state_.containers) {
      if (c.desired != ContainerStatus::kStopped) {
        c.desired = ContainerStatus::kStopped;
        changed = true;
      }
    }
  }
  return changed;
}

bool TaskRunner::StopContainer(size_t i) {
  ContainerState& c = state_.containers[i];
  Runtime& r = runtime_[i];
  if (c.known == ContainerStatus::kStopped) {
    return false;
  }
  if (c.known != ContainerStatus::kRunning) {
    // No process: nothing to signal. A pull in flight is left to finish; its
    // answer is ignored.
    c.known = ContainerStatus::kStopped;
    return true;
  }
  if (r.signaled || !DependentsStopped(state_, i)) {
    return false;
  }
  const absl::Duration timeout = StopTimeout(i);
  r.signaled = true;
  ++env_.stats->stop_signals;
  env_.driver->Signal(c, SIGTERM);
  const uint64_t generation = r.stop_generation;
  r.kill_timer = env_.loop->AddTimer(timeout, [weak = Weak(), i, generation] {
    if (auto self = weak.lock()) self->OnStopTimeout(i, generation);
  });
  return false;  // nothing persisted changed
}

void TaskRunner::OnStopTimeout(size_t i, uint64_t generation) {
  Runtime& r = runtime_[i];
  r.kill_timer = 0;
  if (generation != r.stop_generation ||
      state_.containers[i].known != ContainerStatus::kRunning) {
    return;
  }
  ++env_.stats->kills;
  env_.driver->Kill(state_.containers[i]);
  // cgroup.kill ends everything but a process in uninterruptible sleep. If
  // no exit comes within another stop timeout, say so (once); the container
  // stays RUNNING, since reporting STOPPED would be untrue.
  r.kill_timer = env_.loop->AddTimer(StopTimeout(i), [weak = Weak(), i, generation] {
    auto self = weak.lock();
    if (self == nullptr) return;
    Runtime& r = self->runtime_[i];
    r.kill_timer = 0;
    if (generation == r.stop_generation &&
        self->state_.containers[i].known == ContainerStatus::kRunning) {
      ++self->env_.stats->stuck_stops;
      LOG(ERROR) << "task " << self->state_.spec.arn << ": container "
                 << self->state_.containers[i].name
                 << " has not exited after cgroup.kill; it stays RUNNING until it does";
    }
  });
}

absl::Duration TaskRunner::StopTimeout(size_t i) const {
  const ContainerSpec& spec = state_.spec.containers[i];
  return spec.stop_timeout.has_value() && *spec.stop_timeout > 0
             ? absl::Seconds(*spec.stop_timeout)
             : env_.options->stop_timeout;
}

bool TaskRunner::AdvanceContainer(size_t i, std::vector<size_t>& to_start) {
  ContainerState& c = state_.containers[i];
  switch (c.known) {
    case ContainerStatus::kNone:
      if (!runtime_[i].pulling) {
        StartPull(i);
        return true;
      }
      return false;
    case ContainerStatus::kPulled: {
      DependencyCheck check = CheckDependencies(state_, i, Now());
      if (check.verdict == DependencyCheck::Verdict::kWait) {
        return false;
      }
      if (check.verdict == DependencyCheck::Verdict::kTerminal) {
        ++env_.stats->dependency_errors;
        LOG(WARNING) << "task " << state_.spec.arn << ": container " << c.name << ": "
                     << check.error;
        Fail(i, reasons::CannotStart(check.error), reasons::kDependencyErrorExitCode);
        return true;
      }
      if (CreateContainer(i)) {
        to_start.push_back(i);
      }
      return true;
    }
    case ContainerStatus::kCreated:
      // Restored, and the driver says it never started: its dependencies
      // were resolved when it was created.
      to_start.push_back(i);
      return false;
    default:
      return false;
  }
}

void TaskRunner::StartPull(size_t i) {
  Runtime& r = runtime_[i];
  if (!state_.pull_started_at.has_value()) {
    state_.pull_started_at = Now();
  }
  r.pulling = true;
  const uint64_t generation = ++r.pull_generation;
  ++env_.stats->pulls;
  r.pull_timer = env_.loop->AddTimer(env_.options->pull_timeout, [weak = Weak(), i, generation] {
    if (auto self = weak.lock()) self->OnPullTimeout(i, generation);
  });
  env_.driver->Pull(state_.spec, state_.spec.containers[i],
                    [weak = Weak(), i, generation](absl::StatusOr<PulledImage> result) {
                      if (auto self = weak.lock()) self->OnPulled(i, generation, std::move(result));
                    });
}

void TaskRunner::OnPulled(size_t i, uint64_t generation, absl::StatusOr<PulledImage> result) {
  Runtime& r = runtime_[i];
  if (generation != r.pull_generation || !r.pulling) {
    return;  // timed out, or superseded
  }
  r.pulling = false;
  if (r.pull_timer != 0) {
    env_.loop->CancelTimer(r.pull_timer);
    r.pull_timer = 0;
  }
  ContainerState& c = state_.containers[i];
  if (c.known != ContainerStatus::kNone) {
    Progress();  // stopped meanwhile; the pull's end may end the pull phase
    return;
  }
  if (result.ok()) {
    c.known = ContainerStatus::kPulled;
    c.image_id = result->image_id;
    c.image_digest = result->image_digest;
  } else {
    ++env_.stats->pull_failures;
    Fail(i, reasons::CannotPull(Std(result.status().message())));
  }
  Progress();
}

void TaskRunner::OnPullTimeout(size_t i, uint64_t generation) {
  Runtime& r = runtime_[i];
  r.pull_timer = 0;
  if (generation != r.pull_generation || !r.pulling) {
    return;
  }
  r.pulling = false;
  ++r.pull_generation;  // the late answer is ignored
  if (state_.containers[i].known == ContainerStatus::kNone) {
    ++env_.stats->pull_failures;
    Fail(i, reasons::CannotPull(absl::StrCat("timed out after waiting ",
                                             absl::FormatDuration(env_.options->pull_timeout))));
  }
  Progress();
}

bool TaskRunner::CreateContainer(size_t i) {
  ContainerState& c = state_.containers[i];
  const ContainerSpec& spec = state_.spec.containers[i];
  if (!EnsureTaskResources()) {
    return false;
  }
  absl::Status status = env_.driver->Create(state_.spec, spec, c);
  if (!status.ok()) {
    ++env_.stats->create_failures;
    Fail(i, reasons::CannotCreate(Std(status.message())));
    return false;
  }
  c.known = ContainerStatus::kCreated;
  c.created_at = Now();
  return true;
}

bool TaskRunner::EnsureTaskResources() {
  if (!task_resources_ready_) {
    absl::Status status = env_.driver->CreateTask(state_.spec);
    if (!status.ok()) {
      ++env_.stats->task_resource_failures;
      LOG(ERROR) << "task " << state_.spec.arn << ": " << status;
      if (state_.stop_reason.empty()) {
        state_.stop_reason = std::string(reasons::kCgroupError);
      }
      state_.desired = TaskStatus::kStopped;
      return false;
    }
    task_resources_ready_ = true;
  }
  return true;
}

void TaskRunner::StartContainer(size_t i) {
  ContainerState& c = state_.containers[i];
  const ContainerSpec& spec = state_.spec.containers[i];
  Runtime& r = runtime_[i];
  if (c.known != ContainerStatus::kCreated || c.desired == ContainerStatus::kStopped ||
      !EnsureTaskResources()) {
    return;  // stopped meanwhile (an exit or failure earlier in this batch)
  }
  const uint64_t generation = ++r.watch_generation;
  absl::Status status =
      env_.driver->Start(state_.spec, spec, c, [weak = Weak(), i, generation](ContainerExit exit) {
        if (auto self = weak.lock()) self->OnExit(i, generation, std::move(exit));
      });
  if (!status.ok()) {
    ++r.watch_generation;
    ++env_.stats->start_failures;
    Fail(i, reasons::CannotStart(Std(status.message())));
    return;
  }
  ++env_.stats->containers_started;
  c.known = ContainerStatus::kRunning;
  c.started_at = Now();
  ArmStartTimeout(i);
}

void TaskRunner::Reattach(size_t i) {
  ContainerState& c = state_.containers[i];
  Runtime& r = runtime_[i];
  const uint64_t generation = ++r.watch_generation;
  const ContainerStatus known = c.known;
  env_.driver->Reattach(state_.spec, state_.spec.containers[i], c,
                        [weak = Weak(), i, generation](ContainerExit exit) {
                          if (auto self = weak.lock()) self->OnExit(i, generation, std::move(exit));
                        });
  CHECK(c.known == known) << "an exit during Reattach is applied after it";
  if (r.exit.has_value() || known == ContainerStatus::kRunning) {
    ++env_.stats->containers_reattached;
    return;  // ended (applied by the next pass), or still running
  }
  if (!c.shim.empty()) {
    // Started by the earlier process just before it went away.
    ++env_.stats->containers_reattached;
    c.known = ContainerStatus::kRunning;
    if (!c.started_at.has_value()) {
      c.started_at = Now();
    }
    return;
  }
  // Never started: forget this watch; Start (or a stop) follows.
  ++r.watch_generation;
  ++env_.stats->containers_never_started;
}

void TaskRunner::OnExit(size_t i, uint64_t generation, ContainerExit exit) {
  Runtime& r = runtime_[i];
  if (generation != r.watch_generation) {
    return;
  }
  r.exit = std::move(exit);
  Progress();
}

void TaskRunner::Fail(size_t i, std::string reason, std::optional<int32_t> exit_code) {
  ContainerState& c = state_.containers[i];
  LOG(WARNING) << "task " << state_.spec.arn << ": container " << c.name << ": " << reason;
  c.known = ContainerStatus::kStopped;
  c.desired = ContainerStatus::kStopped;
  c.reason = std::move(reason);
  c.exit_code = exit_code;
}

void TaskRunner::ArmStartTimeout(size_t i) {
  const ContainerSpec& spec = state_.spec.containers[i];
  const ContainerState& c = state_.containers[i];
  Runtime& r = runtime_[i];
  if (r.start_timer_armed || !spec.start_timeout.has_value() || *spec.start_timeout <= 0 ||
      !c.started_at.has_value()) {
    return;
  }
  r.start_timer_armed = true;
  const absl::Duration delay =
      std::max(absl::ZeroDuration(), *c.started_at + absl::Seconds(*spec.start_timeout) - Now());
  // Dependents waiting on it re-check their dependencies then.
  env_.loop->AddTimer(delay, [weak = Weak()] {
    if (auto self = weak.lock()) self->Progress();
  });
}

bool TaskRunner::UpdateTaskStatus() {
  TaskStatus lowest = TaskStatus::kStopped;
  bool essential_stopped = false;
  for (size_t i = 0; i < state_.containers.size(); ++i) {
    const ContainerStatus known = state_.containers[i].known;
    lowest = std::min(lowest, AsTaskStatus(known));
    essential_stopped |=
        state_.spec.containers[i].essential && known == ContainerStatus::kStopped;
  }
  if (lowest <= state_.known || (lowest != TaskStatus::kStopped && essential_stopped)) {
    return false;
  }
  state_.known = lowest;
  if (lowest == TaskStatus::kStopped) {
    state_.stopped_at = Now();
    if (!state_.execution_stopped_at.has_value()) {
      state_.execution_stopped_at = state_.stopped_at;
    }
    ++env_.stats->tasks_stopped;
    ArmCleanup();
  }
  return true;
}

void TaskRunner::ArmCleanup() {
  if (cleanup_armed_ || !state_.stopped_at.has_value()) {
    return;
  }
  cleanup_armed_ = true;
  const absl::Duration delay =
      std::max(absl::ZeroDuration(), *state_.stopped_at + env_.options->cleanup_wait - Now());
  cleanup_timer_ = env_.loop->AddTimer(delay, [weak = Weak()] {
    if (auto self = weak.lock()) self->OnCleanup();
  });
}

void TaskRunner::OnCleanup() {
  cleanup_timer_ = 0;
  std::shared_ptr<TaskRunner> self = shared_from_this();
  for (const ContainerState& c : state_.containers) {
    if (!c.runtime_id.empty()) {
      env_.driver->Remove(state_.spec, c);
    }
  }
  env_.driver->RemoveTask(state_.spec);
  ++env_.stats->tasks_cleaned_up;
  env_.sink->Forgotten(state_.spec.arn);
  if (env_.on_cleaned_up) {
    env_.on_cleaned_up(state_.spec.arn);
  }
}

std::optional<TaskChange> TaskRunner::MakeReport() {
  TaskChange change;
  const std::string_view task_status = BackendStatus(state_.known);
  bool any = reported_task_ != task_status;
  for (size_t i = 0; i < state_.containers.size(); ++i) {
    const ContainerState& c = state_.containers[i];
    const std::string_view status = BackendStatus(c.known);
    if (reported_containers_[i] == status) {
      continue;
    }
    reported_containers_[i] = std::string(status);
    any = true;
    change.containers.push_back(ContainerChange{
        .container_name = c.name,
        // Only a container that was created has a runtime id ECS should see.
        .runtime_id = c.created_at.has_value() ? c.runtime_id : std::string(),
        .status = std::string(status),
        .exit_code = c.exit_code,
        .reason = c.reason,
        .image_digest = c.image_digest,
        .network_bindings = c.network_bindings,
    });
  }
  if (!any) {
    return std::nullopt;
  }
  reported_task_ = std::string(task_status);
  change.cluster_arn = state_.spec.cluster_arn;
  change.task_arn = state_.spec.arn;
  change.status = reported_task_;
  if (state_.known == TaskStatus::kStopped) {
    change.reason = state_.stop_reason;
  }
  change.pull_started_at = state_.pull_started_at;
  change.pull_stopped_at = state_.pull_stopped_at;
  change.execution_stopped_at = state_.execution_stopped_at;
  return change;
}

void TaskRunner::Emit() {
  if (emitted_.has_value() && *emitted_ == state_) {
    return;
  }
  std::optional<TaskChange> report = MakeReport();
  if (report.has_value()) {
    ++env_.stats->reports;
  }
  emitted_ = state_;
  env_.sink->Changed(state_, std::move(report));
}

}  // namespace berth::agent
