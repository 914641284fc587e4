// Cluster operations (ECS API reference, the botocore model's shapes).

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "control/api/ecs_error.h"
#include "control/api/ops/cluster_common.h"
#include "control/api/ops/ops.h"
#include "control/api/ops/validate.h"
#include "control/api/paging.h"
#include "control/api/request_decoder.h"
#include "ecs/failure.h"
#include "io/status.h"

namespace berth::control::ops {
namespace {

constexpr size_t kMaxDescribeClusters = 100;

// Members berth cannot honour: no capacity providers, no Service Connect.
absl::Status RejectUnsupported(const Args& args) {
  std::optional<std::vector<std::string>> providers;
  RETURN_IF_ERROR(args.Get("capacityProviders", &providers));
  if (providers.has_value() && !providers->empty()) {
    return InvalidParameter(absl::StrCat("The specified capacity provider '",
                                         Excerpt(providers->front()),
                                         "' does not exist: berth has no capacity providers."));
  }
  const boost::json::value* strategy = args.object().if_contains("defaultCapacityProviderStrategy");
  if (strategy != nullptr && !strategy->is_null()) {
    const boost::json::array* list = strategy->if_array();
    if (list == nullptr) {
      return WrongType("defaultCapacityProviderStrategy", "a list", *strategy);
    }
    if (!list->empty()) {
      return InvalidParameter(
          "defaultCapacityProviderStrategy cannot be set: berth has no capacity providers.");
    }
  }
  const boost::json::object* connect = nullptr;
  RETURN_IF_ERROR(args.GetObject("serviceConnectDefaults", &connect));
  if (connect != nullptr) {
    return InvalidParameter(
        "serviceConnectDefaults cannot be set: berth does not support Service Connect.");
  }
  return absl::OkStatus();
}

// The `cluster` of Create/Update/DeleteCluster responses: what the caller set
// (tags, settings, configuration), as ECS answers them.
boost::json::object ClusterResponse(const state::Model& model, const ecs::Cluster& cluster) {
  return boost::json::object{
      {"cluster", ClusterToJson(model, cluster,
                                kClusterTags | kClusterSettings | kClusterConfigurations)}};
}

absl::StatusOr<boost::json::object> CreateCluster(OpContext& ctx, const Args& args) {
  std::optional<std::string> name;
  std::optional<std::vector<ecs::Tag>> tags;
  std::optional<std::vector<ecs::ClusterSetting>> settings;
  std::optional<boost::json::object> configuration;
  RETURN_IF_ERROR(args.Get("clusterName", &name));
  RETURN_IF_ERROR(ReadTags(args, "tags", &tags));
  RETURN_IF_ERROR(ReadClusterSettings(args, "settings", &settings));
  RETURN_IF_ERROR(ReadClusterConfiguration(args, "configuration", &configuration));
  RETURN_IF_ERROR(RejectUnsupported(args));
  std::string cluster_name = name.value_or(std::string(ecs::kDefaultClusterName));
  RETURN_IF_ERROR(ValidateClusterName(cluster_name));
  if (tags.has_value()) {
    RETURN_IF_ERROR(ValidateTags(*tags));
  }

  // Idempotent by name: an ACTIVE cluster is returned as it is.
  const ecs::Cluster* existing = ctx.model.clusters().Find(cluster_name);
  if (existing != nullptr && existing->active()) {
    return ClusterResponse(ctx.model, *existing);
  }
  ecs::Cluster cluster;
  cluster.name = cluster_name;
  cluster.tags = tags.value_or(std::vector<ecs::Tag>{});
  if (settings.has_value()) {
    cluster.settings = MergeSettings({}, *settings);
  } else {
    // The account's containerInsights setting applies when the request has none.
    state::AccountSetting insights = ctx.model.account_settings().Effective(
        ctx.principal, ecs::kSettingContainerInsights);
    cluster.settings = {{std::string(ecs::kSettingContainerInsights), insights.value}};
  }
  cluster.configuration = std::move(configuration);
  ctx.model.clusters().Put(cluster, ctx.changes);
  return ClusterResponse(ctx.model, cluster);
}

absl::StatusOr<boost::json::object> DescribeClusters(OpContext& ctx, const Args& args) {
  std::optional<std::vector<std::string>> identifiers, include;
  RETURN_IF_ERROR(args.Get("clusters", &identifiers));
  RETURN_IF_ERROR(args.Get("include", &include));
  if (!identifiers.has_value() || identifiers->empty()) {
    identifiers = std::vector<std::string>{std::string(ecs::kDefaultClusterName)};
  }
  if (identifiers->size() > kMaxDescribeClusters) {
    return InvalidParameter(absl::StrCat("clusters can have at most ", kMaxDescribeClusters,
                                         " items; the request has ", identifiers->size(), "."));
  }
  unsigned fields = 0;
  for (const std::string& field : include.value_or(std::vector<std::string>{})) {
    unsigned bit = ParseClusterField(field);
    if (bit == 0) {
      return InvalidParameter(absl::StrCat(
          "Invalid value '", Excerpt(field),
          "' in include. Valid values are ATTACHMENTS, CONFIGURATIONS, SETTINGS, STATISTICS "
          "and TAGS."));
    }
    fields |= bit;
  }
  boost::json::array clusters, failures;
  std::set<std::string> seen;
  for (const std::string& identifier : *identifiers) {
    absl::StatusOr<std::string> name = ClusterNameOf(ctx.model, identifier);
    const ecs::Cluster* cluster = name.ok() ? ctx.model.clusters().Find(*name) : nullptr;
    if (cluster == nullptr) {
      std::string arn = identifier.substr(0, 4) == "arn:" ? identifier
                                                          : ctx.model.ClusterArn(identifier);
      failures.push_back(boost::json::object{{"arn", arn}, {"reason", ecs::kReasonMissing}});
      continue;
    }
    if (seen.insert(cluster->name).second) {
      clusters.push_back(ClusterToJson(ctx.model, *cluster, fields));
    }
  }
  return boost::json::object{{"clusters", std::move(clusters)},
                             {"failures", std::move(failures)}};
}

absl::StatusOr<boost::json::object> ListClusters(OpContext& ctx, const Args& args) {
  ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(args, "ListClusters", kListPageLimits));
  const auto& entries = ctx.model.clusters().entries();
  boost::json::array arns;
  std::string last;
  auto it = page.has_token ? entries.upper_bound(page.after) : entries.begin();
  for (; it != entries.end(); ++it) {
    if (!it->second.cluster.active()) {
      continue;
    }
    if (arns.size() == static_cast<size_t>(page.max_results)) {
      break;
    }
    arns.push_back(boost::json::value(ctx.model.ClusterArn(it->first)));
    last = it->first;
  }
  boost::json::object out{{"clusterArns", std::move(arns)}};
  if (it != entries.end()) {
    out["nextToken"] = EncodeNextToken("ListClusters", last);
  }
  return out;
}

absl::StatusOr<boost::json::object> DeleteCluster(OpContext& ctx, const Args& args) {
  std::string identifier;
  RETURN_IF_ERROR(args.Require("cluster", &identifier));
  ASSIGN_OR_RETURN(const ecs::Cluster* found, FindActiveCluster(ctx.model, identifier));
  const state::ClusterCounts& counts = ctx.model.clusters().counts(found->name);
  if (counts.registered_instances > 0) {
    return EcsError(ecs_errors::kClusterContainsContainerInstances,
                    "The Cluster cannot be deleted while Container Instances are active or "
                    "draining.");
  }
  if (state::ClusterCounts::Sum(counts.active_services) +
          state::ClusterCounts::Sum(counts.draining_services) >
      0) {
    return EcsError(ecs_errors::kClusterContainsServices,
                    "The Cluster cannot be deleted while Services are active.");
  }
  if (counts.unstopped_tasks > 0) {
    return EcsError(ecs_errors::kClusterContainsTasks,
                    "The Cluster cannot be deleted while Tasks are active.");
  }
  ecs::Cluster cluster = *found;
  cluster.status = std::string(ecs::kClusterStatusInactive);
  cluster.tags.clear();  // a deleted resource's tags go with it
  ctx.model.clusters().Put(cluster, ctx.changes);
  return ClusterResponse(ctx.model, cluster);
}

// UpdateCluster and UpdateClusterSettings: settings (merged by name) and,
// for UpdateCluster, the configuration (replaced).
absl::StatusOr<boost::json::object> UpdateClusterCommon(OpContext& ctx, const Args& args,
                                                        bool settings_required,
                                                        bool takes_configuration) {
  std::string identifier;
  std::optional<std::vector<ecs::ClusterSetting>> settings;
  std::optional<boost::json::object> configuration;
  RETURN_IF_ERROR(args.Require("cluster", &identifier));
  RETURN_IF_ERROR(ReadClusterSettings(args, "settings", &settings));
  if (settings_required && !settings.has_value()) {
    return MissingParameter("settings");
  }
  if (takes_configuration) {
    RETURN_IF_ERROR(ReadClusterConfiguration(args, "configuration", &configuration));
    const boost::json::object* connect = nullptr;
    RETURN_IF_ERROR(args.GetObject("serviceConnectDefaults", &connect));
    if (connect != nullptr) {
      return InvalidParameter(
          "serviceConnectDefaults cannot be set: berth does not support Service Connect.");
    }
  }
  ASSIGN_OR_RETURN(const ecs::Cluster* found, FindActiveCluster(ctx.model, identifier));
  if (!settings.has_value() && !configuration.has_value()) {
    return ClusterResponse(ctx.model, *found);
  }
  ecs::Cluster cluster = *found;
  if (settings.has_value()) {
    cluster.settings = MergeSettings(std::move(cluster.settings), *settings);
  }
  if (configuration.has_value()) {
    cluster.configuration = std::move(configuration);
  }
  ctx.model.clusters().Put(cluster, ctx.changes);
  return ClusterResponse(ctx.model, cluster);
}

absl::StatusOr<boost::json::object> UpdateCluster(OpContext& ctx, const Args& args) {
  return UpdateClusterCommon(ctx, args, /*settings_required=*/false, /*takes_configuration=*/true);
}

absl::StatusOr<boost::json::object> UpdateClusterSettings(OpContext& ctx, const Args& args) {
  return UpdateClusterCommon(ctx, args, /*settings_required=*/true, /*takes_configuration=*/false);
}

}  // namespace

void RegisterClusterOperations(OperationRegistry& registry) {
  registry.Add("CreateCluster", &CreateCluster);
  registry.Add("DescribeClusters", &DescribeClusters);
  registry.Add("ListClusters", &ListClusters);
  registry.Add("DeleteCluster", &DeleteCluster);
  registry.Add("UpdateCluster", &UpdateCluster);
  registry.Add("UpdateClusterSettings", &UpdateClusterSettings);
}

}  // namespace berth::control::ops
