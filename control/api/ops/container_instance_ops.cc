// Container instance operations (ECS API reference; reference §3). The agent
// registers its node with RegisterContainerInstance; users describe, list
// (with the cluster query language), drain and deregister instances.

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "control/api/agent_dispatch.h"
#include "control/api/ecs_error.h"
#include "control/api/ops/cluster_common.h"
#include "control/api/ops/container_instance_common.h"
#include "control/api/ops/ops.h"
#include "control/api/ops/task_common.h"
#include "control/api/ops/validate.h"
#include "control/api/paging.h"
#include "control/api/request_decoder.h"
#include "control/scheduler/node_subject.h"
#include "control/scheduler/query/query.h"
#include "ecs/arn.h"
#include "ecs/container_instance_json.h"
#include "ecs/failure.h"
#include "ecs/json_text.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control::ops {
namespace {

namespace query = ::berth::scheduler::query;

constexpr size_t kMaxDescribeInstances = 100;
constexpr size_t kMaxUpdateStateInstances = 10;

// Fills ec2InstanceId and the ecs.* attributes ECS derives from an EC2
// instance identity document, when the document has them.
void ApplyIdentityDocument(std::string_view document, ecs::ContainerInstance& instance) {
  absl::StatusOr<boost::json::value> json = ecs::ParseJson(document);
  if (!json.ok() || !json->is_object()) {
    return;
  }
  const boost::json::object& o = json->get_object();
  auto text = [&o](std::string_view key) -> std::optional<std::string> {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) {
      return std::nullopt;
    }
    return std::string(v->get_string());
  };
  if (std::optional<std::string> id = text("instanceId")) {
    instance.ec2_instance_id = *id;
  }
  auto add = [&instance](std::string_view name, std::optional<std::string> value) {
    if (value.has_value() && instance.FindAttribute(name) == nullptr) {
      instance.attributes.push_back({std::string(name), std::move(value), std::nullopt,
                                     std::nullopt});
    }
  };
  add("ecs.instance-type", text("instanceType"));
  add("ecs.availability-zone", text("availabilityZone"));
  add("ecs.ami-id", text("imageId"));
}

