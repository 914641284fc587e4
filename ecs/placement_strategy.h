#ifndef BERTH_ECS_PLACEMENT_STRATEGY_H_
#define BERTH_ECS_PLACEMENT_STRATEGY_H_

#include <optional>
#include <string>
#include <string_view>

namespace berth::ecs {

// ECS `PlacementStrategyType`.
enum class PlacementStrategyType { kRandom, kSpread, kBinpack };

std::string_view ToString(PlacementStrategyType type);
std::optional<PlacementStrategyType> ParsePlacementStrategyType(std::string_view text);
inline constexpr std::string_view kPlacementStrategyTypeValues = "random, spread, binpack";

// ECS `PlacementStrategy`: `field` is cpu|memory for binpack, instanceId,
// host or attribute:<name> for spread, and unused for random.
struct PlacementStrategy {
  PlacementStrategyType type = PlacementStrategyType::kRandom;
  std::optional<std::string> field;

  friend bool operator==(const PlacementStrategy&, const PlacementStrategy&) = default;
};

}  // namespace berth::ecs

#endif  // BERTH_ECS_PLACEMENT_STRATEGY_H_
