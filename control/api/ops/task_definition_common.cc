#include "control/api/ops/task_definition_common.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/json/object.hpp"
#include "control/api/ecs_error.h"
#include "control/api/ops/validate.h"
#include "control/api/request_decoder.h"
#include "ecs/arn.h"
#include "ecs/task_definition_json.h"
#include "io/absl_compat.h"

namespace berth::control::ops {

absl::StatusOr<TaskDefinitionRef> ParseRef(const state::Model& model, std::string_view text,
                                           std::string_view not_found) {
  std::string_view resource = text;
  if (absl::StartsWith(Absl(text), "arn:")) {
    absl::StatusOr<ecs::Arn> arn = ecs::ParseArn(text);
    if (!arn.ok() || arn->service != "ecs" || arn->kind != ecs::kArnKindTaskDefinition ||
        arn->region != model.scope().region || arn->account != model.scope().account) {
      return ClientError(not_found);
    }
    resource = text.substr(text.size() - arn->resource.size());
  }
  TaskDefinitionRef ref;
  size_t colon = resource.rfind(':');
  ref.family = std::string(resource.substr(0, colon));
  if (colon != std::string_view::npos) {
    std::string_view number = resource.substr(colon + 1);
    int32_t revision = 0;
    if (!absl::SimpleAtoi(Absl(number), &revision) || revision < 1 ||
        number.find_first_not_of("0123456789") != std::string_view::npos) {
      return ClientError(absl::StrCat("Invalid revision number. Number: ", Excerpt(number)));
    }
    ref.revision = revision;
  }
  if (ref.family.empty()) {
    return ClientError(not_found);
  }
  return ref;
}

boost::json::array TagsJson(const std::vector<ecs::Tag>& tags) {
  boost::json::array out;
  for (const ecs::Tag& tag : tags) {
    out.push_back(boost::json::object{{"key", tag.key}, {"value", tag.value}});
  }
  return out;
}

// The API's TaskDefinition: the stored one with its ARN, and the lists ECS
// always writes.
boost::json::value TaskDefinitionJson(const state::Model& model, const state::TaskDefinitionEntry& e) {
  ecs::TaskDefinition d = e.definition;
  d.task_definition_arn = model.TaskDefinitionArn(d.family, d.revision);
  boost::json::value json = ecs::ToJson(d);
  boost::json::object& o = json.as_object();
  for (std::string_view list : {"volumes", "placementConstraints", "requiresAttributes"}) {
    if (!o.contains(list)) {
      o[list] = boost::json::array();
    }
  }
  return json;
}

const state::TaskDefinitionEntry* FindDefinition(const state::Model& model,
                                                 const TaskDefinitionRef& ref) {
  const state::TaskDefinitionTable& table = model.task_definitions();
  return ref.revision.has_value() ? table.Find(ref.family, *ref.revision)
                                  : table.LatestActive(ref.family);
}

}  // namespace berth::control::ops
