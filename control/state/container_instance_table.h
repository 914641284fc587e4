#ifndef BERTH_CONTROL_STATE_CONTAINER_INSTANCE_TABLE_H_
#define BERTH_CONTROL_STATE_CONTAINER_INSTANCE_TABLE_H_

// Container instances by "<cluster>/<id>" (ordered, so one cluster's
// instances are a contiguous range for ListContainerInstances paging), with
// an index by id (ids are unique across clusters). Deregistered instances
// stay, INACTIVE. The table keeps ClusterCounts::registered_instances
// (ACTIVE and DRAINING instances) current through
// ClusterTable::MutableCounts, on every Put and Load.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "control/state/change_set.h"
#include "control/state/cluster_table.h"
#include "ecs/container_instance.h"
#include "ecs/tag.h"

namespace berth::control::state {

class Schedulers;

// One instance, the cluster it is registered to, and its tags
// (ContainerInstance keeps unmodelled members in `other`; tags live here).
struct ContainerInstanceEntry {
  std::string cluster;
  std::string id;  // 32 hex digits, the last part of the ARN
  ecs::ContainerInstance instance;
  std::vector<ecs::Tag> tags;

  // ACTIVE or DRAINING: counted, and blocks DeleteCluster.
  bool registered() const {
    return instance.status == ecs::ContainerInstanceStatus::kActive ||
           instance.status == ecs::ContainerInstanceStatus::kDraining;
  }
  friend bool operator==(const ContainerInstanceEntry&, const ContainerInstanceEntry&) = default;
};

class ContainerInstanceTable {
 public:
  static constexpr std::string_view kTable = "container_instances";
  using Map = std::map<std::string, ContainerInstanceEntry, std::less<>>;

  // `schedulers` may be nullptr (no scheduler view to keep current).
  ContainerInstanceTable(ClusterTable& clusters, Schedulers* schedulers)
      : clusters_(&clusters), schedulers_(schedulers) {}

  // "<cluster>/<id>", the record key.
  static std::string Key(std::string_view cluster, std::string_view id);

  // nullptr when no instance (of any status) has this id.
  const ContainerInstanceEntry* FindById(std::string_view id) const;
  // nullptr unless the instance with this id is registered to `cluster`.
  const ContainerInstanceEntry* Find(std::string_view cluster, std::string_view id) const;

  // Inserts or replaces the instance and records the write.
  void Put(ContainerInstanceEntry entry, ChangeSet& changes);

  // The agent's connection (AgentChannel's connection callback). In memory
  // only: not a stored change. Unknown ids are ignored.
  void SetAgentConnected(std::string_view id, bool connected);

  // All instances, in key order (so grouped by cluster).
  const Map& entries() const { return by_key_; }

  // Start-up: one stored record.
  absl::Status Load(std::string_view key, std::string_view value);

 private:
  void Insert(ContainerInstanceEntry entry);

  ClusterTable* clusters_;
  Schedulers* schedulers_;
  Map by_key_;
  std::map<std::string, std::string, std::less<>> key_by_id_;
};

}  // namespace berth::control::state

#endif  // BERTH_CONTROL_STATE_CONTAINER_INSTANCE_TABLE_H_
