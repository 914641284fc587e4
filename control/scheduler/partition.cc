#include "control/scheduler/partition.h"

#include <utility>

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

}  // namespace berth::scheduler::internal
