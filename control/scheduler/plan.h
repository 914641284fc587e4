#ifndef BERTH_CONTROL_SCHEDULER_PLAN_H_
#define BERTH_CONTROL_SCHEDULER_PLAN_H_

#include <string>
#include <string_view>
#include <vector>

#include "control/scheduler/explanation.h"
#include "ecs/failure.h"

namespace berth::scheduler {

// How a task's instance was found.
enum class SearchPath {
  kIndex,     // the snapshot's indexes (no scan of the cluster)
  kScan,      // a scan of every candidate instance
  kExplicit,  // StartTask: the named instance
};
std::string_view ToString(SearchPath path);

struct Placement {
  int task_index = 0;  // 0 .. count-1
  std::string container_instance_arn;
  SearchPath path = SearchPath::kScan;
  int examined = 0;  // instances whose checks ran to find it

  friend bool operator==(const Placement&, const Placement&) = default;
};

struct UnplacedTask {
  int task_index = 0;
  Explanation explanation;

  friend bool operator==(const UnplacedTask&, const UnplacedTask&) = default;
};

// The result of Place(): where each task goes, and for each task that
// could not be placed, why.
struct Plan {
  std::vector<Placement> placements;  // in task order
  std::vector<UnplacedTask> unplaced;
  // ECS `failures[]` for the response: one entry per (instance, reason),
  // the instance's first reason in pipeline order, closest instances first,
  // at most kMaxFailures.
  std::vector<ecs::Failure> failures;
  // With PlacementRequest::explain, one per placement (same order).
  std::vector<Explanation> explanations;

  friend bool operator==(const Plan&, const Plan&) = default;
};

inline constexpr size_t kMaxFailures = 100;

}  // namespace berth::scheduler

#endif  // BERTH_CONTROL_SCHEDULER_PLAN_H_
