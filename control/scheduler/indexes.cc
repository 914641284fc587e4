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

namespace berth::scheduler::internal {
namespace {

int64_t RemainingOf(const Node& node, Dimension d) {
  return d == Dimension::kCpu ? node.RemainingCpu() : node.RemainingMemory();
}

uint32_t ValueIn(const std::vector<Partition>& partitions, int partition, Slot slot) {
  return partition < 0 ? 0 : partitions[partition].ValueOf(slot);
}

}  // namespace

std::vector<Slot> Filter::empty_;
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

Filter::Filter(std::string key, std::vector<ecs::Attribute> required,
               std::vector<std::shared_ptr<const query::Expression>> expressions)
    : key_(std::move(key)), required_(std::move(required)), expressions_(std::move(expressions)) {
  buckets_.resize(1);
  buckets_[0].resize(1);
  position_.resize(1);
}

const std::vector<Slot>& Filter::Members(int partition, uint32_t value) const {
  size_t level = static_cast<size_t>(partition + 1);
  if (level >= buckets_.size() || value >= buckets_[level].size()) {
    return empty_;
  }
  return buckets_[level][value];
}

const ResourceOrder* Filter::FindOrder(int partition, Dimension dimension) const {
  for (const ResourceOrder& o : orders_) {
    if (o.partition() == partition && o.dimension() == dimension) {
      return &o;
    }
  }
  return nullptr;
}

void Filter::Add(Slot slot, const Node& node, const std::vector<Partition>& partitions) {
  if (slot >= ok_.size()) {
    ok_.resize(slot + 1, 0);
  }
  CHECK(!ok_[slot]) << "filter added slot " << slot << " twice";
  ok_[slot] = 1;
  for (size_t level = 0; level < buckets_.size(); ++level) {
    uint32_t value = ValueIn(partitions, static_cast<int>(level) - 1, slot);
    if (value >= buckets_[level].size()) {
      buckets_[level].resize(value + 1);
    }
    if (slot >= position_[level].size()) {
      position_[level].resize(slot + 1, 0);
    }
    position_[level][slot] = static_cast<uint32_t>(buckets_[level][value].size());
    buckets_[level][value].push_back(slot);
  }
  for (ResourceOrder& order : orders_) {
    order.Insert({ValueIn(partitions, order.partition(), slot),
                  RemainingOf(node, order.dimension()), slot});
  }
  for (GroupLevels& levels : group_levels_) {
    levels.Add(slot, ValueIn(partitions, levels.partition(), slot),
               node.GroupCount(levels.group()));
  }
}

void Filter::Remove(Slot slot, const Node& node, const std::vector<Partition>& partitions) {
  CHECK(Ok(slot)) << "filter lost slot " << slot;
  ok_[slot] = 0;
  for (size_t level = 0; level < buckets_.size(); ++level) {
    std::vector<Slot>& bucket =
        buckets_[level][ValueIn(partitions, static_cast<int>(level) - 1, slot)];
    uint32_t pos = position_[level][slot];
    CHECK(pos < bucket.size() && bucket[pos] == slot) << "filter bucket lost slot " << slot;
    bucket[pos] = bucket.back();
    position_[level][bucket[pos]] = pos;
    bucket.pop_back();
  }
  for (ResourceOrder& order : orders_) {
    order.Erase({ValueIn(partitions, order.partition(), slot),
                 RemainingOf(node, order.dimension()), slot});
  }
  for (GroupLevels& levels : group_levels_) {
    levels.Remove(slot, ValueIn(partitions, levels.partition(), slot),
                  node.GroupCount(levels.group()));
  }
}

void Filter::Regroup(Slot slot, const std::vector<Partition>& partitions, uint32_t group,
                     int32_t from, int32_t to) {
  for (GroupLevels& levels : group_levels_) {
    if (levels.group() == group) {
      uint32_t value = ValueIn(partitions, levels.partition(), slot);
      levels.Remove(slot, value, from);
      levels.Add(slot, value, to);
    }
  }
}

const GroupLevels* Filter::FindGroupLevels(int partition, uint32_t group) const {
  for (const GroupLevels& levels : group_levels_) {
    if (levels.partition() == partition && levels.group() == group) {
      return &levels;
    }
  }
  return nullptr;
}

bool Filter::AddGroupLevels(int partition, uint32_t group, const std::vector<Node>& nodes,
                            const std::vector<Partition>& partitions) {
  constexpr size_t kMaxGroupLevels = 64;
  if (FindGroupLevels(partition, group) != nullptr) {
    return true;
  }
  if (group_levels_.size() >= kMaxGroupLevels) {
    return false;
  }
  GroupLevels levels(partition, group);
  for (Slot slot : buckets_[0][0]) {
    levels.Add(slot, ValueIn(partitions, partition, slot), nodes[slot].GroupCount(group));
  }
  group_levels_.push_back(std::move(levels));
  return true;
}

void Filter::Reorder(Slot slot, const Node& node, const std::vector<Partition>& partitions,
                     int64_t old_cpu_remaining, int64_t old_memory_remaining) {
  for (ResourceOrder& order : orders_) {
    uint32_t value = ValueIn(partitions, order.partition(), slot);
    int64_t before =
        order.dimension() == Dimension::kCpu ? old_cpu_remaining : old_memory_remaining;
    int64_t after = RemainingOf(node, order.dimension());
    if (before != after) {
      order.Move({value, before, slot}, {value, after, slot});
    }
  }
}

void Filter::AddPartition(int partition, const std::vector<Partition>& partitions) {
  size_t level = static_cast<size_t>(partition + 1);
  CHECK_EQ(level, buckets_.size());
  buckets_.emplace_back();
  position_.emplace_back();
  for (Slot slot : buckets_[0][0]) {
    uint32_t value = partitions[partition].ValueOf(slot);
    if (value >= buckets_[level].size()) {
      buckets_[level].resize(value + 1);
    }
    if (slot >= position_[level].size()) {
      position_[level].resize(slot + 1, 0);
    }
    position_[level][slot] = static_cast<uint32_t>(buckets_[level][value].size());
    buckets_[level][value].push_back(slot);
  }
}

void Filter::AddOrder(int partition, Dimension dimension, const std::vector<Node>& nodes,
                      const std::vector<Partition>& partitions) {
  if (FindOrder(partition, dimension) != nullptr) {
    return;
  }
  std::vector<ResourceOrder::Key> keys;
  keys.reserve(buckets_[0][0].size());
  for (Slot slot : buckets_[0][0]) {
    keys.push_back({ValueIn(partitions, partition, slot), RemainingOf(nodes[slot], dimension), slot});
  }
  std::sort(keys.begin(), keys.end());
  orders_.emplace_back(partition, dimension, std::move(keys));
}

}  // namespace berth::scheduler::internal
