#include "control/api/ops/cluster_common.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "control/api/ecs_error.h"
#include "control/api/request_decoder.h"
#include "ecs/arn.h"
#include "io/absl_compat.h"

namespace berth::control::ops {
namespace {

boost::json::object KeyValue(std::string_view name, int64_t value) {
  return boost::json::object{{"name", name}, {"value", absl::StrCat(value)}};
}

}  // namespace

absl::StatusOr<std::string> ClusterNameOf(const state::Model& model,
                                          std::string_view identifier) {
  if (identifier.substr(0, 4) != "arn:") {
    return std::string(identifier);
  }
  absl::StatusOr<ecs::Arn> arn = ecs::ParseArn(identifier);
  if (!arn.ok() || arn->service != "ecs" || arn->kind != ecs::kArnKindCluster ||
      arn->resource.find('/') != std::string::npos) {
    return InvalidParameter(
        absl::StrCat("'", Excerpt(identifier, 128), "' is not a valid cluster ARN."));
  }
  if (arn->region != model.scope().region || arn->account != model.scope().account) {
    return ClusterNotFound();
  }
  return std::move(arn->resource);
}

absl::StatusOr<const ecs::Cluster*> FindActiveCluster(const state::Model& model,
                                                      std::string_view identifier) {
  absl::StatusOr<std::string> name = ClusterNameOf(model, identifier);
  if (!name.ok()) {
    return name.status();
  }
  const ecs::Cluster* cluster = model.clusters().Find(*name);
  if (cluster == nullptr || !cluster->active()) {
    return ClusterNotFound();
  }
  return cluster;
}

absl::StatusOr<const ecs::Cluster*> RequestCluster(const state::Model& model, const Args& args,
                                                   std::string_view key) {
  std::optional<std::string> identifier;
  if (absl::Status s = args.Get(key, &identifier); !s.ok()) {
    return s;
  }
  return FindActiveCluster(model,
                           identifier.has_value() ? *identifier : ecs::kDefaultClusterName);
}

unsigned ParseClusterField(std::string_view text) {
  if (text == "ATTACHMENTS") return kClusterAttachments;
  if (text == "CONFIGURATIONS") return kClusterConfigurations;
  if (text == "SETTINGS") return kClusterSettings;
  if (text == "STATISTICS") return kClusterStatistics;
  if (text == "TAGS") return kClusterTags;
  return 0;
}

boost::json::object ClusterToJson(const state::Model& model, const ecs::Cluster& cluster,
                                  unsigned fields) {
  const state::ClusterCounts& counts = model.clusters().counts(cluster.name);
  using state::ClusterCounts;
  using state::LaunchType;
  boost::json::object o;
  o["clusterArn"] = model.ClusterArn(cluster.name);
  o["clusterName"] = cluster.name;
  o["status"] = cluster.status;
  o["registeredContainerInstancesCount"] = counts.registered_instances;
  o["runningTasksCount"] = ClusterCounts::Sum(counts.running_tasks);
  o["pendingTasksCount"] = ClusterCounts::Sum(counts.pending_tasks);
  o["activeServicesCount"] = ClusterCounts::Sum(counts.active_services);
  boost::json::array statistics;
  if (fields & kClusterStatistics) {
    auto at = [](const auto& by_type, LaunchType t) { return by_type[static_cast<size_t>(t)]; };
    statistics = {
        KeyValue("runningEC2TasksCount", at(counts.running_tasks, LaunchType::kEc2)),
        KeyValue("runningFargateTasksCount", at(counts.running_tasks, LaunchType::kFargate)),
        KeyValue("pendingEC2TasksCount", at(counts.pending_tasks, LaunchType::kEc2)),
        KeyValue("pendingFargateTasksCount", at(counts.pending_tasks, LaunchType::kFargate)),
        KeyValue("activeEC2ServiceCount", at(counts.active_services, LaunchType::kEc2)),
        KeyValue("activeFargateServiceCount", at(counts.active_services, LaunchType::kFargate)),
        KeyValue("drainingEC2ServiceCount", at(counts.draining_services, LaunchType::kEc2)),
        KeyValue("drainingFargateServiceCount",
                 at(counts.draining_services, LaunchType::kFargate)),
    };
  }
  o["statistics"] = std::move(statistics);
  boost::json::array tags;
  if (fields & kClusterTags) {
    for (const ecs::Tag& tag : cluster.tags) {
      tags.push_back(boost::json::object{{"key", tag.key}, {"value", tag.value}});
    }
  }
  o["tags"] = std::move(tags);
  if (fields & kClusterSettings) {
    boost::json::array settings;
    for (const ecs::ClusterSetting& s : cluster.settings) {
      settings.push_back(boost::json::object{{"name", s.name}, {"value", s.value}});
    }
    o["settings"] = std::move(settings);
  }
  if ((fields & kClusterConfigurations) && cluster.configuration.has_value()) {
    o["configuration"] = *cluster.configuration;
  }
  o["capacityProviders"] = boost::json::array();
  o["defaultCapacityProviderStrategy"] = boost::json::array();
  if (fields & kClusterAttachments) {
    o["attachments"] = boost::json::array();
  }
  return o;
}

}  // namespace berth::control::ops
