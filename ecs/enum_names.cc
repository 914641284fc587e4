// ToString / Parse for the small ECS enums declared next to their types.

#include <array>
#include <utility>

#include "ecs/placement_constraint.h"
#include "ecs/placement_strategy.h"
#include "ecs/port_mapping.h"
#include "ecs/task_definition.h"

namespace berth::ecs {
namespace {

template <typename E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& names, E value) {
  for (const auto& [e, name] : names) {
    if (e == value) {
      return name;
    }
  }
  return names[0].second;
}

template <typename E, size_t N>
std::optional<E> ValueOf(const std::array<std::pair<E, std::string_view>, N>& names,
                         std::string_view text) {
  for (const auto& [e, name] : names) {
    if (name == text) {
      return e;
    }
  }
  return std::nullopt;
}

constexpr std::array<std::pair<TransportProtocol, std::string_view>, 2> kProtocols = {{
    {TransportProtocol::kTcp, "tcp"},
    {TransportProtocol::kUdp, "udp"},
}};

constexpr std::array<std::pair<PlacementStrategyType, std::string_view>, 3> kStrategyTypes = {{
    {PlacementStrategyType::kRandom, "random"},
    {PlacementStrategyType::kSpread, "spread"},
    {PlacementStrategyType::kBinpack, "binpack"},
}};

constexpr std::array<std::pair<PlacementConstraintType, std::string_view>, 2> kConstraintTypes = {{
    {PlacementConstraintType::kDistinctInstance, "distinctInstance"},
    {PlacementConstraintType::kMemberOf, "memberOf"},
}};

constexpr std::array<std::pair<NetworkMode, std::string_view>, 4> kNetworkModes = {{
    {NetworkMode::kBridge, "bridge"},
    {NetworkMode::kHost, "host"},
    {NetworkMode::kAwsvpc, "awsvpc"},
    {NetworkMode::kNone, "none"},
}};

}  // namespace

std::string_view ToString(TransportProtocol protocol) { return NameOf(kProtocols, protocol); }
std::optional<TransportProtocol> ParseTransportProtocol(std::string_view text) {
  return ValueOf(kProtocols, text);
}

std::string_view ToString(PlacementStrategyType type) { return NameOf(kStrategyTypes, type); }
std::optional<PlacementStrategyType> ParsePlacementStrategyType(std::string_view text) {
  return ValueOf(kStrategyTypes, text);
}

std::string_view ToString(PlacementConstraintType type) { return NameOf(kConstraintTypes, type); }
std::optional<PlacementConstraintType> ParsePlacementConstraintType(std::string_view text) {
  return ValueOf(kConstraintTypes, text);
}

std::string_view ToString(NetworkMode mode) { return NameOf(kNetworkModes, mode); }
std::optional<NetworkMode> ParseNetworkMode(std::string_view text) {
  return ValueOf(kNetworkModes, text);
}

}  // namespace berth::ecs
