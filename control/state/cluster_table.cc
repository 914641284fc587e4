#include "control/state/cluster_table.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "control/state/records.h"
#include "io/absl_compat.h"

namespace berth::control::state {
namespace {
const ClusterCounts kZeroCounts;
}  // namespace

const ecs::Cluster* ClusterTable::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second.cluster;
}

const ClusterCounts& ClusterTable::counts(std::string_view name) const {
  if (auto it = by_name_.find(name); it != by_name_.end()) {
    return it->second.counts;
  }
  if (auto it = orphan_counts_.find(name); it != orphan_counts_.end()) {
    return it->second;
  }
  return kZeroCounts;
}

ClusterCounts& ClusterTable::MutableCounts(std::string_view name) {
  if (auto it = by_name_.find(name); it != by_name_.end()) {
    return it->second.counts;
  }
  return orphan_counts_[std::string(name)];
}

void ClusterTable::Insert(ecs::Cluster cluster) {
  auto it = by_name_.find(cluster.name);
  if (it == by_name_.end()) {
    Entry entry;
    if (auto orphan = orphan_counts_.find(cluster.name); orphan != orphan_counts_.end()) {
      entry.counts = orphan->second;
      orphan_counts_.erase(orphan);
    }
    std::string name = cluster.name;
    entry.cluster = std::move(cluster);
    it = by_name_.emplace(std::move(name), std::move(entry)).first;
  } else {
    if (it->second.cluster.active()) {
      --active_;
    }
    it->second.cluster = std::move(cluster);
  }
  if (it->second.cluster.active()) {
    ++active_;
  }
}

void ClusterTable::Put(ecs::Cluster cluster, ChangeSet& changes) {
  changes.Put(kTable, cluster.name, EncodeCluster(cluster));
  Insert(std::move(cluster));
}

absl::Status ClusterTable::Load(std::string_view key, std::string_view value) {
  absl::StatusOr<ecs::Cluster> cluster = DecodeCluster(value);
  if (!cluster.ok()) {
    return cluster.status();
  }
  if (cluster->name != key) {
    return absl::DataLossError(
        absl::StrCat("the record names cluster '", cluster->name, "', not its key"));
  }
  Insert(*std::move(cluster));
  return absl::OkStatus();
}

}  // namespace berth::control::state
