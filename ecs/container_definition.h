#ifndef BERTH_ECS_CONTAINER_DEFINITION_H_
#define BERTH_ECS_CONTAINER_DEFINITION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "boost/json/object.hpp"
#include "ecs/port_mapping.h"

namespace berth::ecs {

// ECS `ContainerDefinition`, the members placement reads. Every other member
// (command, environment, mountPoints, logConfiguration, ...) is kept
// verbatim in `other` by the codec, so a definition round-trips whole.
struct ContainerDefinition {
  std::string name;
  std::string image;
  // CPU units (1,024 per vCPU); the model's non-boxed Integer, so ECS shows 0
  // when the user gave none.
  int32_t cpu = 0;
  std::optional<int32_t> memory;              // "memory": hard limit, MiB
  std::optional<int32_t> memory_reservation;  // "memoryReservation": soft limit, MiB
  std::vector<PortMapping> port_mappings;     // "portMappings"
  std::optional<bool> essential;              // true when absent
  boost::json::object other;

  friend bool operator==(const ContainerDefinition&, const ContainerDefinition&) = default;
};

}  // namespace berth::ecs

#endif  // BERTH_ECS_CONTAINER_DEFINITION_H_
