#include "agent/engine/task_engine.h"

#include <utility>

#include "agent/engine/names.h"
#include "io/log.h"

namespace berth::agent {

TaskEngine::TaskEngine(io::EventLoop& loop, ContainerDriver& driver, EngineSink& sink,
                       io::Rng& rng, EngineOptions options)
    : loop_(loop), driver_(driver), sink_(sink), rng_(rng), options_(options) {}

TaskEngine::~TaskEngine() = default;

TaskState TaskEngine::NewState(TaskSpec spec) {
  TaskState state = NewTaskState(std::move(spec));
  for (ContainerState& container : state.containers) {
    // Chosen now, so the first persisted state holds them: Create after a
    // restart reuses the same names (Create is idempotent by runtime id).
    container.runtime_id = NewRuntimeId(rng_);
    container.runtime_name =
        NewRuntimeName(state.spec.family, state.spec.revision, container.name, rng_);
    container.metadata_id = NewUuidV4(rng_);
  }
  return state;
}

void TaskEngine::Restore(std::vector<TaskState> states) {
  CHECK(runners_.empty()) << "Restore must come before any Apply";
  for (TaskState& state : states) {
    if (state.containers.size() != state.spec.containers.size() || runners_.count(state.spec.arn)) {
      LOG(ERROR) << "not restoring task " << state.spec.arn
                 << ": its containers do not match its spec, or it is there twice";
      continue;
    }
    for (size_t i = 0; i < state.containers.size(); ++i) {
      ContainerState& c = state.containers[i];
      // A state persisted before any name was chosen (never by this engine,
      // but cheap to accept).
      if (c.runtime_id.empty() && c.known < ContainerStatus::kCreated) {
        c.runtime_id = NewRuntimeId(rng_);
        c.runtime_name =
            NewRuntimeName(state.spec.family, state.spec.revision, c.name, rng_);
      }
      if (c.metadata_id.empty()) {
        c.metadata_id = NewUuidV4(rng_);
      }
    }
    ++stats_.tasks_restored;
    Add(std::move(state), /*restored=*/true);
  }
}

void TaskEngine::Apply(TaskSpec spec) {
  ExpireMemories();
  if (auto it = runners_.find(spec.arn); it != runners_.end()) {
    ++stats_.duplicate_applies;
    if (spec.desired_status == "STOPPED") {
      std::shared_ptr<TaskRunner> runner = it->second;
      runner->StopTask("");
    }
    return;
  }
  if (forgotten_.count(spec.arn) != 0) {
    ++stats_.ignored_applies;
    LOG(WARNING) << "ignoring task " << spec.arn << ": it ran here and was cleaned up";
    return;
  }
  ++stats_.tasks_applied;
  TaskState state = NewState(std::move(spec));
  if (auto it = tombstones_.find(state.spec.arn); it != tombstones_.end()) {
    ++stats_.tombstoned_tasks;
    state.desired = TaskStatus::kStopped;
    state.stop_reason = it->second.reason;
    for (ContainerState& c : state.containers) {
      c.desired = ContainerStatus::kStopped;
    }
    tombstones_.erase(it);
  }
  Add(std::move(state), /*restored=*/false);
}

void TaskEngine::Stop(std::string_view arn, std::string reason) {
  ExpireMemories();
  if (auto it = runners_.find(arn); it != runners_.end()) {
    std::shared_ptr<TaskRunner> runner = it->second;
    runner->StopTask(reason);
    return;
  }
  if (forgotten_.count(arn) != 0) {
    return;
  }
  ++stats_.tombstones;
  tombstones_[std::string(arn)] =
      Remembered{std::move(reason), loop_.time().Now() + options_.cleanup_wait};
}

void TaskEngine::Add(TaskState state, bool restored) {
  const std::string arn = state.spec.arn;
  TaskRunner::Env env{
      .loop = &loop_,
      .driver = &driver_,
      .sink = &sink_,
      .options = &options_,
      .stats = &stats_,
      .on_cleaned_up = [this](const std::string& arn) { OnCleanedUp(arn); },
  };
  auto runner = std::make_shared<TaskRunner>(std::move(env), std::move(state), restored);
  runners_.emplace(arn, runner);
  Index(runner->state());
  runner->Begin();
}

void TaskEngine::Index(const TaskState& state) {
  for (size_t i = 0; i < state.containers.size(); ++i) {
    const ContainerState& c = state.containers[i];
    if (!c.runtime_id.empty()) {
      by_runtime_id_[c.runtime_id] = Where{state.spec.arn, i};
    }
    if (!c.metadata_id.empty()) {
      by_metadata_id_[c.metadata_id] = Where{state.spec.arn, i};
    }
  }
}

void TaskEngine::OnCleanedUp(const std::string& arn) {
  auto it = runners_.find(arn);
  if (it == runners_.end()) {
    return;
  }
  for (const ContainerState& c : it->second->state().containers) {
    by_runtime_id_.erase(c.runtime_id);
    by_metadata_id_.erase(c.metadata_id);
  }
  runners_.erase(it);
  forgotten_[arn] = Remembered{"", loop_.time().Now() + options_.cleanup_wait};
}

void TaskEngine::ExpireMemories() {
  const absl::Time now = loop_.time().Now();
  for (auto* memory : {&tombstones_, &forgotten_}) {
    for (auto it = memory->begin(); it != memory->end();) {
      it = it->second.until <= now ? memory->erase(it) : std::next(it);
    }
  }
}

const TaskState* TaskEngine::Find(std::string_view arn) const {
  auto it = runners_.find(arn);
  return it == runners_.end() ? nullptr : &it->second->state();
}

std::vector<const TaskState*> TaskEngine::Tasks() const {
  std::vector<const TaskState*> out;
  out.reserve(runners_.size());
  for (const auto& [arn, runner] : runners_) {
    out.push_back(&runner->state());
  }
  return out;
}

TaskEngine::ContainerRef TaskEngine::Resolve(const Where& where) const {
  const TaskState* task = Find(where.arn);
  if (task == nullptr || where.index >= task->containers.size()) {
    return {};
  }
  return {task, &task->containers[where.index]};
}

TaskEngine::ContainerRef TaskEngine::FindByRuntimeId(std::string_view runtime_id) const {
  auto it = by_runtime_id_.find(runtime_id);
  return it == by_runtime_id_.end() ? ContainerRef{} : Resolve(it->second);
}

std::vector<TaskEngine::ContainerRef> TaskEngine::FindByRuntimeIdPrefix(
    std::string_view prefix) const {
  std::vector<ContainerRef> out;
  for (auto it = by_runtime_id_.lower_bound(prefix);
       it != by_runtime_id_.end() && std::string_view(it->first).substr(0, prefix.size()) == prefix;
       ++it) {
    if (ContainerRef ref = Resolve(it->second); ref.task != nullptr) {
      out.push_back(ref);
    }
  }
  return out;
}

TaskEngine::ContainerRef TaskEngine::FindByMetadataId(std::string_view metadata_id) const {
  auto it = by_metadata_id_.find(metadata_id);
  return it == by_metadata_id_.end() ? ContainerRef{} : Resolve(it->second);
}

std::vector<size_t> TaskEngine::TasksByStatus() const {
  std::vector<size_t> counts(static_cast<size_t>(TaskStatus::kStopped) + 1, 0);
  for (const auto& [arn, runner] : runners_) {
    ++counts[static_cast<size_t>(runner->state().known)];
  }
  return counts;
}

}  // namespace berth::agent
