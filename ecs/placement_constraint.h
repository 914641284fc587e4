#ifndef BERTH_ECS_PLACEMENT_CONSTRAINT_H_
#define BERTH_ECS_PLACEMENT_CONSTRAINT_H_

#include <optional>
#include <string>
#include <string_view>

namespace berth::ecs {

// ECS `PlacementConstraintType`. A task definition's own constraints
// (`TaskDefinitionPlacementConstraint`) may only be memberOf.
enum class PlacementConstraintType { kDistinctInstance, kMemberOf };

std::string_view ToString(PlacementConstraintType type);
std::optional<PlacementConstraintType> ParsePlacementConstraintType(std::string_view text);
inline constexpr std::string_view kPlacementConstraintTypeValues = "distinctInstance, memberOf";

// ECS `PlacementConstraint` / `TaskDefinitionPlacementConstraint`:
// `expression` is cluster query language, used by memberOf only.
struct PlacementConstraint {
  PlacementConstraintType type = PlacementConstraintType::kMemberOf;
  std::optional<std::string> expression;

  friend bool operator==(const PlacementConstraint&, const PlacementConstraint&) = default;
};

}  // namespace berth::ecs

#endif  // BERTH_ECS_PLACEMENT_CONSTRAINT_H_
