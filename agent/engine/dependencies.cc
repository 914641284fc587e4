#include "agent/engine/dependencies.h"

#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"

namespace berth::agent {
namespace {

std::string Prefix(std::string_view dependency, std::string_view target) {
  return absl::StrCat("dependency graph: container ordering dependency [", Absl(dependency),
                      "] for target [", Absl(target), "]");
}

}  // namespace

bool HasRun(const ContainerState& container) { return container.started_at.has_value(); }

size_t ContainerIndex(const TaskSpec& spec, std::string_view name) {
  for (size_t i = 0; i < spec.containers.size(); ++i) {
    if (spec.containers[i].name == name) {
      return i;
    }
  }
  return spec.containers.size();
}

DependencyCheck CheckDependencies(const TaskState& state, size_t target, absl::Time now) {
  using Verdict = DependencyCheck::Verdict;
  const ContainerSpec& target_spec = state.spec.containers[target];
  bool all_resolved = true;
  for (const ContainerDependency& dependency : target_spec.depends_on) {
    const std::string& name = dependency.container_name;
    const size_t d = ContainerIndex(state.spec, name);
    if (d >= state.containers.size() || d == target) {
      return {Verdict::kTerminal, absl::StrCat(Prefix(name, target_spec.name), " does not exist")};
    }
    const ContainerState& dep = state.containers[d];
    const ContainerSpec& dep_spec = state.spec.containers[d];
    const bool stopped = dep.known == ContainerStatus::kStopped;
    bool resolved = false;
    switch (dependency.condition) {
      case DependencyCondition::kStart:
        resolved = dep.known == ContainerStatus::kRunning || (stopped && HasRun(dep));
        break;
      case DependencyCondition::kComplete:
        resolved = stopped && dep.exit_code.has_value();
        break;
      case DependencyCondition::kSuccess:
        resolved = stopped && dep.exit_code.has_value() && *dep.exit_code == 0;
        break;
      case DependencyCondition::kHealthy:
        return {Verdict::kTerminal,
                absl::StrCat(Prefix(name, target_spec.name),
                             " can never resolve: condition HEALTHY needs a health check, and "
                             "berth-agent does not run health checks")};
    }
    if (resolved) {
      continue;
    }
    all_resolved = false;
    const bool waits_for_end = dependency.condition != DependencyCondition::kStart;
    if (waits_for_end && dep_spec.start_timeout.has_value() && *dep_spec.start_timeout > 0 &&
        dep.started_at.has_value() &&
        now >= *dep.started_at + absl::Seconds(*dep_spec.start_timeout)) {
      return {Verdict::kTerminal, absl::StrCat(Prefix(name, target_spec.name), " has timed out.")};
    }
    if (dependency.condition == DependencyCondition::kSuccess && stopped &&
        dep.exit_code.has_value()) {
      return {Verdict::kTerminal,
              absl::StrCat("dependency graph: failed to resolve container ordering dependency [",
                           Absl(name), "] for target [", Absl(target_spec.name),
                           "] as dependency did not exit successfully.")};
    }
    const bool never_runs =
        !HasRun(dep) && (stopped || dep.desired == ContainerStatus::kStopped);
    if (never_runs) {
      return {Verdict::kTerminal,
              absl::StrCat("dependency graph: failed to resolve container ordering dependency [",
                           Absl(name), "] for target [", Absl(target_spec.name),
                           "] because dependency will never start")};
    }
    if (waits_for_end && stopped) {
      // It ran and ended, but how is unknown (it vanished while the agent was
      // down): COMPLETE and SUCCESS can never be decided.
      return {Verdict::kTerminal,
              absl::StrCat(Prefix(name, target_spec.name), " stopped without an exit code")};
    }
  }
  return {all_resolved ? Verdict::kResolved : Verdict::kWait, {}};
}

bool DependentsStopped(const TaskState& state, size_t index) {
  const std::string& name = state.spec.containers[index].name;
  for (size_t i = 0; i < state.spec.containers.size(); ++i) {
    if (state.containers[i].known == ContainerStatus::kStopped) {
      continue;
    }
    for (const ContainerDependency& dependency : state.spec.containers[i].depends_on) {
      if (dependency.container_name == name) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace berth::agent
