// Placer: the index search.
//
// 1. A leading spread(attribute:X) orders X's values by the group's task
//    count there (plus this request's placements); values with equal counts
//    form a tier, tiers are tried in order, and values with no eligible
//    instance are skipped without looking at them.
// 2. Within a tier, the next strategy picks the search:
//    - binpack(cpu|memory): walk the resource order from the first instance
//      with enough of it; the first feasible one has the least remaining;
//      then break its ties;
//    - spread(instanceId) as the last rule: with the filter's GroupLevels
//      for the group, go up the levels (instances running 0, 1, 2, ...
//      tasks of the group) and probe each; without them, probe for a
//      feasible instance without a task of the group (0 is the minimum);
//    - random or nothing: probe random instances for a feasible one;
//    - anything else: enumerate the tier (ScanMin).
//    Probing is rejection sampling, so the pick is uniform among the
//    acceptable instances; after kProbes misses the tier is enumerated.
// Everything here reads the request's Filter: its buckets and orders hold
// only the instances that pass the static checks.

#include <algorithm>
#include <limits>

#include "control/scheduler/placer.h"
#include "io/log.h"

namespace berth::scheduler::internal {
namespace {

constexpr int kProbes = 32;

}  // namespace

void Placer::ForEachMember(const std::vector<uint32_t>& values, SlotVisitor fn) const {
  for (uint32_t v : values) {
    for (Slot slot : filter_->Members(partition_, v)) {
      fn(slot);
    }
  }
}

size_t Placer::MemberCount(const std::vector<uint32_t>& values) const {
  size_t n = 0;
  for (uint32_t v : values) {
    n += filter_->Members(partition_, v).size();
  }
  return n;
}

Slot Placer::MemberAt(const std::vector<uint32_t>& values, size_t index) const {
  for (uint32_t v : values) {
    const std::vector<Slot>& m = filter_->Members(partition_, v);
    if (index < m.size()) {
      return m[index];
    }
    index -= m.size();
  }
  CHECK(false) << "member index out of range";
  return 0;
}

bool Placer::InValues(Slot slot, const std::vector<uint32_t>& values) const {
  if (partition_ < 0) {
    return true;
  }
  uint32_t v = state_.partitions[partition_].ValueOf(slot);
  return std::find(values.begin(), values.end(), v) != values.end();
}

std::optional<Slot> Placer::IndexSearch() {
  if (partition_ < 0) {
    return SearchTier({0}, first_);
  }
  const Partition& partition = state_.partitions[partition_];
  struct Value {
    int64_t count;
    uint32_t value;
  };
  std::vector<Value> values;
  for (uint32_t v = 0; v < partition.value_count(); ++v) {
    if (filter_->Members(partition_, v).empty()) {
      continue;
    }
    values.push_back({group_ != nullptr ? group_->CountIn(partition_, v) : 0, v});
  }
  for (Slot slot : touched_) {
    uint32_t v = partition.ValueOf(slot);
    for (Value& value : values) {
      if (value.value == v) {
        value.count += Placed(slot);
      }
    }
  }
  std::sort(values.begin(), values.end(), [](const Value& a, const Value& b) {
    return a.count != b.count ? a.count < b.count : a.value < b.value;
  });
  std::vector<uint32_t> tier;
  for (size_t i = 0; i < values.size();) {
    tier.clear();
    size_t j = i;
    while (j < values.size() && values[j].count == values[i].count) {
      tier.push_back(values[j].value);
      ++j;
    }
    if (std::optional<Slot> slot = SearchTier(tier, first_); slot.has_value()) {
      return slot;
    }
    i = j;
  }
  return std::nullopt;
}

std::optional<Slot> Placer::SearchTier(const std::vector<uint32_t>& values, size_t next) {
  const std::vector<Strategy>& strategies = request_.strategies;
  auto members = [&](SlotVisitor visit) { ForEachMember(values, visit); };
  if (next >= strategies.size() || strategies[next].kind == Strategy::Kind::kRandom) {
    return Probe(values, false);
  }
  bool last = next + 1 >= strategies.size() || strategies[next + 1].kind == Strategy::Kind::kRandom;
  switch (strategies[next].kind) {
    case Strategy::Kind::kBinpackCpu:
    case Strategy::Kind::kBinpackMemory:
      if (next == first_ && order_ != nullptr) {
        return BinpackWalk(values, order_->dimension(), next + 1);
      }
      return ScanMin(members, next);
    case Strategy::Kind::kSpreadInstance:
      if (last && next == first_ && levels_ != nullptr) {
        return SpreadByLevels(values);
      }
      if (last) {
        return Probe(values, true);
      }
      return ScanMin(members, next);
    default:
      return ScanMin(members, next);
  }
}

std::optional<Slot> Placer::Probe(const std::vector<uint32_t>& values, bool need_empty_of_group) {
  // Members are all eligible: a probe misses only on resources, ports or
  // the constraints that read tasks.
  size_t total = MemberCount(values);
  if (total == 0) {
    return std::nullopt;
  }
  for (int i = 0; i < kProbes; ++i) {
    Slot slot = MemberAt(values, rng_.Uniform(total));
    if (Feasible(slot) && (!need_empty_of_group || GroupOnNode(slot) == 0)) {
      return slot;
    }
  }
  size_t from = request_.strategies.size();
  if (need_empty_of_group) {
    // The spread(instanceId) rule and what follows it.
    from = first_;
    while (from < request_.strategies.size() &&
           request_.strategies[from].kind != Strategy::Kind::kSpreadInstance) {
      ++from;
    }
  }
  return ScanMin([&](SlotVisitor visit) { ForEachMember(values, visit); }, from);
}

std::optional<Slot> Placer::SpreadByLevels(const std::vector<uint32_t>& values) {
  // This request's nodes sit at stale levels: skip them there and take
  // their true counts here.
  constexpr int32_t kNone = std::numeric_limits<int32_t>::max();
  int32_t touched_min = kNone;
  for (Slot slot : touched_) {
    if (InValues(slot, values) && Feasible(slot)) {
      touched_min = std::min(touched_min, GroupOnNode(slot));
    }
  }
  int32_t levels = 0;
  for (uint32_t v : values) {
    levels = std::max(levels, levels_->level_count(v));
  }
  auto level_members = [&](int32_t level, SlotVisitor visit) {
    for (uint32_t v : values) {
      for (Slot slot : levels_->At(v, level)) {
        if (Placed(slot) == 0) {
          visit(slot);
        }
      }
    }
    if (level == touched_min) {
      for (Slot slot : touched_) {
        if (InValues(slot, values) && GroupOnNode(slot) == level) {
          visit(slot);
        }
      }
    }
  };
  const size_t uniform = request_.strategies.size();  // no keys: uniform among feasible
  const int32_t last = touched_min == kNone ? levels - 1 : std::max(levels - 1, touched_min);
  for (int32_t level = 0; level <= last; ++level) {
    if (level >= levels) {
      level = touched_min;  // only the touched nodes are above the index
    }
    if (level != touched_min) {
      size_t total = 0;
      for (uint32_t v : values) {
        total += levels_->At(v, level).size();
      }
      if (total == 0) {
        continue;
      }
      for (int i = 0; i < kProbes; ++i) {
        size_t index = rng_.Uniform(total);
        Slot slot = 0;
        for (uint32_t v : values) {
          const std::vector<Slot>& bucket = levels_->At(v, level);
          if (index < bucket.size()) {
            slot = bucket[index];
            break;
          }
          index -= bucket.size();
        }
        if (Placed(slot) == 0 && Feasible(slot)) {
          return slot;
        }
      }
    }
    std::optional<Slot> slot =
        ScanMin([&](SlotVisitor visit) { level_members(level, visit); }, uniform);
    if (slot.has_value()) {
      return slot;
    }
  }
  return std::nullopt;
}

std::optional<Slot> Placer::BinpackWalk(const std::vector<uint32_t>& values, Dimension dimension,
                                        size_t next) {
  const std::vector<ResourceOrder::Key>& keys = order_->keys();
  const TaskNeeds& needs = request_.needs;
  int64_t need = dimension == Dimension::kCpu ? needs.cpu : needs.memory;
  auto remaining = [&](Slot slot) {
    const Node& node = state_.nodes[slot];
    return dimension == Dimension::kCpu ? node.RemainingCpu() - Placed(slot) * needs.cpu
                                        : node.RemainingMemory() - Placed(slot) * needs.memory;
  };
  constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  int64_t best = kNone;
  for (uint32_t v : values) {
    for (size_t i = order_->LowerBound({v, need, 0}); i < keys.size() && keys[i].value == v; ++i) {
      if (keys[i].remaining > best) {
        break;
      }
      // Nodes this request touched are out of place in the order.
      Slot slot = keys[i].slot;
      if (Placed(slot) == 0 && Feasible(slot)) {
        best = keys[i].remaining;
        break;
      }
    }
  }
  // A touched node at `best` (or below it) takes part in the tie set.
  bool touched_tie = false;
  for (Slot slot : touched_) {
    if (!InValues(slot, values)) {
      continue;
    }
    int64_t r = remaining(slot);
    if (r <= best && Feasible(slot)) {
      touched_tie = true;
      best = r;
    }
  }
  if (best == kNone) {
    return std::nullopt;
  }
  // The tie set: untouched entries with `best` remaining, plus touched nodes
  // with `best` remaining.
  struct Range {
    size_t begin;
    size_t end;
  };
  std::vector<Range> ranges;
  size_t total = 0;
  for (uint32_t v : values) {
    Range r{order_->LowerBound({v, best, 0}), order_->LowerBound({v, best + 1, 0})};
    if (r.end > r.begin) {
      ranges.push_back(r);
      total += r.end - r.begin;
    }
  }
  auto tie_set = [&](SlotVisitor visit) {
    for (const Range& r : ranges) {
      for (size_t i = r.begin; i < r.end; ++i) {
        if (Placed(keys[i].slot) == 0) {
          visit(keys[i].slot);
        }
      }
    }
    for (Slot slot : touched_) {
      if (InValues(slot, values) && remaining(slot) == best) {
        visit(slot);
      }
    }
  };
  bool more_rules =
      next < request_.strategies.size() && request_.strategies[next].kind != Strategy::Kind::kRandom;
  if (!more_rules && !touched_tie && total > 0) {
    for (int i = 0; i < kProbes; ++i) {
      size_t index = rng_.Uniform(total);
      const Range* r = ranges.data();
      while (index >= r->end - r->begin) {
        index -= r->end - r->begin;
        ++r;
      }
      Slot slot = keys[r->begin + index].slot;
      if (Placed(slot) == 0 && Feasible(slot)) {
        return slot;
      }
    }
  }
  return ScanMin(tie_set, next);
}

}  // namespace berth::scheduler::internal
