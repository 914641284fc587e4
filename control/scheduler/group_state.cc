#include "control/scheduler/group_state.h"

namespace berth::scheduler::internal {

void GroupState::AddIn(size_t partition, uint32_t value, int32_t delta) {
  if (partition >= per_partition.size()) {
    per_partition.resize(partition + 1);
  }
  std::vector<int32_t>& counts = per_partition[partition];
  if (value >= counts.size()) {
    counts.resize(value + 1, 0);
  }
  counts[value] += delta;
}

}  // namespace berth::scheduler::internal
