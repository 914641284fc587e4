// PutAttributes, DeleteAttributes, ListAttributes on container instances
// (reference §1.5: names and values, 10 custom attributes per resource, 10
// per PutAttributes call). Attributes live in the instance's `attributes`,
// so DescribeContainerInstances and the query language see them.

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "control/api/ecs_error.h"
#include "control/api/ops/cluster_common.h"
#include "control/api/ops/container_instance_common.h"
#include "control/api/ops/ops.h"
#include "control/api/paging.h"
#include "control/api/request_decoder.h"
#include "ecs/container_instance_json.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control::ops {
namespace {

constexpr std::string_view kTargetType = "container-instance";
constexpr size_t kMaxPutAttributes = 10;

absl::Status CheckTargetType(const std::optional<std::string>& type, std::string_view path) {
  if (type.has_value() && *type != kTargetType) {
    return InvalidParameter(absl::StrCat("Invalid ", Absl(path), " '", Excerpt(*type),
                                         "'. The only valid value is container-instance."));
  }
  return absl::OkStatus();
}

// The request's `attributes`, each with a targetId naming a registered
// instance of `cluster` (TargetNotFoundException otherwise).
absl::StatusOr<std::vector<ecs::Attribute>> ReadAttributes(const Args& args) {
  const boost::json::value* value = args.object().if_contains("attributes");
  if (value == nullptr || value->is_null()) {
    return MissingParameter("attributes");
  }
  const boost::json::array* list = value->if_array();
  if (list == nullptr) {
    return WrongType("attributes", "a list", *value);
  }
  std::vector<ecs::Attribute> attributes;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string path = args.ElementPath("attributes", i);
    absl::StatusOr<ecs::Attribute> attribute = ecs::AttributeFromJson((*list)[i], path);
    if (!attribute.ok()) {
      return InvalidParameter(Std(attribute.status().message()));
    }
    RETURN_IF_ERROR(CheckTargetType(attribute->target_type, path + ".targetType"));
    if (!attribute->target_id.has_value() || attribute->target_id->empty()) {
      return InvalidParameter(absl::StrCat(path, ".targetId is required."));
    }
    attributes.push_back(*std::move(attribute));
  }
  if (attributes.empty()) {
    return InvalidParameter("attributes must have at least 1 item.");
  }
  RETURN_IF_ERROR(ValidateAttributes(attributes, /*custom=*/true));
  return attributes;
}

// Applies `attributes` to copies of their targets (`put` adds or replaces by
// name; else removes), checks every target, then writes each changed one.
absl::StatusOr<boost::json::object> ChangeAttributes(OpContext& ctx, const Args& args, bool put) {
  ASSIGN_OR_RETURN(std::vector<ecs::Attribute> attributes, ReadAttributes(args));
  if (put && attributes.size() > kMaxPutAttributes) {
    return InvalidParameter(absl::StrCat("attributes can have at most ", kMaxPutAttributes,
                                         " items; the request has ", attributes.size(), "."));
  }
  ASSIGN_OR_RETURN(const ecs::Cluster* cluster, RequestCluster(ctx.model, args));
  std::map<std::string, state::ContainerInstanceEntry> staged;
  boost::json::array out;
  for (ecs::Attribute& attribute : attributes) {
    const state::ContainerInstanceEntry* found =
        FindInstance(ctx.model, cluster->name, *attribute.target_id);
    if (found == nullptr || !found->registered()) {
      return EcsError(ecs_errors::kTargetNotFound,
                      absl::StrCat("Could not find ", Excerpt(*attribute.target_id), "."));
    }
    auto [it, inserted] = staged.try_emplace(found->id, *found);
    std::vector<ecs::Attribute>& list = it->second.instance.attributes;
    auto same = [&attribute](const ecs::Attribute& a) { return a.name == attribute.name; };
    auto existing = std::find_if(list.begin(), list.end(), same);
    if (put) {
      ecs::Attribute stored{attribute.name, attribute.value, std::nullopt, std::nullopt};
      if (existing == list.end()) {
        list.push_back(std::move(stored));
      } else {
        *existing = std::move(stored);
      }
    } else if (existing != list.end()) {
      list.erase(existing);
    }
    attribute.target_type = std::string(kTargetType);
    attribute.target_id = found->instance.container_instance_arn;
    out.push_back(ecs::ToJson(attribute));
  }
  if (put) {
    for (const auto& [id, entry] : staged) {
      if (CustomAttributeCount(entry.instance.attributes) > kMaxCustomAttributes) {
        return EcsError(ecs_errors::kAttributeLimitExceeded,
                        absl::StrCat("You can apply up to ", kMaxCustomAttributes,
                                     " custom attributes per resource; ",
                                     entry.instance.container_instance_arn, " would have ",
                                     CustomAttributeCount(entry.instance.attributes), "."));
      }
    }
  }
  for (auto& [id, entry] : staged) {
    const state::ContainerInstanceEntry* current = ctx.model.container_instances().FindById(id);
    if (current == nullptr || current->instance.attributes != entry.instance.attributes) {
      ctx.model.container_instances().Put(std::move(entry), ctx.changes);
    }
  }
  return boost::json::object{{"attributes", std::move(out)}};
}

