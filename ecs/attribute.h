#ifndef BERTH_ECS_ATTRIBUTE_H_
#define BERTH_ECS_ATTRIBUTE_H_

#include <optional>
#include <string>

namespace berth::ecs {

// ECS `Attribute`: a name with an optional value on a container instance
// (built-in ones such as ecs.availability-zone, capabilities such as
// com.amazonaws.ecs.capability.docker-remote-api.1.17 that have no value, and
// custom ones from PutAttributes). In a task definition's
// `requiresAttributes` the same shape names what an instance must have.
struct Attribute {
  std::string name;
  std::optional<std::string> value;
  std::optional<std::string> target_type;  // "targetType": "container-instance"
  std::optional<std::string> target_id;    // "targetId"

  friend bool operator==(const Attribute&, const Attribute&) = default;
};

}  // namespace berth::ecs

#endif  // BERTH_ECS_ATTRIBUTE_H_
