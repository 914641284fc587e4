// ClusterSnapshot: keeping the indexes (filter.h, partition.h, group_state.h)
// current.

#include <algorithm>

#include "control/scheduler/cluster_snapshot.h"
#include "control/scheduler/node_subject.h"
#include "io/absl_compat.h"
#include "io/log.h"

namespace berth::scheduler {

using internal::Dimension;
using internal::Filter;
using internal::GroupState;
using internal::Node;
using internal::Partition;

namespace {

// Bounds on what Prepare() builds; beyond them requests are scanned.
constexpr size_t kMaxFilters = 64;
constexpr size_t kMaxPartitions = 8;

}  // namespace

bool ClusterSnapshot::EvaluateFilter(const Filter& filter, const Node& node) const {
  if (!node.Candidate() || !internal::HoldsRequiredAttributes(node, filter.required(), nullptr)) {
    return false;
  }
  internal::NodeSubject subject(node, state_.groups);
  for (const auto& e : filter.expressions()) {
    if (!e->Evaluate(subject)) {
      return false;
    }
  }
  return true;
}

void ClusterSnapshot::Detach(Slot slot) {
  const Node& node = state_.nodes[slot];
  for (auto& [key, filter] : state_.filters) {
    if (filter->Ok(slot)) {
      filter->Remove(slot, node, state_.partitions);
    }
  }
  for (const auto& [group, count] : node.groups) {
    for (size_t p = 0; p < state_.partitions.size(); ++p) {
      state_.groups[group].AddIn(p, state_.partitions[p].ValueOf(slot), -count);
    }
  }
  for (Partition& partition : state_.partitions) {
    partition.Detach(slot);
  }
}

void ClusterSnapshot::Attach(Slot slot) {
  const Node& node = state_.nodes[slot];
  for (Partition& partition : state_.partitions) {
    partition.Attach(slot, node);
  }
  for (auto& [key, filter] : state_.filters) {
    if (EvaluateFilter(*filter, node)) {
      filter->Add(slot, node, state_.partitions);
    }
  }
  for (const auto& [group, count] : node.groups) {
    for (size_t p = 0; p < state_.partitions.size(); ++p) {
      state_.groups[group].AddIn(p, state_.partitions[p].ValueOf(slot), count);
    }
  }
}

uint32_t ClusterSnapshot::InternGroup(std::string_view name) {
  auto [it, inserted] =
      state_.group_ids.try_emplace(std::string(name), static_cast<uint32_t>(state_.groups.size()));
  if (inserted) {
    state_.groups.emplace_back();
    state_.groups.back().name = std::string(name);
  }
  return it->second;
}

void ClusterSnapshot::AccountTask(Slot slot, uint32_t group, const TaskNeeds& needs, int sign) {
  Node& node = state_.nodes[slot];
  int64_t old_cpu = node.RemainingCpu();
  int64_t old_memory = node.RemainingMemory();
  node.cpu_used += sign * needs.cpu;
  node.memory_used += sign * needs.memory;
  for (uint16_t p : needs.tcp_ports) {
    if (sign > 0) {
      node.used_tcp.Add(p);
    } else {
      node.used_tcp.Remove(p);
    }
  }
  for (uint16_t p : needs.udp_ports) {
    if (sign > 0) {
      node.used_udp.Add(p);
    } else {
      node.used_udp.Remove(p);
    }
  }
  auto it = std::lower_bound(node.groups.begin(), node.groups.end(), group,
                             [](const auto& g, uint32_t id) { return g.first < id; });
  if (it == node.groups.end() || it->first != group) {
    it = node.groups.insert(it, {group, 0});
  }
  int32_t old_count = it->second;
  it->second += sign;
  int32_t new_count = it->second;
  if (it->second == 0) {
    node.groups.erase(it);
  }
  GroupState& g = state_.groups[group];
  g.total += sign;
  int32_t& on_node = g.per_node[slot];
  on_node += sign;
  if (on_node == 0) {
    g.per_node.erase(slot);
  }
  for (size_t p = 0; p < state_.partitions.size(); ++p) {
    g.AddIn(p, state_.partitions[p].ValueOf(slot), sign);
  }
  for (auto& [key, filter] : state_.filters) {
    if (filter->Ok(slot)) {
      filter->Reorder(slot, node, state_.partitions, old_cpu, old_memory);
      filter->Regroup(slot, state_.partitions, group, old_count, new_count);
    }
  }
}

int ClusterSnapshot::EnsurePartition(const std::string& attribute) {
  int existing = state_.FindPartition(attribute);
  if (existing >= 0 || state_.partitions.size() >= kMaxPartitions) {
    return existing;
  }
  int p = static_cast<int>(state_.partitions.size());
  state_.partitions.emplace_back(attribute);
  Partition& partition = state_.partitions.back();
  for (Slot slot : state_.live) {
    partition.Attach(slot, state_.nodes[slot]);
  }
  for (auto& [key, filter] : state_.filters) {
    filter->AddPartition(p, state_.partitions);
  }
  for (GroupState& g : state_.groups) {
    for (const auto& [slot, count] : g.per_node) {
      g.AddIn(p, partition.ValueOf(slot), count);
    }
  }
  return p;
}

Filter* ClusterSnapshot::EnsureFilter(const PlacementRequest& request) {
  std::string key = request.FilterKey();
  auto it = state_.filters.find(key);
  if (it != state_.filters.end()) {
    it->second->last_used = prepare_clock_;
    return it->second.get();
  }
  if (state_.filters.size() >= kMaxFilters) {
    auto oldest = std::min_element(state_.filters.begin(), state_.filters.end(),
                                   [](const auto& a, const auto& b) {
                                     return a.second->last_used < b.second->last_used;
                                   });
    state_.filters.erase(oldest);
  }
  std::vector<std::shared_ptr<const query::Expression>> expressions;
  for (const auto& e : request.member_of) {
    if (!e->dependencies().tasks) {
      expressions.push_back(e);
    }
  }
  auto filter = std::make_unique<Filter>(key, request.required_attributes, std::move(expressions));
  filter->last_used = prepare_clock_;
  for (size_t p = 0; p < state_.partitions.size(); ++p) {
    filter->AddPartition(static_cast<int>(p), state_.partitions);
  }
  for (Slot slot : state_.live) {
    if (EvaluateFilter(*filter, state_.nodes[slot])) {
      filter->Add(slot, state_.nodes[slot], state_.partitions);
    }
  }
  Filter* raw = filter.get();
  state_.filters.emplace(std::move(key), std::move(filter));
  return raw;
}

void ClusterSnapshot::Prepare(const PlacementRequest& request) {
  ++prepare_clock_;
  const std::vector<Strategy>& strategies = request.strategies;
  size_t next = 0;
  int partition = -1;
  if (!strategies.empty() && strategies[0].kind == Strategy::Kind::kSpreadAttribute) {
    partition = EnsurePartition(strategies[0].attribute);
    next = 1;
  }
  // After the partition: a filter made now gets its buckets.
  Filter* filter = EnsureFilter(request);
  if (next == 1 && partition < 0) {
    return;  // too many partitions: this request is scanned
  }
  if (next < strategies.size()) {
    if (strategies[next].kind == Strategy::Kind::kBinpackCpu) {
      filter->AddOrder(partition, Dimension::kCpu, state_.nodes, state_.partitions);
    } else if (strategies[next].kind == Strategy::Kind::kBinpackMemory) {
      filter->AddOrder(partition, Dimension::kMemory, state_.nodes, state_.partitions);
    } else if (strategies[next].kind == Strategy::Kind::kSpreadInstance) {
      filter->AddGroupLevels(partition, InternGroup(request.group), state_.nodes,
                             state_.partitions);
    }
  }
}

}  // namespace berth::scheduler
