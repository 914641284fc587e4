#include "ecs/placement_json.h"

#include "boost/json/object.hpp"
#include "ecs/json_reader.h"

namespace berth::ecs {

using json_internal::ObjectReader;
using json_internal::PutOptional;

boost::json::value ToJson(const PlacementStrategy& strategy) {
  boost::json::object o;
  o["type"] = ToString(strategy.type);
  PutOptional(o, "field", strategy.field);
  return o;
}

absl::StatusOr<PlacementStrategy> PlacementStrategyFromJson(const boost::json::value& json,
                                                            const std::string& path) {
  absl::StatusOr<ObjectReader> r = ObjectReader::Open(json, path);
  if (!r.ok()) {
    return r.status();
  }
  PlacementStrategy out;
  BERTH_ECS_RETURN_IF_ERROR(r->RequiredEnum("type", &out.type, ParsePlacementStrategyType,
                                            kPlacementStrategyTypeValues));
  BERTH_ECS_RETURN_IF_ERROR(r->String("field", &out.field));
  return out;
}

boost::json::value ToJson(const PlacementConstraint& constraint) {
  boost::json::object o;
  o["type"] = ToString(constraint.type);
  PutOptional(o, "expression", constraint.expression);
  return o;
}

absl::StatusOr<PlacementConstraint> PlacementConstraintFromJson(const boost::json::value& json,
                                                                const std::string& path) {
  absl::StatusOr<ObjectReader> r = ObjectReader::Open(json, path);
  if (!r.ok()) {
    return r.status();
  }
  PlacementConstraint out;
  BERTH_ECS_RETURN_IF_ERROR(r->RequiredEnum("type", &out.type, ParsePlacementConstraintType,
                                            kPlacementConstraintTypeValues));
  BERTH_ECS_RETURN_IF_ERROR(r->String("expression", &out.expression));
  return out;
}

absl::StatusOr<PlacementConstraint> TaskDefinitionPlacementConstraintFromJson(
    const boost::json::value& json, const std::string& path) {
  absl::StatusOr<PlacementConstraint> out = PlacementConstraintFromJson(json, path);
  if (out.ok() && out->type != PlacementConstraintType::kMemberOf) {
    return json_internal::FieldError(json_internal::MemberPath(path, "type"),
                                     "expected memberOf, got \"" +
                                         std::string(ToString(out->type)) + "\"");
  }
  return out;
}

}  // namespace berth::ecs
