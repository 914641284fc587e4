#ifndef BERTH_CONTROL_SCHEDULER_INDEXES_H_
#define BERTH_CONTROL_SCHEDULER_INDEXES_H_

// The incremental indexes a ClusterSnapshot keeps so Place() need not scan
// every instance (internal to control/scheduler; docs/scheduler.md explains
// them):
//  - Partition: instances bucketed by the value of one attribute
//    (ecs.availability-zone, ...), for spread(attribute:X);
//  - ResourceOrder: instances ordered by (partition value, remaining cpu or
//    memory), for binpack; each belongs to a Filter and holds its eligible
//    instances only;
//  - GroupState: tasks of one group per instance and per partition value,
//    for spread and distinctInstance;
//  - GroupLevels: a Filter's eligible instances by how many tasks of one
//    group they run, for spread(instanceId);
//  - Filter: the static part of a request's filter (ACTIVE, agent
//    connected, requiresAttributes, memberOf expressions that read no
//    tasks) evaluated once per instance and kept up to date, with its
//    eligible instances bucketed by partition value and, per dimension,
//    ordered by (partition value, remaining amount).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "control/scheduler/node.h"
#include "control/scheduler/query/query.h"
#include "ecs/attribute.h"

namespace berth::scheduler::internal {

// Value id 0 of every partition: the attribute is absent.
inline constexpr uint32_t kAbsentValue = 0;

class Partition {
 public:
  explicit Partition(std::string attribute);

  const std::string& attribute() const { return attribute_; }
  uint32_t value_count() const { return static_cast<uint32_t>(values_.size()); }
  const std::string& value_name(uint32_t value) const { return values_[value]; }
  uint32_t ValueOf(Slot slot) const { return slot < value_of_.size() ? value_of_[slot] : 0; }
  const std::vector<Slot>& members(uint32_t value) const { return members_[value]; }

  // Adds / removes a live node under its current attribute value.
  void Attach(Slot slot, const Node& node);
  void Detach(Slot slot);

 private:
  std::string attribute_;
  absl::flat_hash_map<std::string, uint32_t> ids_;
  std::vector<std::string> values_;          // id -> value ("" for absent)
  std::vector<std::vector<Slot>> members_;   // id -> slots
  std::vector<uint32_t> value_of_;           // slot -> id
  std::vector<uint32_t> position_;           // slot -> index in members_[id]
};

enum class Dimension { kCpu, kMemory };

// Keys (partition value, remaining amount, slot), sorted. With no partition
// every node has value 0.
class ResourceOrder {
 public:
  struct Key {
    uint32_t value;
    int64_t remaining;
    Slot slot;
    friend bool operator<(const Key& a, const Key& b) {
      if (a.value != b.value) {
        return a.value < b.value;
      }
      if (a.remaining != b.remaining) {
        return a.remaining < b.remaining;
      }
      return a.slot < b.slot;
    }
    friend bool operator==(const Key&, const Key&) = default;
  };

  // `keys` must be sorted.
  ResourceOrder(int partition, Dimension dimension, std::vector<Key> keys)
      : partition_(partition), dimension_(dimension), keys_(std::move(keys)) {}

  int partition() const { return partition_; }  // -1: none
  Dimension dimension() const { return dimension_; }
  const std::vector<Key>& keys() const { return keys_; }

  void Insert(const Key& key);
  void Erase(const Key& key);
  // Moves `from` to `to`, shifting only the entries between them.
  void Move(const Key& from, const Key& to);
  // Index of the first key not less than `key`.
  size_t LowerBound(const Key& key) const;

 private:
  int partition_;
  Dimension dimension_;
  std::vector<Key> keys_;
};

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

// The static part of a request's filter, evaluated once per node and kept
// current, with the eligible nodes bucketed by partition value and ordered
// by remaining resources: the index search only ever looks at eligible
// nodes.
class Filter {
 public:
  Filter(std::string key, std::vector<ecs::Attribute> required,
         std::vector<std::shared_ptr<const query::Expression>> expressions);

  const std::string& key() const { return key_; }
  const std::vector<ecs::Attribute>& required() const { return required_; }
  const std::vector<std::shared_ptr<const query::Expression>>& expressions() const {
    return expressions_;
  }
  bool Ok(Slot slot) const { return slot < ok_.size() && ok_[slot] != 0; }
  int64_t eligible() const { return static_cast<int64_t>(buckets_[0][0].size()); }
  // Eligible nodes with `value` in `partition` (-1: all eligible nodes).
  const std::vector<Slot>& Members(int partition, uint32_t value) const;
  const ResourceOrder* FindOrder(int partition, Dimension dimension) const;
  const GroupLevels* FindGroupLevels(int partition, uint32_t group) const;

  // Adds / removes an eligible node; `partitions` must be attached.
  void Add(Slot slot, const Node& node, const std::vector<Partition>& partitions);
  void Remove(Slot slot, const Node& node, const std::vector<Partition>& partitions);
  // Moves an eligible node's keys after its remaining resources changed
  // from (old_cpu, old_memory).
  void Reorder(Slot slot, const Node& node, const std::vector<Partition>& partitions,
               int64_t old_cpu_remaining, int64_t old_memory_remaining);
  // An eligible node's count of tasks of `group` went from `from` to `to`.
  void Regroup(Slot slot, const std::vector<Partition>& partitions, uint32_t group, int32_t from,
               int32_t to);
  // Index structures for a partition / an order / group levels created
  // after the filter. AddGroupLevels returns false at the limit.
  void AddPartition(int partition, const std::vector<Partition>& partitions);
  void AddOrder(int partition, Dimension dimension, const std::vector<Node>& nodes,
                const std::vector<Partition>& partitions);
  bool AddGroupLevels(int partition, uint32_t group, const std::vector<Node>& nodes,
                      const std::vector<Partition>& partitions);

  uint64_t last_used = 0;

 private:
  static std::vector<Slot> empty_;
  std::string key_;
  std::vector<ecs::Attribute> required_;
  std::vector<std::shared_ptr<const query::Expression>> expressions_;
  std::vector<uint8_t> ok_;  // per slot
  // buckets_[0][0]: all eligible nodes; buckets_[p + 1][v]: those with
  // value v of partition p. position_[level][slot]: index in its bucket.
  std::vector<std::vector<std::vector<Slot>>> buckets_;
  std::vector<std::vector<uint32_t>> position_;
  std::vector<ResourceOrder> orders_;
  std::vector<GroupLevels> group_levels_;
};

}  // namespace berth::scheduler::internal

#endif  // BERTH_CONTROL_SCHEDULER_INDEXES_H_
