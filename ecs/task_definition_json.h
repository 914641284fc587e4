#ifndef BERTH_ECS_TASK_DEFINITION_JSON_H_
#define BERTH_ECS_TASK_DEFINITION_JSON_H_

// JSON codecs for TaskDefinition and the shapes inside it, with the ECS API
// model's member names; conventions as in container_instance_json.h. The
// decoders read a RegisterTaskDefinition request's members as well as a
// DescribeTaskDefinition response's `taskDefinition`.

#include <string>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"
#include "ecs/container_definition.h"
#include "ecs/port_mapping.h"
#include "ecs/task_definition.h"

namespace berth::ecs {

boost::json::value ToJson(const PortMapping& mapping);
absl::StatusOr<PortMapping> PortMappingFromJson(const boost::json::value& json,
                                                const std::string& path = "");

boost::json::value ToJson(const ContainerDefinition& container);
absl::StatusOr<ContainerDefinition> ContainerDefinitionFromJson(const boost::json::value& json,
                                                                const std::string& path = "");

// `placementConstraints` of a task definition may only be memberOf
// (TaskDefinitionPlacementConstraintType); distinctInstance there is an
// InvalidArgument naming the field.
boost::json::value ToJson(const TaskDefinition& definition);
absl::StatusOr<TaskDefinition> TaskDefinitionFromJson(const boost::json::value& json,
                                                      const std::string& path = "");

}  // namespace berth::ecs

#endif  // BERTH_ECS_TASK_DEFINITION_JSON_H_