absl::Status ValidateResources(const std::vector<ecs::Resource>& resources) {
  for (const ecs::Resource& r : resources) {
    if (r.name.empty()) {
      return InvalidParameter("totalResources: every resource must have a name.");
    }
    if (r.type != "INTEGER" && r.type != "LONG" && r.type != "DOUBLE" &&
        r.type != "STRINGSET") {
      return InvalidParameter(absl::StrCat("totalResources: resource '", Excerpt(r.name),
                                           "' has type '", Excerpt(r.type),
                                           "'; valid types are INTEGER, LONG, DOUBLE and "
                                           "STRINGSET."));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<boost::json::object> RegisterContainerInstance(OpContext& ctx, const Args& args) {
  std::optional<std::string> arn, document, signature;
  std::optional<std::vector<ecs::Resource>> resources;
  std::optional<std::vector<ecs::Attribute>> attributes;
  std::optional<std::vector<ecs::Tag>> tags;
  const boost::json::object* version_info = nullptr;
  RETURN_IF_ERROR(args.Get("containerInstanceArn", &arn));
  RETURN_IF_ERROR(args.Get("instanceIdentityDocument", &document));
  RETURN_IF_ERROR(args.Get("instanceIdentityDocumentSignature", &signature));
  RETURN_IF_ERROR(ReadCodecList<ecs::Resource>(args, "totalResources", &ecs::ResourceFromJson,
                                               &resources));
  RETURN_IF_ERROR(ReadCodecList<ecs::Attribute>(args, "attributes", &ecs::AttributeFromJson,
                                                &attributes));
  RETURN_IF_ERROR(args.GetObject("versionInfo", &version_info));
  RETURN_IF_ERROR(ReadTags(args, "tags", &tags));
  if (tags.has_value()) {
    RETURN_IF_ERROR(ValidateTags(*tags));
  }
  if (resources.has_value()) {
    RETURN_IF_ERROR(ValidateResources(*resources));
  }
  std::optional<ecs::VersionInfo> version;
  if (version_info != nullptr) {
    absl::StatusOr<ecs::VersionInfo> decoded =
        ecs::VersionInfoFromJson(boost::json::value(*version_info), args.Path("versionInfo"));
    if (!decoded.ok()) {
      return InvalidParameter(Std(decoded.status().message()));
    }
    version = *std::move(decoded);
  }
  if (attributes.has_value()) {
    RETURN_IF_ERROR(ValidateAttributes(*attributes, /*custom=*/false));
  }
  ASSIGN_OR_RETURN(const ecs::Cluster* cluster, RequestCluster(ctx.model, args));

  state::ContainerInstanceEntry entry;
  if (arn.has_value()) {
    // Re-registration keeps the instance's identity (the agent stores its ARN).
    const state::ContainerInstanceEntry* existing =
        ctx.model.container_instances().Find(cluster->name, ecs::IdOfArnOrId(*arn));
    if (existing == nullptr) {
      return ClientError(absl::StrCat("Container instance '", Excerpt(*arn),
                                      "' is not registered to cluster '", cluster->name,
                                      "'."));
    }
    entry = *existing;
    entry.instance.version = entry.instance.version.value_or(0) + 1;
  } else {
    entry.cluster = cluster->name;
    entry.id = ecs::NewResourceId(ctx.rng);
    entry.instance.container_instance_arn = ctx.model.ContainerInstanceArn(entry.cluster, entry.id);
    entry.instance.version = 1;
  }
  entry.instance.registered_resources = resources.value_or(std::vector<ecs::Resource>{});
  entry.instance.remaining_resources = entry.instance.registered_resources;
  // A re-registration replaces the agent's attributes (its capabilities may
  // have changed) and keeps the custom ones it does not name: Amazon's agent
  // sends ECS_INSTANCE_ATTRIBUTES only at the first registration, and those
  // added with PutAttributes must survive an agent restart.
  std::vector<ecs::Attribute> kept;
  if (arn.has_value()) {
    for (ecs::Attribute& a : entry.instance.attributes) {
      if (IsBuiltInAttribute(a.name)) continue;
      bool named = false;
      for (const ecs::Attribute& n : attributes.value_or(std::vector<ecs::Attribute>{})) {
        named = named || n.name == a.name;
      }
      if (!named) kept.push_back(std::move(a));
    }
  }
  entry.instance.attributes = attributes.value_or(std::vector<ecs::Attribute>{});
  for (ecs::Attribute& a : kept) {
    entry.instance.attributes.push_back(std::move(a));
  }
  if (document.has_value()) {
    ApplyIdentityDocument(*document, entry.instance);
  }
  entry.instance.version_info = std::move(version);
  entry.instance.status = ecs::ContainerInstanceStatus::kActive;
  entry.instance.status_reason.reset();
  entry.instance.agent_connected = true;
  entry.instance.registered_at = ctx.now;
  if (tags.has_value()) {
    entry.tags = *std::move(tags);
  }
  boost::json::object out{{"containerInstance", ContainerInstanceToJson(ctx.model, entry, false)}};
  std::string registered_arn = entry.instance.container_instance_arn;
  ctx.model.container_instances().Put(std::move(entry), ctx.changes);
  if (ctx.agents != nullptr) {
    ctx.agents->InstanceRegistered(ctx, registered_arn);
  }
  return out;
}

absl::StatusOr<boost::json::object> DescribeContainerInstances(OpContext& ctx, const Args& args) {
  std::vector<std::string> identifiers;
  std::optional<std::vector<std::string>> include;
  RETURN_IF_ERROR(args.Require("containerInstances", &identifiers));
  RETURN_IF_ERROR(args.Get("include", &include));
  if (identifiers.empty() || identifiers.size() > kMaxDescribeInstances) {
    return InvalidParameter(absl::StrCat("containerInstances must have 1 to ",
                                         kMaxDescribeInstances, " items; the request has ",
                                         identifiers.size(), "."));
  }
  bool with_tags = false;
  for (const std::string& field : include.value_or(std::vector<std::string>{})) {
    if (field == "TAGS") {
      with_tags = true;
    } else if (field != "CONTAINER_INSTANCE_HEALTH") {
      return InvalidParameter(absl::StrCat("Invalid value '", Excerpt(field),
                                           "' in include. Valid values are TAGS and "
                                           "CONTAINER_INSTANCE_HEALTH."));
    }
  }
  ASSIGN_OR_RETURN(const ecs::Cluster* cluster, RequestCluster(ctx.model, args));
  boost::json::array instances, failures;
  std::set<std::string> seen;
  for (const std::string& identifier : identifiers) {
    const state::ContainerInstanceEntry* entry =
        FindInstance(ctx.model, cluster->name, identifier);
    if (entry == nullptr) {
      failures.push_back(boost::json::object{
          {"arn", InstanceArnOf(ctx.model, cluster->name, identifier)},
          {"reason", ecs::kReasonMissing}});
      continue;
    }
    if (seen.insert(entry->id).second) {
      instances.push_back(ContainerInstanceToJson(ctx.model, *entry, with_tags));
    }
  }
  return boost::json::object{{"containerInstances", std::move(instances)},
                             {"failures", std::move(failures)}};
}

// The query language's view of one instance.
class InstanceSubject : public query::Subject {
 public:
  explicit InstanceSubject(const ecs::ContainerInstance& instance) : instance_(instance) {}
  bool AgentConnected() const override { return instance_.agent_connected; }
  std::string_view AgentVersion() const override {
    if (!instance_.version_info.has_value() ||
        !instance_.version_info->agent_version.has_value()) {
      return "";
    }
    return *instance_.version_info->agent_version;
  }
  std::string_view Ec2InstanceId() const override { return instance_.ec2_instance_id; }
  absl::Time RegisteredAt() const override {
    return instance_.registered_at.value_or(absl::InfinitePast());
  }
  int64_t RunningTasksCount() const override { return instance_.running_tasks_count; }
  std::optional<std::string_view> Attribute(std::string_view name) const override {
    const ecs::Attribute* attribute = instance_.FindAttribute(name);
    if (attribute == nullptr) {
      return std::nullopt;
    }
    return attribute->value.has_value() ? std::string_view(*attribute->value)
                                        : std::string_view();
  }
  void ForEachTaskGroup(absl::FunctionRef<bool(std::string_view)>) const override {}

 private:
  const ecs::ContainerInstance& instance_;
};

// A registered instance is evaluated as the scheduler sees it (its task
// groups and running count included); a deregistered one from its record.
bool Matches(const query::Expression& expression, const scheduler::ClusterSnapshot* snapshot,
             const ecs::ContainerInstance& instance) {
  scheduler::internal::Slot slot;
  if (snapshot != nullptr && snapshot->state().Lookup(instance.container_instance_arn, &slot)) {
    return expression.Evaluate(scheduler::internal::NodeSubject(snapshot->state().nodes[slot],
                                                                snapshot->state().groups));
  }
  return expression.Evaluate(InstanceSubject(instance));
}

absl::StatusOr<boost::json::object> ListContainerInstances(OpContext& ctx, const Args& args) {
  std::optional<std::string> filter, status_text;
  RETURN_IF_ERROR(args.Get("filter", &filter));
  RETURN_IF_ERROR(args.Get("status", &status_text));
  ASSIGN_OR_RETURN(PageRequest page,
                   ReadPageRequest(args, "ListContainerInstances", kListPageLimits));
  std::optional<ecs::ContainerInstanceStatus> status;
  if (status_text.has_value()) {
    status = ecs::ParseContainerInstanceStatus(*status_text);
    if (!status.has_value()) {
      return InvalidParameter(absl::StrCat("Invalid status '", Excerpt(*status_text),
                                           "'. Valid values are ",
                                           Absl(ecs::kContainerInstanceStatusValues), "."));
    }
  }
  std::shared_ptr<const query::Expression> expression;
  if (filter.has_value() && !filter->empty()) {
    absl::StatusOr<std::shared_ptr<const query::Expression>> parsed = query::ParseCached(*filter);
    if (!parsed.ok()) {
      return InvalidParameter(absl::StrCat("filter: ", parsed.status().message()));
    }
    expression = *std::move(parsed);
  }
  ASSIGN_OR_RETURN(const ecs::Cluster* cluster, RequestCluster(ctx.model, args));
  const auto& entries = ctx.model.container_instances().entries();
  const scheduler::ClusterSnapshot* snapshot = ctx.model.schedulers().Find(cluster->name);
  std::string prefix = absl::StrCat(cluster->name, "/");
  boost::json::array arns;
  std::string last;
  // A token of another cluster's list must not start before this cluster.
  auto it = page.has_token && page.after > prefix ? entries.upper_bound(page.after)
                                                   : entries.lower_bound(prefix);
  bool more = false;
  for (; it != entries.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    const ecs::ContainerInstance& instance = it->second.instance;
    bool wanted = status.has_value()
                      ? instance.status == *status
                      : instance.status != ecs::ContainerInstanceStatus::kInactive;
    if (!wanted || (expression && !Matches(*expression, snapshot, instance))) {
      continue;
    }
    if (arns.size() == static_cast<size_t>(page.max_results)) {
      more = true;
      break;
    }
    arns.push_back(boost::json::value(instance.container_instance_arn));
    last = it->first;
  }
  boost::json::object out{{"containerInstanceArns", std::move(arns)}};
  if (more) {
    out["nextToken"] = EncodeNextToken("ListContainerInstances", last);
  }
  return out;
}

absl::StatusOr<boost::json::object> DeregisterContainerInstance(OpContext& ctx,
                                                                const Args& args) {
  std::string identifier;
  std::optional<bool> force;
  RETURN_IF_ERROR(args.Require("containerInstance", &identifier));
  RETURN_IF_ERROR(args.Get("force", &force));
  ASSIGN_OR_RETURN(const ecs::Cluster* cluster, RequestCluster(ctx.model, args));
  const state::ContainerInstanceEntry* found = FindInstance(ctx.model, cluster->name, identifier);
  if (found == nullptr || !found->registered()) {
    return InvalidParameter("Container instance not found.");
  }
  ecs::ContainerInstance usage = WithUsage(ctx.model, *found);
  if (!force.value_or(false) && usage.running_tasks_count + usage.pending_tasks_count > 0) {
    return InvalidParameter(
        "Found running tasks on the instance. Stop the tasks or use force to deregister the "
        "container instance.");
  }
  // Forced: nothing will report for the instance's tasks any more, so they
  // stop here and release what they held (ECS leaves them orphaned).
  std::vector<state::TaskEntry> orphans;
  std::string task_prefix = absl::StrCat(cluster->name, "/");
  for (auto t = ctx.model.tasks().entries().lower_bound(task_prefix);
       t != ctx.model.tasks().entries().end() &&
       t->first.compare(0, task_prefix.size(), task_prefix) == 0;
       ++t) {
    if (t->second.container_instance_id == found->id &&
        t->second.last_status != state::TaskStatus::kStopped) {
      orphans.push_back(t->second);
    }
  }
  for (state::TaskEntry& task : orphans) {
    MarkStopped(task, ctx.now, "", "Container instance deregistered");
    RETURN_IF_ERROR(ctx.model.tasks().Put(std::move(task), ctx.changes));
  }
  state::ContainerInstanceEntry entry = *found;
  entry.instance.status = ecs::ContainerInstanceStatus::kInactive;
  entry.instance.agent_connected = false;
  boost::json::object out{{"containerInstance", ContainerInstanceToJson(ctx.model, entry, false)}};
  std::string deregistered_arn = entry.instance.container_instance_arn;
  ctx.model.container_instances().Put(std::move(entry), ctx.changes);
  if (ctx.agents != nullptr) {
    ctx.agents->InstanceDeregistered(ctx, deregistered_arn);
  }
  return out;
}

absl::StatusOr<boost::json::object> UpdateContainerInstancesState(OpContext& ctx,
                                                                  const Args& args) {
  std::vector<std::string> identifiers;
  std::string status_text;
  RETURN_IF_ERROR(args.Require("containerInstances", &identifiers));
  RETURN_IF_ERROR(args.Require("status", &status_text));
  if (identifiers.empty() || identifiers.size() > kMaxUpdateStateInstances) {
    return InvalidParameter(absl::StrCat("containerInstances must have 1 to ",
                                         kMaxUpdateStateInstances, " items; the request has ",
                                         identifiers.size(), "."));
  }
  std::optional<ecs::ContainerInstanceStatus> status =
      ecs::ParseContainerInstanceStatus(status_text);
  if (status != ecs::ContainerInstanceStatus::kActive &&
      status != ecs::ContainerInstanceStatus::kDraining) {
    return InvalidParameter(absl::StrCat("Invalid status '", Excerpt(status_text),
                                         "'. Valid values are ACTIVE and DRAINING."));
  }
  ASSIGN_OR_RETURN(const ecs::Cluster* cluster, RequestCluster(ctx.model, args));
  boost::json::array instances, failures;
  std::set<std::string> seen;
  for (const std::string& identifier : identifiers) {
    const state::ContainerInstanceEntry* found =
        FindInstance(ctx.model, cluster->name, identifier);
    if (found == nullptr || !found->registered()) {
      failures.push_back(boost::json::object{
          {"arn", InstanceArnOf(ctx.model, cluster->name, identifier)},
          {"reason", found == nullptr ? ecs::kReasonMissing : ecs::kReasonInactive}});
      continue;
    }
    if (!seen.insert(found->id).second) {
      continue;
    }
    state::ContainerInstanceEntry entry = *found;
    if (entry.instance.status != *status) {
      entry.instance.status = *status;
      entry.instance.version = entry.instance.version.value_or(0) + 1;
      ctx.model.container_instances().Put(entry, ctx.changes);
    }
    instances.push_back(ContainerInstanceToJson(ctx.model, entry, false));
  }
  return boost::json::object{{"containerInstances", std::move(instances)},
                             {"failures", std::move(failures)}};
}

}  // namespace

void RegisterContainerInstanceOperations(OperationRegistry& registry) {
  registry.Add("RegisterContainerInstance", &RegisterContainerInstance);
  registry.Add("DescribeContainerInstances", &DescribeContainerInstances);
  registry.Add("ListContainerInstances", &ListContainerInstances);
  registry.Add("DeregisterContainerInstance", &DeregisterContainerInstance);
  registry.Add("UpdateContainerInstancesState", &UpdateContainerInstancesState);
}

}  // namespace berth::control::ops
