#ifndef BERTH_AGENT_ENGINE_DEPENDENCIES_H_
#define BERTH_AGENT_ENGINE_DEPENDENCIES_H_

// dependsOn, as pure functions of a task's state (the rules of Amazon's
// agent/engine/dependencygraph/graph.go, ../shared/reference/ecs-agent.md §6).
//
// A container is created and started only once every dependency resolves:
//
//   START     the dependency is RUNNING, or has run and STOPPED
//   COMPLETE  the dependency has STOPPED with an exit code
//   SUCCESS   the dependency has STOPPED with exit code 0
//   HEALTHY   never: berth has no health checks yet (terminal, see below)
//
// Terminal errors (the target can never start; the engine stops it with
// "CannotStartContainerError: <message>" and exit code 143, as Amazon's agent
// does): the dependency does not exist; SUCCESS but it exited non-zero;
// COMPLETE/SUCCESS but it stopped without an exit code; it will never start
// (it stopped, or is desired stopped, without having run); its startTimeout
// (seconds from its startedAt) passed before COMPLETE/SUCCESS/HEALTHY
// resolved; HEALTHY at all.

#include <cstddef>
#include <string>

#include "absl/time/time.h"
#include "agent/task/task_state.h"

namespace berth::agent {

struct DependencyCheck {
  enum class Verdict { kWait, kResolved, kTerminal };
  Verdict verdict = Verdict::kWait;
  std::string error;  // kTerminal: why, without the error name
};

// Whether container `target` (an index into state.containers) may be created
// and started at `now`.
DependencyCheck CheckDependencies(const TaskState& state, size_t target, absl::Time now);

// The reverse (shutdown) order: true when every container that depends on
// container `index`, whatever the condition, has STOPPED.
bool DependentsStopped(const TaskState& state, size_t index);

// Whether the container's process ever started (it has a startedAt).
bool HasRun(const ContainerState& container);

// The index of the container named `name` in `spec`, or spec.containers.size().
size_t ContainerIndex(const TaskSpec& spec, std::string_view name);

}  // namespace berth::agent

#endif  // BERTH_AGENT_ENGINE_DEPENDENCIES_H_
