#ifndef BERTH_CONTROL_SCHEDULER_FILTER_H_
#define BERTH_CONTROL_SCHEDULER_FILTER_H_

// The static part of a request's filter (ACTIVE, agent connected,
// requiresAttributes, memberOf expressions that read no tasks), evaluated
// once per instance and kept current by the ClusterSnapshot, with the
// indexes over its eligible instances. Internal to control/scheduler.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "control/scheduler/group_levels.h"
#include "control/scheduler/node.h"
#include "control/scheduler/partition.h"
#include "control/scheduler/query/query.h"
#include "control/scheduler/resource_order.h"
#include "ecs/attribute.h"

namespace berth::scheduler::internal {

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

#endif  // BERTH_CONTROL_SCHEDULER_FILTER_H_
