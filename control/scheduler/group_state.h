#ifndef BERTH_CONTROL_SCHEDULER_GROUP_STATE_H_
#define BERTH_CONTROL_SCHEDULER_GROUP_STATE_H_

// The tasks of one group per instance and per partition value, for spread
// and distinctInstance. Internal to control/scheduler.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "control/scheduler/node.h"

namespace berth::scheduler::internal {

struct GroupState {
  std::string name;
  int64_t total = 0;
  absl::flat_hash_map<Slot, int32_t> per_node;
  // [partition][value] -> tasks of the group on nodes with that value.
  std::vector<std::vector<int32_t>> per_partition;

  int32_t CountIn(size_t partition, uint32_t value) const {
    if (partition >= per_partition.size() || value >= per_partition[partition].size()) {
      return 0;
    }
    return per_partition[partition][value];
  }
  void AddIn(size_t partition, uint32_t value, int32_t delta);
};

}  // namespace berth::scheduler::internal

#endif  // BERTH_CONTROL_SCHEDULER_GROUP_STATE_H_
