// Placer: the scan. Every candidate's strategy keys, lexicographic minimum,
// ties uniform at random (reservoir sampling, one draw per tie).

#include <array>

#include "control/scheduler/placer.h"

namespace berth::scheduler::internal {

std::optional<Slot> Placer::ScanMin(absl::FunctionRef<void(SlotVisitor)> for_each, size_t from) {
  const std::vector<Strategy>& strategies = request_.strategies;
  size_t n = strategies.size() > from ? strategies.size() - from : 0;
  // Per-value counts for each spread(attribute) among the keys.
  std::array<absl::flat_hash_map<std::string, int64_t>, kMaxStrategies> counts;
  for (size_t i = 0; i < n; ++i) {
    if (strategies[from + i].kind == Strategy::Kind::kSpreadAttribute) {
      counts[i] = ValueCounts(strategies[from + i].attribute);
    }
  }
  std::optional<Slot> best;
  std::array<int64_t, kMaxStrategies> best_keys{};
  uint64_t ties = 0;
  for_each([&](Slot slot) {
    if (!Feasible(slot)) {
      return;
    }
    // Compare key by key; stop at the first that differs.
    int order = best.has_value() ? 0 : -1;
    std::array<int64_t, kMaxStrategies> keys{};
    for (size_t i = 0; i < n; ++i) {
      keys[i] = Key(slot, strategies[from + i], &counts[i]);
      if (order == 0) {
        if (keys[i] > best_keys[i]) {
          return;
        }
        if (keys[i] < best_keys[i]) {
          order = -1;
        }
      }
    }
    if (order < 0) {
      best = slot;
      best_keys = keys;
      ties = 1;
    } else if (rng_.Uniform(++ties) == 0) {
      best = slot;
    }
  });
  return best;
}

std::optional<Slot> Placer::Scan() {
  return ScanMin(
      [this](SlotVisitor visit) {
        for (Slot slot : state_.live) {
          visit(slot);
        }
      },
      0);
}

}  // namespace berth::scheduler::internal
