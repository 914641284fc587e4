#include "control/scheduler/place.h"

#include <optional>
#include <set>
#include <utility>

#include "control/scheduler/diagnosis.h"
#include "control/scheduler/placer.h"

namespace berth::scheduler {
namespace {

using internal::Diagnosis;
using internal::Slot;

void AddFailures(const std::vector<ecs::Failure>& failures, Plan* plan) {
  for (const ecs::Failure& f : failures) {
    if (plan->failures.size() >= kMaxFailures) {
      return;
    }
    bool seen = false;
    for (const ecs::Failure& have : plan->failures) {
      if (have.arn == f.arn && have.reason == f.reason) {
        seen = true;
        break;
      }
    }
    if (!seen) {
      plan->failures.push_back(f);
    }
  }
}

void PlaceExplicit(internal::Placer& placer, const PlacementRequest& request, Plan* plan) {
  const internal::SnapshotState& state = placer.state();
  for (int i = 0; i < static_cast<int>(request.container_instances.size()); ++i) {
    const std::string& name = request.container_instances[i];
    Slot slot = 0;
    if (!state.Lookup(name, &slot)) {
      Diagnosis d = internal::DiagnoseMissing(name);
      AddFailures(d.failures, plan);
      plan->unplaced.push_back({i, std::move(d.explanation)});
      continue;
    }
    Diagnosis d = internal::Diagnose(placer, {slot});
    if (d.explanation.feasible == 0) {
      AddFailures(d.failures, plan);
      plan->unplaced.push_back({i, std::move(d.explanation)});
      continue;
    }
    if (request.explain) {
      plan->explanations.push_back(std::move(d.explanation));
    }
    placer.Commit(slot);
    plan->placements.push_back({i, state.nodes[slot].arn, SearchPath::kExplicit, 1});
  }
}

}  // namespace

std::string_view ToString(SearchPath path) {
  switch (path) {
    case SearchPath::kIndex:
      return "index";
    case SearchPath::kScan:
      return "scan";
    case SearchPath::kExplicit:
      return "explicit";
  }
  return "?";
}

Plan Place(const ClusterSnapshot& snapshot, const PlacementRequest& request, io::Rng& rng) {
  Plan plan;
  internal::Placer placer(snapshot.state(), request, rng);
  if (request.kind == RequestKind::kStartTask) {
    PlaceExplicit(placer, request, &plan);
    return plan;
  }
  for (int i = 0; i < request.count; ++i) {
    SearchPath path = SearchPath::kScan;
    std::optional<Slot> slot = placer.PlaceOne(&path);
    if (!slot.has_value()) {
      // Later tasks are the same task on a cluster no emptier: they fail
      // the same way.
      Diagnosis d = internal::Diagnose(placer, snapshot.state().live);
      AddFailures(d.failures, &plan);
      for (int j = i; j < request.count; ++j) {
        plan.unplaced.push_back({j, d.explanation});
      }
      break;
    }
    int examined = placer.examined();
    if (request.explain) {
      plan.explanations.push_back(
          internal::Diagnose(placer, snapshot.state().live).explanation);
    }
    placer.Commit(*slot);
    plan.placements.push_back({i, snapshot.state().nodes[*slot].arn, path, examined});
  }
  return plan;
}

}  // namespace berth::scheduler
