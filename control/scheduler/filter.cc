#include "control/scheduler/filter.h"

#include <algorithm>
#include <utility>

#include "io/log.h"

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
