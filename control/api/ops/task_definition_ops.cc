// Task definition operations: RegisterTaskDefinition,
// DescribeTaskDefinition, ListTaskDefinitions, ListTaskDefinitionFamilies,
// DeregisterTaskDefinition. The request's checks live in
// task_definition_request.{h,cc}; the revisions in
// state/task_definition_table.h.

#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "control/api/ecs_error.h"
#include "control/api/ops/ops.h"
#include "control/api/ops/task_definition_common.h"
#include "control/api/ops/task_definition_request.h"
#include "control/api/ops/validate.h"
#include "control/api/paging.h"
#include "control/api/request_decoder.h"
#include "ecs/arn.h"
#include "ecs/task_definition_json.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control::ops {
namespace {

// ECS limits revisions per family (deregistered ones count).
constexpr int32_t kMaxRevisionsPerFamily = 1'000'000;

using state::TaskDefinitionEntry;
using state::TaskDefinitionTable;

absl::StatusOr<boost::json::object> RegisterTaskDefinition(OpContext& ctx, const Args& args) {
  ASSIGN_OR_RETURN(ecs::TaskDefinition definition, ReadTaskDefinitionRequest(args));
  std::optional<std::vector<ecs::Tag>> tags;
  RETURN_IF_ERROR(ReadTags(args, "tags", &tags));
  std::vector<ecs::Tag> merged;
  if (tags.has_value()) {
    RETURN_IF_ERROR(ValidateTags(*tags));
    ASSIGN_OR_RETURN(merged, MergeTags({}, *tags));
  }
  TaskDefinitionTable& table = ctx.model.task_definitions();
  int32_t revision = table.NextRevision(definition.family);
  if (revision > kMaxRevisionsPerFamily) {
    return ClientError(absl::StrCat("Family '", definition.family, "' has reached the limit of ",
                                    kMaxRevisionsPerFamily, " revisions."));
  }
  definition.revision = revision;
  for (ecs::ContainerDefinition& c : definition.container_definitions) {
    // As ECS answers: essential spelled out, the usual lists present.
    c.essential = c.essential.value_or(true);
    for (std::string_view list : {"environment", "mountPoints", "volumesFrom"}) {
      if (!c.other.contains(list)) {
        c.other[list] = boost::json::array();
      }
    }
  }
  definition.status = std::string(state::kTaskDefinitionActive);
  definition.requires_attributes = DerivedRequiresAttributes(definition);
  definition.compatibilities = DerivedCompatibilities(definition);
  definition.registered_at = ctx.now;
  definition.registered_by = ctx.principal;
  TaskDefinitionEntry entry{std::move(definition), std::move(merged)};
  boost::json::object out{{"taskDefinition", TaskDefinitionJson(ctx.model, entry)},
                          {"tags", TagsJson(entry.tags)}};
  table.Put(std::move(entry), ctx.changes);
  return out;
}

absl::StatusOr<boost::json::object> DescribeTaskDefinition(OpContext& ctx, const Args& args) {
  constexpr std::string_view kUnable = "Unable to describe task definition.";
  std::string identifier;
  std::optional<std::vector<std::string>> include;
  RETURN_IF_ERROR(args.Require("taskDefinition", &identifier));
  RETURN_IF_ERROR(args.Get("include", &include));
  bool with_tags = false;
  for (const std::string& field : include.value_or(std::vector<std::string>{})) {
    if (field != "TAGS") {
      return InvalidParameter(absl::StrCat("Invalid value '", Excerpt(field),
                                           "' in include. Valid values are TAGS."));
    }
    with_tags = true;
  }
  ASSIGN_OR_RETURN(TaskDefinitionRef ref, ParseRef(ctx.model, identifier, kUnable));
  const TaskDefinitionTable& table = ctx.model.task_definitions();
  const TaskDefinitionEntry* entry = ref.revision.has_value()
                                         ? table.Find(ref.family, *ref.revision)
                                         : table.LatestActive(ref.family);
  if (entry == nullptr) {
    return ClientError(kUnable);
  }
  boost::json::object out{{"taskDefinition", TaskDefinitionJson(ctx.model, *entry)}};
  if (with_tags) {
    out["tags"] = TagsJson(entry->tags);
  }
  return out;
}

absl::StatusOr<boost::json::object> DeregisterTaskDefinition(OpContext& ctx, const Args& args) {
  constexpr std::string_view kMissing = "The specified task definition does not exist.";
  std::string identifier;
  RETURN_IF_ERROR(args.Require("taskDefinition", &identifier));
  ASSIGN_OR_RETURN(TaskDefinitionRef ref, ParseRef(ctx.model, identifier, kMissing));
  if (!ref.revision.has_value()) {
    return ClientError(
        "A revision must be specified: give family:revision or the task definition's ARN.");
  }
  const TaskDefinitionEntry* found = ctx.model.task_definitions().Find(ref.family, *ref.revision);
  if (found == nullptr) {
    return ClientError(kMissing);
  }
  if (!found->active()) {
    return boost::json::object{{"taskDefinition", TaskDefinitionJson(ctx.model, *found)}};
  }
  TaskDefinitionEntry entry = *found;
  entry.definition.status = std::string(state::kTaskDefinitionInactive);
  entry.definition.deregistered_at = ctx.now;
  boost::json::object out{{"taskDefinition", TaskDefinitionJson(ctx.model, entry)}};
  ctx.model.task_definitions().Put(std::move(entry), ctx.changes);
  return out;
}

absl::Status ReadStatus(const Args& args, bool allow_all, std::string* status) {
  std::optional<std::string> value;
  RETURN_IF_ERROR(args.Get("status", &value));
  *status = value.value_or(allow_all ? "ALL" : "ACTIVE");
  if (*status == "ACTIVE" || *status == "INACTIVE" || (allow_all && *status == "ALL")) {
    return absl::OkStatus();
  }
  return InvalidParameter(absl::StrCat("Invalid value '", Excerpt(*status),
                                       "' for status. Valid values are ACTIVE",
                                       allow_all ? ", INACTIVE and ALL." : " and INACTIVE."));
}

using Position = std::pair<std::string, int32_t>;  // family, revision

// Up to `limit` revisions after `after` in ASC or DESC order, of `family`
// only when it is set (tokens are bound to it, so `after` is then in it).
std::vector<Position> CollectRevisions(const TaskDefinitionTable::Map& families,
                                       const std::optional<std::string>& family, bool active,
                                       bool desc, const std::optional<Position>& after,
                                       size_t limit) {
  std::vector<Position> out;
  // One family's revisions past `after`; false once `limit` is reached.
  auto walk = [&](const std::string& name, const TaskDefinitionTable::Family& f) {
    const auto& revs = f.revisions;
    bool resume = after.has_value() && after->first == name;
    auto take = [&](const TaskDefinitionEntry& e) {
      if (e.active() == active) {
        out.emplace_back(name, e.definition.revision);
      }
      return out.size() < limit;
    };
    if (!desc) {
      for (auto r = resume ? revs.upper_bound(after->second) : revs.begin(); r != revs.end();
           ++r) {
        if (!take(r->second)) {
          return false;
        }
      }
      return true;
    }
    for (auto r = resume ? std::make_reverse_iterator(revs.lower_bound(after->second))
                         : revs.rbegin();
         r != revs.rend(); ++r) {
      if (!take(r->second)) {
        return false;
      }
    }
    return true;
  };
  if (family.has_value()) {
    if (auto it = families.find(*family); it != families.end()) {
      walk(it->first, it->second);
    }
    return out;
  }
  if (!desc) {
    for (auto it = after.has_value() ? families.lower_bound(after->first) : families.begin();
         it != families.end() && walk(it->first, it->second); ++it) {
    }
    return out;
  }
  for (auto it = after.has_value() ? std::make_reverse_iterator(families.upper_bound(after->first))
                                   : families.rbegin();
       it != families.rend() && walk(it->first, it->second); ++it) {
  }
  return out;
}

absl::StatusOr<boost::json::object> ListTaskDefinitions(OpContext& ctx, const Args& args) {
  std::optional<std::string> family, sort;
  std::string status;
  RETURN_IF_ERROR(args.Get("familyPrefix", &family));
  RETURN_IF_ERROR(args.Get("sort", &sort));
  RETURN_IF_ERROR(ReadStatus(args, /*allow_all=*/false, &status));
  std::string order = sort.value_or("ASC");
  if (order != "ASC" && order != "DESC") {
    return InvalidParameter(absl::StrCat("Invalid value '", Excerpt(order),
                                         "' for sort. Valid values are ASC and DESC."));
  }
  // The token is bound to the order, status and family it was made for.
  std::string operation =
      absl::StrCat("ListTaskDefinitions/", order, "/", status, "/", family.value_or(""));
  ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(args, operation, kListPageLimits));
  std::optional<Position> after;
  if (page.has_token) {
    size_t colon = page.after.rfind(':');
    int32_t revision = 0;
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(Absl(std::string_view(page.after).substr(colon + 1)), &revision)) {
      return InvalidParameter("The nextToken provided is not valid.");
    }
    after = Position(page.after.substr(0, colon), revision);
  }
  size_t limit = static_cast<size_t>(page.max_results);
  std::vector<Position> found =
      CollectRevisions(ctx.model.task_definitions().families(), family, status == "ACTIVE",
                       order == "DESC", after, limit + 1);
  boost::json::array arns;
  for (size_t i = 0; i < found.size() && i < limit; ++i) {
    arns.push_back(boost::json::value(ctx.model.TaskDefinitionArn(found[i].first, found[i].second)));
  }
  boost::json::object out{{"taskDefinitionArns", std::move(arns)}};
  if (found.size() > limit) {
    const Position& last = found[limit - 1];
    out["nextToken"] = EncodeNextToken(operation, TaskDefinitionTable::Key(last.first, last.second));
  }
  return out;
}

