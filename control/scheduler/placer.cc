// Placer: the request's checks against one node, and the overlay of tasks
// placed so far in this request.

#include "control/scheduler/placer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "control/scheduler/node_subject.h"
#include "io/absl_compat.h"

namespace berth::scheduler::internal {
namespace {

// The key spread(attribute:X) uses for nodes without X (attribute values
// cannot contain NUL, so this never equals a real value).
constexpr std::string_view kAbsentKey("\0absent", 7);

std::string PortList(const std::vector<uint16_t>& ports) {
  return absl::StrJoin(ports, ", ");
}

}  // namespace

Placer::Placer(const SnapshotState& state, const PlacementRequest& request, io::Rng& rng)
    : state_(state), request_(request), rng_(rng) {
  group_ = state_.FindGroup(request_.group, &group_id_);
  for (const auto& e : request_.member_of) {
    (e->dependencies().tasks ? dynamic_ : static_).push_back(e.get());
  }
  filter_ = state_.FindFilter(request_.FilterKey());

  // The index search serves: [spread(attribute:X)] then [binpack |
  // spread(instanceId) | random | anything else within a tier], given the
  // filter, X's partition and the binpack order are built (Prepare()).
  const std::vector<Strategy>& strategies = request_.strategies;
  indexed_ = filter_ != nullptr;
  if (indexed_ && !strategies.empty() && strategies[0].kind == Strategy::Kind::kSpreadAttribute) {
    partition_ = state_.FindPartition(strategies[0].attribute);
    first_ = 1;
    indexed_ = partition_ >= 0;
  }
  if (indexed_ && first_ < strategies.size()) {
    Strategy::Kind kind = strategies[first_].kind;
    if (kind == Strategy::Kind::kBinpackCpu || kind == Strategy::Kind::kBinpackMemory) {
      order_ = filter_->FindOrder(
          partition_, kind == Strategy::Kind::kBinpackCpu ? Dimension::kCpu : Dimension::kMemory);
      indexed_ = order_ != nullptr;
    } else if (kind == Strategy::Kind::kSpreadInstance && group_ != nullptr) {
      levels_ = filter_->FindGroupLevels(partition_, group_id_);  // optional
    }
  }
}

std::optional<Slot> Placer::PlaceOne(SearchPath* path) {
  examined_ = 0;
  if (indexed_) {
    *path = SearchPath::kIndex;
    return IndexSearch();
  }
  *path = SearchPath::kScan;
  return Scan();
}

void Placer::Commit(Slot slot) {
  auto [it, inserted] = placed_.try_emplace(slot, 0);
  if (inserted) {
    touched_.push_back(slot);
  }
  ++it->second;
}

int32_t Placer::GroupOnNode(Slot slot) const {
  int32_t n = Placed(slot);
  if (group_ != nullptr) {
    n += state_.nodes[slot].GroupCount(group_id_);
  }
  return n;
}

bool Placer::Eligible(Slot slot) const {
  if (filter_ != nullptr) {
    return filter_->Ok(slot);
  }
  const Node& node = state_.nodes[slot];
  if (!node.Candidate() || !HoldsRequiredAttributes(node, request_.required_attributes, nullptr)) {
    return false;
  }
  if (static_.empty()) {
    return true;
  }
  NodeSubject subject(node, state_.groups);
  for (const query::Expression* e : static_) {
    if (!e->Evaluate(subject)) {
      return false;
    }
  }
  return true;
}

bool Placer::FitsResources(Slot slot) const {
  const Node& node = state_.nodes[slot];
  const TaskNeeds& needs = request_.needs;
  int32_t k = Placed(slot);
  if (node.RemainingCpu() - k * needs.cpu < needs.cpu ||
      node.RemainingMemory() - k * needs.memory < needs.memory) {
    return false;
  }
  if (k > 0 && (!needs.tcp_ports.empty() || !needs.udp_ports.empty())) {
    return false;  // the request's own static ports are taken there
  }
  for (uint16_t p : needs.tcp_ports) {
    if (node.reserved_tcp.Contains(p) || node.used_tcp.Contains(p)) {
      return false;
    }
  }
  for (uint16_t p : needs.udp_ports) {
    if (node.reserved_udp.Contains(p) || node.used_udp.Contains(p)) {
      return false;
    }
  }
  return true;
}

bool Placer::DynamicOk(Slot slot) const {
  if (request_.distinct_instance && GroupOnNode(slot) > 0) {
    return false;
  }
  if (dynamic_.empty()) {
    return true;
  }
  NodeSubject subject(state_.nodes[slot], state_.groups,
                      Placed(slot) > 0 ? std::string_view(request_.group) : std::string_view());
  for (const query::Expression* e : dynamic_) {
    if (!e->Evaluate(subject)) {
      return false;
    }
  }
  return true;
}

bool Placer::Feasible(Slot slot) const {
  ++examined_;
  return Eligible(slot) && FitsResources(slot) && DynamicOk(slot);
}

CheckResult Placer::Check(Slot slot) const {
  CheckResult r;
  const Node& node = state_.nodes[slot];
  const TaskNeeds& needs = request_.needs;
  auto fail = [&r](Rejection rejection, std::string detail) {
    r.failed |= 1u << static_cast<int>(rejection);
    r.lacks.push_back({rejection, std::move(detail)});
  };
  if (node.status != ecs::ContainerInstanceStatus::kActive) {
    fail(Rejection::kInactive, absl::StrCat("status is ", Absl(ecs::ToString(node.status))));
  }
  if (!node.agent_connected) {
    fail(Rejection::kAgent, "agent is disconnected");
  }
  std::string missing;
  if (!HoldsRequiredAttributes(node, request_.required_attributes, &missing)) {
    fail(Rejection::kAttribute, absl::StrCat("lacks attribute ", missing));
  }
  int32_t k = Placed(slot);
  int64_t cpu = node.RemainingCpu() - k * needs.cpu;
  if (cpu < needs.cpu) {
    fail(Rejection::kCpu, absl::StrCat("needs ", needs.cpu, " CPU units, ", cpu, " remaining"));
    r.shortfall_score += static_cast<double>(needs.cpu - cpu) / static_cast<double>(needs.cpu);
  }
  int64_t memory = node.RemainingMemory() - k * needs.memory;
  if (memory < needs.memory) {
    fail(Rejection::kMemory, absl::StrCat("needs ", needs.memory, " MiB, ", memory, " remaining"));
    r.shortfall_score +=
        static_cast<double>(needs.memory - memory) / static_cast<double>(needs.memory);
  }
  auto conflicts = [&](const std::vector<uint16_t>& wanted, const PortSet& reserved,
                       const PortSet& used) {
    std::vector<uint16_t> taken;
    for (uint16_t p : wanted) {
      if (k > 0 || reserved.Contains(p) || used.Contains(p)) {
        taken.push_back(p);
      }
    }
    return taken;
  };
  std::vector<uint16_t> tcp = conflicts(needs.tcp_ports, node.reserved_tcp, node.used_tcp);
  if (!tcp.empty()) {
    fail(Rejection::kPorts, absl::StrCat("tcp host ports taken: ", PortList(tcp)));
    r.shortfall_score += static_cast<double>(tcp.size());
  }
  std::vector<uint16_t> udp = conflicts(needs.udp_ports, node.reserved_udp, node.used_udp);
  if (!udp.empty()) {
    fail(Rejection::kPortsUdp, absl::StrCat("udp host ports taken: ", PortList(udp)));
    r.shortfall_score += static_cast<double>(udp.size());
  }
  NodeSubject subject(node, state_.groups, k > 0 ? std::string_view(request_.group) : "");
  r.member_of_failed.assign(request_.member_of.size(), false);
  for (size_t i = 0; i < request_.member_of.size(); ++i) {
    const query::Expression& e = *request_.member_of[i];
    if (!e.Evaluate(subject)) {
      r.member_of_failed[i] = true;
      if (!r.Failed(Rejection::kMemberOf)) {
        fail(Rejection::kMemberOf, absl::StrCat(Absl(e.text()), " is false"));
      } else {
        absl::StrAppend(&r.lacks.back().detail, "; ", Absl(e.text()), " is false");
      }
    }
  }
  if (request_.distinct_instance && GroupOnNode(slot) > 0) {
    fail(Rejection::kDistinctInstance,
         absl::StrCat("already runs a task of group ", request_.group));
  }
  return r;
}

absl::flat_hash_map<std::string, int64_t> Placer::ValueCounts(const std::string& attribute) const {
  absl::flat_hash_map<std::string, int64_t> counts;
  auto add = [&](Slot slot, int64_t n) {
    std::optional<std::string_view> v = state_.nodes[slot].Attribute(attribute);
    counts[std::string(v.has_value() ? *v : kAbsentKey)] += n;
  };
  if (group_ != nullptr) {
    for (const auto& [slot, n] : group_->per_node) {
      add(slot, n);
    }
  }
  for (Slot slot : touched_) {
    add(slot, Placed(slot));
  }
  return counts;
}

int64_t Placer::Key(Slot slot, const Strategy& strategy,
                    const absl::flat_hash_map<std::string, int64_t>* value_counts) const {
  const Node& node = state_.nodes[slot];
  switch (strategy.kind) {
    case Strategy::Kind::kRandom:
      return 0;
    case Strategy::Kind::kSpreadInstance:
      return GroupOnNode(slot);
    case Strategy::Kind::kSpreadAttribute: {
      std::optional<std::string_view> v = node.Attribute(strategy.attribute);
      auto it = value_counts->find(Absl(v.has_value() ? *v : kAbsentKey));
      return it == value_counts->end() ? 0 : it->second;
    }
    case Strategy::Kind::kBinpackCpu:
      return node.RemainingCpu() - Placed(slot) * request_.needs.cpu;
    case Strategy::Kind::kBinpackMemory:
      return node.RemainingMemory() - Placed(slot) * request_.needs.memory;
  }
  return 0;
}

}  // namespace berth::scheduler::internal
