#ifndef BERTH_CONTROL_SCHEDULER_GROUP_LEVELS_H_
#define BERTH_CONTROL_SCHEDULER_GROUP_LEVELS_H_

// A Filter's eligible instances by partition value and by how many tasks
// of one group they run, for spread(instanceId). Internal to
// control/scheduler.

#include <cstdint>
#include <vector>

#include "control/scheduler/node.h"

namespace berth::scheduler::internal {

// Eligible nodes by partition value and by how many tasks of one group
// they run, for spread(instanceId): the fewest-tasks nodes are a bucket.
class GroupLevels {
 public:
  GroupLevels(int partition, uint32_t group) : partition_(partition), group_(group) {}

  int partition() const { return partition_; }  // -1: none (value 0)
  uint32_t group() const { return group_; }
  // Nodes with `value` that run `level` tasks of the group.
  const std::vector<Slot>& At(uint32_t value, int32_t level) const;
  // Levels with a bucket for `value` (some may be empty).
  int32_t level_count(uint32_t value) const {
    return value < buckets_.size() ? static_cast<int32_t>(buckets_[value].size()) : 0;
  }

  void Add(Slot slot, uint32_t value, int32_t level);
  void Remove(Slot slot, uint32_t value, int32_t level);

 private:
  static std::vector<Slot> empty_;
  int partition_;
  uint32_t group_;
  std::vector<std::vector<std::vector<Slot>>> buckets_;  // [value][level]
  std::vector<uint32_t> position_;                       // slot -> index in its bucket
};

}  // namespace berth::scheduler::internal

#endif  // BERTH_CONTROL_SCHEDULER_GROUP_LEVELS_H_