absl::StatusOr<boost::json::object> ListTaskDefinitionFamilies(OpContext& ctx, const Args& args) {
  std::optional<std::string> prefix;
  std::string status;
  RETURN_IF_ERROR(args.Get("familyPrefix", &prefix));
  RETURN_IF_ERROR(ReadStatus(args, /*allow_all=*/true, &status));
  std::string operation = absl::StrCat("ListTaskDefinitionFamilies/", status);
  ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(args, operation, kListPageLimits));
  const TaskDefinitionTable::Map& families = ctx.model.task_definitions().families();
  std::string start = prefix.value_or("");
  auto it = page.has_token && page.after >= start ? families.upper_bound(page.after)
                                                  : families.lower_bound(start);
  boost::json::array names;
  std::string last;
  bool more = false;
  for (; it != families.end() && absl::StartsWith(it->first, start); ++it) {
    bool active = it->second.active_count > 0;
    if ((status == "ACTIVE" && !active) || (status == "INACTIVE" && active)) {
      continue;
    }
    if (names.size() == static_cast<size_t>(page.max_results)) {
      more = true;
      break;
    }
    names.push_back(boost::json::value(it->first));
    last = it->first;
  }
  boost::json::object out{{"families", std::move(names)}};
  if (more) {
    out["nextToken"] = EncodeNextToken(operation, last);
  }
  return out;
}

}  // namespace

void RegisterTaskDefinitionOperations(OperationRegistry& registry) {
  registry.Add("RegisterTaskDefinition", &RegisterTaskDefinition);
  registry.Add("DescribeTaskDefinition", &DescribeTaskDefinition);
  registry.Add("DeregisterTaskDefinition", &DeregisterTaskDefinition);
  registry.Add("ListTaskDefinitions", &ListTaskDefinitions);
  registry.Add("ListTaskDefinitionFamilies", &ListTaskDefinitionFamilies);
}

}  // namespace berth::control::ops
