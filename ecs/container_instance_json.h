#ifndef BERTH_ECS_CONTAINER_INSTANCE_JSON_H_
#define BERTH_ECS_CONTAINER_INSTANCE_JSON_H_

// JSON codecs for ContainerInstance and the shapes inside it, with the ECS
// API model's member names. Decoders take the path of the value in its
// document ("containerInstances[3]") so errors name the full field; they
// return InvalidArgument on a wrong type or an unknown enum value. Members
// the model has but the structs do not are kept in `other`.

#include <string>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"
#include "ecs/attribute.h"
#include "ecs/container_instance.h"
#include "ecs/resource.h"

namespace berth::ecs {

boost::json::value ToJson(const Resource& resource);
absl::StatusOr<Resource> ResourceFromJson(const boost::json::value& json,
                                          const std::string& path = "");

boost::json::value ToJson(const Attribute& attribute);
absl::StatusOr<Attribute> AttributeFromJson(const boost::json::value& json,
                                            const std::string& path = "");

boost::json::value ToJson(const VersionInfo& info);
absl::StatusOr<VersionInfo> VersionInfoFromJson(const boost::json::value& json,
                                                const std::string& path = "");

boost::json::value ToJson(const ContainerInstance& instance);
absl::StatusOr<ContainerInstance> ContainerInstanceFromJson(const boost::json::value& json,
                                                            const std::string& path = "");

}  // namespace berth::ecs

#endif  // BERTH_ECS_CONTAINER_INSTANCE_JSON_H_
