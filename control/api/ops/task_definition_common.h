#ifndef BERTH_CONTROL_API_OPS_TASK_DEFINITION_COMMON_H_
#define BERTH_CONTROL_API_OPS_TASK_DEFINITION_COMMON_H_

// Naming a task definition and writing one as the API shows it, shared by
// the task definition and task operations.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/array.hpp"
#include "boost/json/value.hpp"
#include "control/state/model.h"
#include "ecs/tag.h"

namespace berth::control::ops {

// "family", "family:revision" or a task definition ARN, parsed.
struct TaskDefinitionRef {
  std::string family;
  std::optional<int32_t> revision;
};

// ClientException with `not_found` when the text names nothing here (an ARN
// of another region, account or kind); "Invalid revision number." when the
// revision is not a positive integer.
absl::StatusOr<TaskDefinitionRef> ParseRef(const state::Model& model, std::string_view text,
                                           std::string_view not_found);

// The revision `ref` names: that revision (ACTIVE or INACTIVE), or the
// family's latest ACTIVE one; nullptr when there is none.
const state::TaskDefinitionEntry* FindDefinition(const state::Model& model,
                                                 const TaskDefinitionRef& ref);

// [{"key","value"}] as ECS writes tags.
boost::json::array TagsJson(const std::vector<ecs::Tag>& tags);

// The API's TaskDefinition: the stored one with its ARN, and the lists ECS
// always writes.
boost::json::value TaskDefinitionJson(const state::Model& model,
                                      const state::TaskDefinitionEntry& e);

}  // namespace berth::control::ops

#endif  // BERTH_CONTROL_API_OPS_TASK_DEFINITION_COMMON_H_
