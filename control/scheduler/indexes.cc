#include "control/scheduler/indexes.h"

#include <algorithm>

#include "io/log.h"

namespace berth::scheduler::internal {

Partition::Partition(std::string attribute) : attribute_(std::move(attribute)) {
  values_.emplace_back();  // kAbsentValue
  members_.emplace_back();
}

void Partition::Attach(Slot slot, const Node& node) {
  uint32_t id = kAbsentValue;
  if (std::optional<std::string_view> v = node.Attribute(attribute_); v.has_value()) {
    auto [it, inserted] = ids_.try_emplace(std::string(*v), static_cast<uint32_t>(values_.size()));
    if (inserted) {
      values_.emplace_back(*v);
      members_.emplace_back();
    }
    id = it->second;
  }
  if (slot >= value_of_.size()) {
    value_of_.resize(slot + 1, kAbsentValue);
    position_.resize(slot + 1, 0);
  }
  value_of_[slot] = id;
  position_[slot] = static_cast<uint32_t>(members_[id].size());
  members_[id].push_back(slot);
}

void Partition::Detach(Slot slot) {
  uint32_t id = value_of_[slot];
  std::vector<Slot>& m = members_[id];
  uint32_t pos = position_[slot];
  CHECK(pos < m.size() && m[pos] == slot) << "partition " << attribute_ << " lost slot " << slot;
  m[pos] = m.back();
  position_[m[pos]] = pos;
  m.pop_back();
}

void ResourceOrder::Insert(const Key& key) {
  keys_.insert(std::lower_bound(keys_.begin(), keys_.end(), key), key);
}

void ResourceOrder::Erase(const Key& key) {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
  CHECK(it != keys_.end() && *it == key) << "resource order lost slot " << key.slot;
  keys_.erase(it);
}

void ResourceOrder::Move(const Key& from, const Key& to) {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), from);
  CHECK(it != keys_.end() && *it == from) << "resource order lost slot " << from.slot;
  if (to < from) {
    // Entries in [target, it) shift up by one.
    auto target = std::lower_bound(keys_.begin(), it, to);
    std::move_backward(target, it, it + 1);
    *target = to;
  } else {
    // Entries in (it, target) shift down by one.
    auto target = std::lower_bound(it + 1, keys_.end(), to);
    std::move(it + 1, target, it);
    *(target - 1) = to;
  }
}

size_t ResourceOrder::LowerBound(const Key& key) const {
  return static_cast<size_t>(std::lower_bound(keys_.begin(), keys_.end(), key) - keys_.begin());
}

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
