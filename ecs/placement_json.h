#ifndef BERTH_ECS_PLACEMENT_JSON_H_
#define BERTH_ECS_PLACEMENT_JSON_H_

// JSON codecs for PlacementStrategy and PlacementConstraint (ECS API model
// member names and enum values; `type` is required).

#include <string>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"
#include "ecs/placement_constraint.h"
#include "ecs/placement_strategy.h"

namespace berth::ecs {

boost::json::value ToJson(const PlacementStrategy& strategy);
absl::StatusOr<PlacementStrategy> PlacementStrategyFromJson(const boost::json::value& json,
                                                            const std::string& path = "");

boost::json::value ToJson(const PlacementConstraint& constraint);
absl::StatusOr<PlacementConstraint> PlacementConstraintFromJson(const boost::json::value& json,
                                                                const std::string& path = "");

// A `TaskDefinitionPlacementConstraint`: like the above, but only memberOf.
absl::StatusOr<PlacementConstraint> TaskDefinitionPlacementConstraintFromJson(
    const boost::json::value& json, const std::string& path = "");

}  // namespace berth::ecs

#endif  // BERTH_ECS_PLACEMENT_JSON_H_
