// ClusterSnapshot: keeping the indexes (indexes.h) current.

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
using internal::ResourceOrder;

namespace {

// Bounds on what Prepare() builds; beyond them requests are scanned.
constexpr size_t kMaxFilters = 64;
constexpr size_t kMaxPartitions = 8;

int64_t Remaining(const Node& node, Dimension d) {
  return d == Dimension::kCpu ? node.RemainingCpu() : node.RemainingMemory();
}

uint32_t ValueIn(const internal::SnapshotState& s, int partition, internal::Slot slot) {
  return partition < 0 ? 0 : s.partitions[partition].ValueOf(slot);
}

void AddEligible(Filter& f, size_t partition, uint32_t value, int32_t delta) {
  if (partition >= f.per_partition.size()) {
    f.per_partition.resize(partition + 1);
  }
  if (value >= f.per_partition[partition].size()) {
    f.per_partition[partition].resize(value + 1, 0);
  }
  f.per_partition[partition][value] += delta;
}

}  // namespace

bool ClusterSnapshot::EvaluateFilter(const Filter& filter, const Node& node) const {
  if (!node.Candidate() || !internal::HoldsRequiredAttributes(node, filter.required, nullptr)) {
    return false;
  }
  internal::NodeSubject subject(node, state_.groups);
  for (const auto& e : filter.expressions) {
    if (!e->Evaluate(subject)) {
      return false;
    }
  }
  return true;
}

void ClusterSnapshot::Detach(Slot slot) {
  const Node& node = state_.nodes[slot];
  for (ResourceOrder& order : state_.orders) {
    order.Erase({ValueIn(state_, order.partition(), slot), Remaining(node, order.dimension()), slot});
  }
  for (auto& [key, filter] : state_.filters) {
    if (filter->Ok(slot)) {
      filter->ok[slot] = 0;
      --filter->eligible;
      for (size_t p = 0; p < state_.partitions.size(); ++p) {
        AddEligible(*filter, p, state_.partitions[p].ValueOf(slot), -1);
      }
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
  for (ResourceOrder& order : state_.orders) {
    order.Insert({ValueIn(state_, order.partition(), slot), Remaining(node, order.dimension()), slot});
  }
  for (auto& [key, filter] : state_.filters) {
    if (filter->ok.size() <= slot) {
      filter->ok.resize(state_.nodes.size(), 0);
    }
    if (EvaluateFilter(*filter, node)) {
      filter->ok[slot] = 1;
      ++filter->eligible;
      for (size_t p = 0; p < state_.partitions.size(); ++p) {
        AddEligible(*filter, p, state_.partitions[p].ValueOf(slot), +1);
      }
    }
  }
  for (const auto& [group, count] : node.groups) {
    for (size_t p = 0; p < state_.partitions.size(); ++p) {
      state_.groups[group].AddIn(p, state_.partitions[p].ValueOf(slot), count);
    }
  }
}

void ClusterSnapshot::Reorder(Slot slot, int64_t old_cpu, int64_t old_memory) {
  const Node& node = state_.nodes[slot];
  for (ResourceOrder& order : state_.orders) {
    uint32_t value = ValueIn(state_, order.partition(), slot);
    int64_t before = order.dimension() == Dimension::kCpu ? node.cpu_registered - old_cpu
                                                          : node.memory_registered - old_memory;
    int64_t after = Remaining(node, order.dimension());
    if (before != after) {
      order.Move({value, before, slot}, {value, after, slot});
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
  int64_t old_cpu = node.cpu_used;
  int64_t old_memory = node.memory_used;
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
  it->second += sign;
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
  Reorder(slot, old_cpu, old_memory);
}

int ClusterSnapshot::EnsurePartition(const std::string& attribute) {
  int existing = state_.FindPartition(attribute);
  if (existing >= 0 || state_.partitions.size() >= kMaxPartitions) {
    return existing;
  }
  size_t p = state_.partitions.size();
  state_.partitions.emplace_back(attribute);
  Partition& partition = state_.partitions.back();
  for (Slot slot : state_.live) {
    partition.Attach(slot, state_.nodes[slot]);
  }
  for (auto& [key, filter] : state_.filters) {
    for (Slot slot : state_.live) {
      if (filter->Ok(slot)) {
        AddEligible(*filter, p, partition.ValueOf(slot), +1);
      }
    }
  }
  for (GroupState& g : state_.groups) {
    for (const auto& [slot, count] : g.per_node) {
      g.AddIn(p, partition.ValueOf(slot), count);
    }
  }
  return static_cast<int>(p);
}

void ClusterSnapshot::EnsureOrder(int partition, Dimension dimension) {
  if (state_.FindOrder(partition, dimension) != nullptr) {
    return;
  }
  ResourceOrder order(partition, dimension);
  std::vector<ResourceOrder::Key> keys;
  keys.reserve(state_.live.size());
  for (Slot slot : state_.live) {
    keys.push_back({ValueIn(state_, partition, slot), Remaining(state_.nodes[slot], dimension), slot});
  }
  std::sort(keys.begin(), keys.end());
  for (const ResourceOrder::Key& k : keys) {
    order.Insert(k);  // already sorted: appends
  }
  state_.orders.push_back(std::move(order));
}

void ClusterSnapshot::Prepare(const PlacementRequest& request) {
  ++prepare_clock_;
  std::string key = request.FilterKey();
  auto it = state_.filters.find(key);
  if (it != state_.filters.end()) {
    it->second->last_used = prepare_clock_;
  } else {
    if (state_.filters.size() >= kMaxFilters) {
      auto oldest = std::min_element(state_.filters.begin(), state_.filters.end(),
                                     [](const auto& a, const auto& b) {
                                       return a.second->last_used < b.second->last_used;
                                     });
      state_.filters.erase(oldest);
    }
    auto filter = std::make_unique<Filter>();
    filter->key = key;
    filter->required = request.required_attributes;
    for (const auto& e : request.member_of) {
      if (!e->dependencies().tasks) {
        filter->expressions.push_back(e);
      }
    }
    filter->ok.assign(state_.nodes.size(), 0);
    filter->last_used = prepare_clock_;
    for (Slot slot : state_.live) {
      if (EvaluateFilter(*filter, state_.nodes[slot])) {
        filter->ok[slot] = 1;
        ++filter->eligible;
        for (size_t p = 0; p < state_.partitions.size(); ++p) {
          AddEligible(*filter, p, state_.partitions[p].ValueOf(slot), +1);
        }
      }
    }
    state_.filters.emplace(std::move(key), std::move(filter));
  }

  const std::vector<Strategy>& strategies = request.strategies;
  size_t next = 0;
  int partition = -1;
  if (!strategies.empty() && strategies[0].kind == Strategy::Kind::kSpreadAttribute) {
    partition = EnsurePartition(strategies[0].attribute);
    if (partition < 0) {
      return;
    }
    next = 1;
  }
  if (next < strategies.size()) {
    if (strategies[next].kind == Strategy::Kind::kBinpackCpu) {
      EnsureOrder(partition, Dimension::kCpu);
    } else if (strategies[next].kind == Strategy::Kind::kBinpackMemory) {
      EnsureOrder(partition, Dimension::kMemory);
    }
  }
}

}  // namespace berth::scheduler
