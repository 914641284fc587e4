#include "control/api/ops/container_instance_common.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "control/api/ecs_error.h"
#include "control/api/request_decoder.h"
#include "ecs/arn.h"
#include "ecs/container_instance_json.h"
#include "io/absl_compat.h"

namespace berth::control::ops {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 128) {
    return false;
  }
  for (char c : name) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '/' && c != '\\' && c != '.') {
      return false;
    }
  }
  return true;
}

bool ValidValue(std::string_view value) {
  if (value.empty() || value.size() > 128 || value.front() == ' ' || value.back() == ' ') {
    return false;
  }
  for (char c : value) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.' && c != '@' && c != '/' &&
        c != '\\' && c != ':' && c != ' ') {
      return false;
    }
  }
  return true;
}

}  // namespace

bool IsBuiltInAttribute(std::string_view name) {
  return absl::StartsWith(Absl(name), "ecs.") ||
         absl::StartsWith(Absl(name), "com.amazonaws.ecs.") ||
         absl::StartsWith(Absl(name), "berth.");
}

const state::ContainerInstanceEntry* FindInstance(const state::Model& model,
                                                  std::string_view cluster,
                                                  std::string_view identifier) {
  if (identifier.substr(0, 4) == "arn:") {
    absl::StatusOr<ecs::Arn> arn = ecs::ParseArn(identifier);
    if (!arn.ok() || arn->kind != ecs::kArnKindContainerInstance ||
        arn->region != model.scope().region || arn->account != model.scope().account ||
        (!arn->Cluster().empty() && arn->Cluster() != cluster)) {
      return nullptr;
    }
  }
  return model.container_instances().Find(cluster, ecs::IdOfArnOrId(identifier));
}

std::string InstanceArnOf(const state::Model& model, std::string_view cluster,
                          std::string_view identifier) {
  if (identifier.substr(0, 4) == "arn:") {
    return std::string(identifier);
  }
  return model.ContainerInstanceArn(cluster, identifier);
}

ecs::ContainerInstance WithUsage(const state::Model& model,
                                 const state::ContainerInstanceEntry& entry) {
  ecs::ContainerInstance instance = entry.instance;
  const scheduler::ClusterSnapshot* snapshot = model.schedulers().Find(entry.cluster);
  if (snapshot == nullptr || !entry.registered()) {
    return instance;
  }
  const std::string& arn = instance.container_instance_arn;
  if (absl::StatusOr<std::vector<ecs::Resource>> remaining = snapshot->RemainingResources(arn);
      remaining.ok()) {
    instance.remaining_resources = *std::move(remaining);
  }
  scheduler::internal::Slot slot;
  if (snapshot->state().Lookup(arn, &slot)) {
    const scheduler::internal::Node& node = snapshot->state().nodes[slot];
    instance.running_tasks_count = node.running;
    instance.pending_tasks_count = node.pending;
  }
  return instance;
}

boost::json::object ContainerInstanceToJson(const state::Model& model,
                                            const state::ContainerInstanceEntry& entry,
                                            bool with_tags) {
  boost::json::value json = ecs::ToJson(WithUsage(model, entry));
  boost::json::object& o = json.as_object();
  if (with_tags) {
    boost::json::array tags;
    for (const ecs::Tag& tag : entry.tags) {
      tags.push_back(boost::json::object{{"key", tag.key}, {"value", tag.value}});
    }
    o["tags"] = std::move(tags);
  }
  return std::move(o);
}

absl::Status ValidateAttributes(const std::vector<ecs::Attribute>& attributes, bool custom) {
  for (const ecs::Attribute& attribute : attributes) {
    if (!ValidName(attribute.name)) {
      return InvalidParameter(absl::StrCat(
          "Invalid attribute name '", Excerpt(attribute.name),
          "': names have 1 to 128 letters, numbers, hyphens, underscores, slashes, "
          "back slashes or periods."));
    }
    if (custom && absl::StartsWith(Absl(attribute.name), "ecs.")) {
      return InvalidParameter(absl::StrCat("Invalid attribute name '", Excerpt(attribute.name),
                                           "': the ecs. prefix is reserved."));
    }
    if (custom && attribute.value.has_value() && !ValidValue(*attribute.value)) {
      return InvalidParameter(absl::StrCat(
          "Invalid value for attribute '", Excerpt(attribute.name),
          "': values have 1 to 128 letters, numbers, hyphens, underscores, periods, at signs, "
          "slashes, back slashes, colons or spaces, and no leading or trailing space."));
    }
  }
  return absl::OkStatus();
}

size_t CustomAttributeCount(const std::vector<ecs::Attribute>& attributes) {
  size_t count = 0;
  for (const ecs::Attribute& attribute : attributes) {
    count += IsBuiltInAttribute(attribute.name) ? 0 : 1;
  }
  return count;
}

}  // namespace berth::control::ops
