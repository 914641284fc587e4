#ifndef BERTH_ECS_RESOURCE_H_
#define BERTH_ECS_RESOURCE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::ecs {

// ECS `Resource`, as registered by an agent (`registeredResources`) and as
// left after placed tasks (`remainingResources`). ECS writes every numeric
// member, zero when unused, and `stringSetValue` only for STRINGSET.
//
// A quirk kept on purpose: in `remainingResources`, PORTS / PORTS_UDP list
// the ports that are *taken* (reserved at registration plus static host
// ports of tasks), not the free ones; every port not listed is available.
struct Resource {
  std::string name;  // CPU, MEMORY, PORTS, PORTS_UDP or user defined
  std::string type;  // INTEGER, DOUBLE, LONG or STRINGSET
  double double_value = 0.0;
  int64_t long_value = 0;
  int32_t integer_value = 0;
  std::vector<std::string> string_set_value;

  friend bool operator==(const Resource&, const Resource&) = default;
};

inline constexpr std::string_view kResourceCpu = "CPU";
inline constexpr std::string_view kResourceMemory = "MEMORY";
inline constexpr std::string_view kResourcePorts = "PORTS";
inline constexpr std::string_view kResourcePortsUdp = "PORTS_UDP";

inline constexpr std::string_view kResourceTypeInteger = "INTEGER";
inline constexpr std::string_view kResourceTypeDouble = "DOUBLE";
inline constexpr std::string_view kResourceTypeLong = "LONG";
inline constexpr std::string_view kResourceTypeStringSet = "STRINGSET";

// An INTEGER resource ("CPU", 2048).
Resource IntegerResource(std::string_view name, int32_t value);
// A STRINGSET resource of port numbers, in the order given.
Resource PortsResource(std::string_view name, const std::vector<int>& ports);

// The resource named `name`, or nullptr.
const Resource* FindResource(const std::vector<Resource>& resources, std::string_view name);

// An INTEGER / LONG / DOUBLE resource's amount (a DOUBLE truncated).
int64_t ResourceAmount(const Resource& r);

}  // namespace berth::ecs

#endif  // BERTH_ECS_RESOURCE_H_