absl::StatusOr<boost::json::object> PutAttributes(OpContext& ctx, const Args& args) {
  return ChangeAttributes(ctx, args, /*put=*/true);
}

absl::StatusOr<boost::json::object> DeleteAttributes(OpContext& ctx, const Args& args) {
  return ChangeAttributes(ctx, args, /*put=*/false);
}

absl::StatusOr<boost::json::object> ListAttributes(OpContext& ctx, const Args& args) {
  std::string target_type;
  std::optional<std::string> name, value;
  RETURN_IF_ERROR(args.Require("targetType", &target_type));
  RETURN_IF_ERROR(args.Get("attributeName", &name));
  RETURN_IF_ERROR(args.Get("attributeValue", &value));
  RETURN_IF_ERROR(CheckTargetType(target_type, "targetType"));
  if (value.has_value() && !name.has_value()) {
    return InvalidParameter("attributeValue can only be used with attributeName.");
  }
  ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(args, "ListAttributes", kListPageLimits));
  ASSIGN_OR_RETURN(const ecs::Cluster* cluster, RequestCluster(ctx.model, args));
  // Every matching attribute under "<instance key>\n<name>", in that order.
  std::map<std::string, boost::json::value> rows;
  const auto& entries = ctx.model.container_instances().entries();
  std::string prefix = absl::StrCat(cluster->name, "/");
  for (auto it = entries.lower_bound(prefix);
       it != entries.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (!it->second.registered()) {
      continue;
    }
    for (const ecs::Attribute& attribute : it->second.instance.attributes) {
      if ((name.has_value() && attribute.name != *name) ||
          (value.has_value() && attribute.value != value)) {
        continue;
      }
      ecs::Attribute row{attribute.name, attribute.value, std::string(kTargetType),
                         it->second.instance.container_instance_arn};
      rows.emplace(absl::StrCat(it->first, "\n", attribute.name), ecs::ToJson(row));
    }
  }
  boost::json::array out;
  std::string last;
  auto it = page.has_token ? rows.upper_bound(page.after) : rows.begin();
  for (; it != rows.end() && out.size() < static_cast<size_t>(page.max_results); ++it) {
    out.push_back(it->second);
    last = it->first;
  }
  boost::json::object result{{"attributes", std::move(out)}};
  if (it != rows.end()) {
    result["nextToken"] = EncodeNextToken("ListAttributes", last);
  }
  return result;
}

}  // namespace

void RegisterAttributeOperations(OperationRegistry& registry) {
  registry.Add("PutAttributes", &PutAttributes);
  registry.Add("DeleteAttributes", &DeleteAttributes);
  registry.Add("ListAttributes", &ListAttributes);
}

}  // namespace berth::control::ops
