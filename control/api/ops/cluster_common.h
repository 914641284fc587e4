#ifndef BERTH_CONTROL_API_OPS_CLUSTER_COMMON_H_
#define BERTH_CONTROL_API_OPS_CLUSTER_COMMON_H_

// Finding the cluster a request names and writing a cluster as the API shows
// it. Every cluster-scoped operation (RunTask, ListTasks, CreateService, ...)
// resolves its `cluster` member with RequestCluster().

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "boost/json/object.hpp"
#include "control/api/args.h"
#include "control/state/model.h"
#include "ecs/cluster.h"

namespace berth::control::ops {

// The cluster name a "name or ARN" identifier refers to. A text starting
// with "arn:" must be an ECS cluster ARN (else InvalidParameterException);
// one of another region or account names no cluster here
// (ClusterNotFoundException).
absl::StatusOr<std::string> ClusterNameOf(const state::Model& model,
                                          std::string_view identifier);

// The ACTIVE cluster `identifier` names; ClusterNotFoundException ("Cluster
// not found.") when there is none or it is INACTIVE.
absl::StatusOr<const ecs::Cluster*> FindActiveCluster(const state::Model& model,
                                                      std::string_view identifier);

// The ACTIVE cluster named by the optional member `key` of the request,
// "default" when absent (as ECS does for RunTask, ListTasks, ...).
absl::StatusOr<const ecs::Cluster*> RequestCluster(const state::Model& model, const Args& args,
                                                   std::string_view key = "cluster");

// Which optional parts of a Cluster to write (DescribeClusters `include`).
enum ClusterField : unsigned {
  kClusterAttachments = 1u << 0,
  kClusterConfigurations = 1u << 1,
  kClusterSettings = 1u << 2,
  kClusterStatistics = 1u << 3,
  kClusterTags = 1u << 4,
  kClusterAllFields = 0x1f,
};
// Parses one ClusterField enum value ("STATISTICS", ...); 0 if unknown.
unsigned ParseClusterField(std::string_view text);

// The API's Cluster: ARN, name, status and the counts always; statistics and
// tags as empty lists unless asked for (as ECS writes them); settings,
// configuration and attachments only when asked for.
boost::json::object ClusterToJson(const state::Model& model, const ecs::Cluster& cluster,
                                  unsigned fields);

}  // namespace berth::control::ops

#endif  // BERTH_CONTROL_API_OPS_CLUSTER_COMMON_H_
