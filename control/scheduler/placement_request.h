#ifndef BERTH_CONTROL_SCHEDULER_PLACEMENT_REQUEST_H_
#define BERTH_CONTROL_SCHEDULER_PLACEMENT_REQUEST_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "control/scheduler/query/query.h"
#include "control/scheduler/task_needs.h"
#include "ecs/attribute.h"
#include "ecs/placement_constraint.h"
#include "ecs/placement_strategy.h"
#include "ecs/task_definition.h"

namespace berth::scheduler {

// Who asks: the defaults and limits differ.
enum class RequestKind {
  kRunTask,    // default strategy random; count 1..10
  kService,    // default spread(attribute:ecs.availability-zone), spread(instanceId)
  kStartTask,  // explicit instances, no strategies
};

// A request as the API layer has it, before validation.
struct RequestSpec {
  RequestKind kind = RequestKind::kRunTask;
  ecs::TaskDefinition task_definition;
  // The task group; empty means "family:<family>". A service passes
  // "service:<name>".
  std::string group;
  std::vector<ecs::PlacementConstraint> constraints;  // the request's own
  std::vector<ecs::PlacementStrategy> strategies;
  int count = 1;
  std::vector<std::string> container_instances;  // StartTask: ids or ARNs
  // Also explain successful placements (a diagnostic scan per task).
  bool explain = false;
};

// One placement strategy, resolved.
struct Strategy {
  enum class Kind { kRandom, kSpreadInstance, kSpreadAttribute, kBinpackCpu, kBinpackMemory };
  Kind kind = Kind::kRandom;
  std::string attribute;  // kSpreadAttribute: the attribute name

  friend bool operator==(const Strategy&, const Strategy&) = default;
};

std::string ToString(const Strategy& strategy);  // "spread(attribute:ecs.availability-zone)"

// A validated request: constraints parsed, defaults applied. Place() takes
// only this, so placement itself never fails on bad input.
struct PlacementRequest {
  RequestKind kind = RequestKind::kRunTask;
  TaskNeeds needs;
  std::string group;
  std::vector<ecs::Attribute> required_attributes;  // requiresAttributes
  // memberOf constraints, task definition's first, in the order given.
  std::vector<std::shared_ptr<const query::Expression>> member_of;
  bool distinct_instance = false;
  // Effective strategies: defaults applied, host -> instanceId, nothing
  // after random (random leaves no ties to break).
  std::vector<Strategy> strategies;
  int count = 1;
  std::vector<std::string> container_instances;
  bool explain = false;

  // Identifies the static part of the filter (required attributes and the
  // memberOf expressions that do not read tasks), for the snapshot's cache.
  std::string FilterKey() const;
};

using ExpressionParser =
    std::function<absl::StatusOr<std::shared_ptr<const query::Expression>>(std::string_view)>;

inline constexpr int kMaxStrategies = 5;
inline constexpr int kMaxConstraints = 10;  // task definition + request
inline constexpr int kMaxRunTaskCount = 10;
inline constexpr int kMaxStartTaskInstances = 10;

// Validates `spec` and compiles its expressions with query::ParseCached.
// InvalidArgument (InvalidParameterException at the API) for: more than 5
// strategies or 10 constraints; a binpack field other than cpu/memory; a
// spread without a field or with an empty attribute name; distinctInstance
// with an expression or memberOf without one; a bad expression (the query
// language's message, naming the position); a count or instance list out of
// range; a task definition whose needs are invalid (NeedsOf).
absl::StatusOr<PlacementRequest> CompileRequest(const RequestSpec& spec);
// The same with another expression parser (tests).
absl::StatusOr<PlacementRequest> CompileRequest(const RequestSpec& spec,
                                                const ExpressionParser& parse);

}  // namespace berth::scheduler

#endif  // BERTH_CONTROL_SCHEDULER_PLACEMENT_REQUEST_H_
