// TagResource, UntagResource, ListTagsForResource.
//
// The resource is found by its ARN's kind; FindTagTarget() is the one place
// that knows which kinds exist. Clusters, task definitions, container
// instances and tasks are taggable today; each new taggable kind (services)
// adds a case there.

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "control/api/ecs_error.h"
#include "control/api/ops/cluster_common.h"
#include "control/api/ops/ops.h"
#include "control/api/ops/task_definition_common.h"
#include "control/api/ops/validate.h"
#include "control/api/request_decoder.h"
#include "ecs/arn.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::control::ops {
namespace {

// A taggable resource: its tags, and how to store new ones.
struct TagTarget {
  std::vector<ecs::Tag> tags;
  absl::AnyInvocable<void(std::vector<ecs::Tag>, state::ChangeSet&)> save;
};

// A task definition revision, by "task-definition/<family>:<revision>". An
// INACTIVE one lists its tags and can still be tagged, as ECS allows.
absl::StatusOr<TagTarget> FindTaskDefinitionTarget(OpContext& ctx, const ecs::Arn& arn) {
  size_t colon = arn.resource.rfind(':');
  int32_t revision = 0;
  const state::TaskDefinitionEntry* entry = nullptr;
  if (colon != std::string::npos && arn.region == ctx.model.scope().region &&
      arn.account == ctx.model.scope().account &&
      absl::SimpleAtoi(arn.resource.substr(colon + 1), &revision)) {
    entry = ctx.model.task_definitions().Find(arn.resource.substr(0, colon), revision);
  }
  if (entry == nullptr) {
    return EcsError(ecs_errors::kResourceNotFound,
                    "The specified task definition does not exist.");
  }
  TagTarget target;
  target.tags = entry->tags;
  target.save = [&ctx, family = entry->definition.family, revision](
                    std::vector<ecs::Tag> tags, state::ChangeSet& changes) {
    state::TaskDefinitionEntry updated = *ctx.model.task_definitions().Find(family, revision);
    updated.tags = std::move(tags);
    ctx.model.task_definitions().Put(std::move(updated), changes);
  };
  return target;
}

// A container instance, by "container-instance/<cluster>/<id>" (or the short
// "container-instance/<id>"). A deregistered (INACTIVE) one lists its tags
// but cannot be tagged.
absl::StatusOr<TagTarget> FindContainerInstanceTarget(OpContext& ctx, const ecs::Arn& arn,
                                                      bool for_write) {
  const state::ContainerInstanceEntry* entry = nullptr;
  if (arn.region == ctx.model.scope().region && arn.account == ctx.model.scope().account) {
    entry = ctx.model.container_instances().FindById(arn.Id());
    if (entry != nullptr && !arn.Cluster().empty() && entry->cluster != arn.Cluster()) {
      entry = nullptr;
    }
  }
  if (entry == nullptr || (for_write && !entry->registered())) {
    return EcsError(ecs_errors::kResourceNotFound,
                    "The specified container instance does not exist.");
  }
  TagTarget target;
  target.tags = entry->tags;
  target.save = [&ctx, id = entry->id](std::vector<ecs::Tag> tags, state::ChangeSet& changes) {
    state::ContainerInstanceEntry updated = *ctx.model.container_instances().FindById(id);
    updated.tags = std::move(tags);
    ctx.model.container_instances().Put(std::move(updated), changes);
  };
  return target;
}

// A task, by "task/<cluster>/<id>" (or the short "task/<id>"). A stopped
// task can still be tagged while it is kept, as ECS allows.
absl::StatusOr<TagTarget> FindTaskTarget(OpContext& ctx, const ecs::Arn& arn) {
  const state::TaskEntry* entry = nullptr;
  if (arn.region == ctx.model.scope().region && arn.account == ctx.model.scope().account) {
    entry = ctx.model.tasks().FindById(arn.Id());
    if (entry != nullptr && !arn.Cluster().empty() && entry->cluster != arn.Cluster()) {
      entry = nullptr;
    }
  }
  if (entry == nullptr) {
    return EcsError(ecs_errors::kResourceNotFound, "The specified task does not exist.");
  }
  TagTarget target;
  target.tags = entry->tags;
  target.save = [&ctx, id = entry->id](std::vector<ecs::Tag> tags, state::ChangeSet& changes) {
    state::TaskEntry updated = *ctx.model.tasks().FindById(id);
    updated.tags = std::move(tags);
    CHECK_OK(ctx.model.tasks().Put(std::move(updated), changes));
  };
  return target;
}

absl::StatusOr<TagTarget> FindTagTarget(OpContext& ctx, std::string_view resource_arn,
                                        bool for_write) {
  absl::StatusOr<ecs::Arn> arn = ecs::ParseArn(resource_arn);
  if (!arn.ok() || arn->service != "ecs") {
    return InvalidParameter(
        absl::StrCat("'", Excerpt(resource_arn, 128), "' is not a valid ECS resource ARN."));
  }
  if (arn->kind == ecs::kArnKindCluster) {
    absl::StatusOr<std::string> name = ClusterNameOf(ctx.model, resource_arn);
    if (!name.ok()) {
      return name.status();
    }
    const ecs::Cluster* cluster = ctx.model.clusters().Find(*name);
    if (cluster == nullptr) {
      return ClusterNotFound();
    }
    if (for_write && !cluster->active()) {
      return InvalidParameter(
          "The specified cluster is inactive. Specify an active cluster and try again.");
    }
    TagTarget target;
    target.tags = cluster->tags;
    target.save = [&ctx, name = *name](std::vector<ecs::Tag> tags, state::ChangeSet& changes) {
      ecs::Cluster updated = *ctx.model.clusters().Find(name);
      updated.tags = std::move(tags);
      ctx.model.clusters().Put(std::move(updated), changes);
    };
    return target;
  }
  if (arn->kind == ecs::kArnKindTaskDefinition) {
    return FindTaskDefinitionTarget(ctx, *arn);
  }
  if (arn->kind == ecs::kArnKindContainerInstance) {
    return FindContainerInstanceTarget(ctx, *arn, for_write);
  }
  if (arn->kind == ecs::kArnKindTask) {
    return FindTaskTarget(ctx, *arn);
  }
  return EcsError(ecs_errors::kResourceNotFound,
                  absl::StrCat("The specified resource could not be found: berth cannot tag "
                               "resources of type '",
                               Excerpt(arn->kind), "' yet."));
}


absl::StatusOr<boost::json::object> TagResource(OpContext& ctx, const Args& args) {
  std::string resource_arn;
  std::optional<std::vector<ecs::Tag>> tags;
  RETURN_IF_ERROR(args.Require("resourceArn", &resource_arn));
  RETURN_IF_ERROR(ReadTags(args, "tags", &tags));
  if (!tags.has_value()) {
    return MissingParameter("tags");
  }
  RETURN_IF_ERROR(ValidateTags(*tags));
  ASSIGN_OR_RETURN(TagTarget target, FindTagTarget(ctx, resource_arn, /*for_write=*/true));
  ASSIGN_OR_RETURN(std::vector<ecs::Tag> merged, MergeTags(target.tags, *tags));
  if (merged != target.tags) {
    target.save(std::move(merged), ctx.changes);
  }
  return boost::json::object{};
}

absl::StatusOr<boost::json::object> UntagResource(OpContext& ctx, const Args& args) {
  std::string resource_arn;
  std::vector<std::string> keys;
  RETURN_IF_ERROR(args.Require("resourceArn", &resource_arn));
  RETURN_IF_ERROR(args.Require("tagKeys", &keys));
  RETURN_IF_ERROR(ValidateTagKeys(keys));
  ASSIGN_OR_RETURN(TagTarget target, FindTagTarget(ctx, resource_arn, /*for_write=*/true));
  std::vector<ecs::Tag> kept;
  for (const ecs::Tag& tag : target.tags) {
    if (std::find(keys.begin(), keys.end(), tag.key) == keys.end()) {
      kept.push_back(tag);
    }
  }
  if (kept.size() != target.tags.size()) {
    target.save(std::move(kept), ctx.changes);
  }
  return boost::json::object{};
}

absl::StatusOr<boost::json::object> ListTagsForResource(OpContext& ctx, const Args& args) {
  std::string resource_arn;
  RETURN_IF_ERROR(args.Require("resourceArn", &resource_arn));
  ASSIGN_OR_RETURN(TagTarget target, FindTagTarget(ctx, resource_arn, /*for_write=*/false));
  return boost::json::object{{"tags", TagsJson(target.tags)}};
}

}  // namespace

void RegisterTagOperations(OperationRegistry& registry) {
  registry.Add("TagResource", &TagResource);
  registry.Add("UntagResource", &UntagResource);
  registry.Add("ListTagsForResource", &ListTagsForResource);
}

}  // namespace berth::control::ops
