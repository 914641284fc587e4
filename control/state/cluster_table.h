#ifndef BERTH_CONTROL_STATE_CLUSTER_TABLE_H_
#define BERTH_CONTROL_STATE_CLUSTER_TABLE_H_

// Clusters by name (ordered, for ListClusters paging), with the counts
// DescribeClusters reports and DeleteCluster checks. A cluster's ARN is a
// function of its name and the ArnScope, so the ARN index is a parse
// (Model::ClusterNameFromArn).

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "control/state/change_set.h"
#include "ecs/cluster.h"

namespace berth::control::state {

// The model's LaunchType enum, as an index into the per-type counts.
enum class LaunchType { kEc2 = 0, kFargate = 1, kExternal = 2 };
inline constexpr size_t kLaunchTypes = 3;

// Counts per cluster. Not stored: the tables of container instances, tasks
// and services keep them current as their records change (and rebuild them
// at start-up), through ClusterTable::MutableCounts.
struct ClusterCounts {
  int64_t registered_instances = 0;  // ACTIVE and DRAINING container instances
  std::array<int64_t, kLaunchTypes> running_tasks{};  // lastStatus RUNNING
  std::array<int64_t, kLaunchTypes> pending_tasks{};  // lastStatus PENDING
  int64_t unstopped_tasks = 0;  // any task not yet STOPPED (DeleteCluster)
  std::array<int64_t, kLaunchTypes> active_services{};
  std::array<int64_t, kLaunchTypes> draining_services{};

  static int64_t Sum(const std::array<int64_t, kLaunchTypes>& by_type) {
    return by_type[0] + by_type[1] + by_type[2];
  }
};

class ClusterTable {
 public:
  static constexpr std::string_view kTable = "clusters";

  struct Entry {
    ecs::Cluster cluster;
    ClusterCounts counts;
  };
  using Map = std::map<std::string, Entry, std::less<>>;

  // nullptr when no cluster (ACTIVE or INACTIVE) has this name.
  const ecs::Cluster* Find(std::string_view name) const;
  // Counts of a cluster name; all zero for an unknown name.
  const ClusterCounts& counts(std::string_view name) const;
  // For the tables that own the counted resources. Creates the entry's counts
  // even before the cluster exists (records load in table order).
  ClusterCounts& MutableCounts(std::string_view name);

  // Inserts or replaces the cluster and records the write.
  void Put(ecs::Cluster cluster, ChangeSet& changes);

  // All clusters, in name (byte) order, INACTIVE ones included.
  const Map& entries() const { return by_name_; }
  size_t active_count() const { return active_; }

  // Start-up: one stored record.
  absl::Status Load(std::string_view key, std::string_view value);

 private:
  void Insert(ecs::Cluster cluster);

  Map by_name_;
  // Counts for names that have no cluster record (yet): kept apart so that
  // entries() lists real clusters only.
  std::map<std::string, ClusterCounts, std::less<>> orphan_counts_;
  size_t active_ = 0;
};

}  // namespace berth::control::state

#endif  // BERTH_CONTROL_STATE_CLUSTER_TABLE_H_
