#include "control/scheduler/group_levels.h"

#include "io/log.h"

namespace berth::scheduler::internal {

std::vector<Slot> GroupLevels::empty_;

const std::vector<Slot>& GroupLevels::At(uint32_t value, int32_t level) const {
  if (value >= buckets_.size() || level < 0 ||
      static_cast<size_t>(level) >= buckets_[value].size()) {
    return empty_;
  }
  return buckets_[value][level];
}

void GroupLevels::Add(Slot slot, uint32_t value, int32_t level) {
  if (value >= buckets_.size()) {
    buckets_.resize(value + 1);
  }
  if (static_cast<size_t>(level) >= buckets_[value].size()) {
    buckets_[value].resize(level + 1);
  }
  if (slot >= position_.size()) {
    position_.resize(slot + 1, 0);
  }
  std::vector<Slot>& bucket = buckets_[value][level];
  position_[slot] = static_cast<uint32_t>(bucket.size());
  bucket.push_back(slot);
}

void GroupLevels::Remove(Slot slot, uint32_t value, int32_t level) {
  CHECK(value < buckets_.size() && static_cast<size_t>(level) < buckets_[value].size())
      << "group levels lost slot " << slot;
  std::vector<Slot>& bucket = buckets_[value][level];
  uint32_t pos = position_[slot];
  CHECK(pos < bucket.size() && bucket[pos] == slot) << "group levels lost slot " << slot;
  bucket[pos] = bucket.back();
  position_[bucket[pos]] = pos;
  bucket.pop_back();
}

}  // namespace berth::scheduler::internal
