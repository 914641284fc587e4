#ifndef BERTH_CONTROL_API_OPS_CONTAINER_INSTANCE_COMMON_H_
#define BERTH_CONTROL_API_OPS_CONTAINER_INSTANCE_COMMON_H_

// Finding a container instance a request names, writing one as the API shows
// it, and the attribute rules (reference §1.5), shared by the container
// instance, attribute and tag operations.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "boost/json/object.hpp"
#include "control/state/model.h"
#include "ecs/attribute.h"

namespace berth::control::ops {

// The instance of `cluster` that `identifier` (id or ARN) names, of any
// status; nullptr when none.
const state::ContainerInstanceEntry* FindInstance(const state::Model& model,
                                                  std::string_view cluster,
                                                  std::string_view identifier);

// The ARN a failures[] entry reports for `identifier`: the text itself when
// it is an ARN, else the ARN the id would have in `cluster`.
std::string InstanceArnOf(const state::Model& model, std::string_view cluster,
                          std::string_view identifier);

// The instance with what its tasks use: remainingResources, runningTasksCount
// and pendingTasksCount from the scheduler's view (the record holds the
// registration only).
ecs::ContainerInstance WithUsage(const state::Model& model,
                                 const state::ContainerInstanceEntry& entry);

// The API's ContainerInstance (WithUsage); "tags" only when `with_tags`.
boost::json::object ContainerInstanceToJson(const state::Model& model,
                                            const state::ContainerInstanceEntry& entry,
                                            bool with_tags);

// Attribute names: 1–128 of letters, digits, - _ / \ . ; values (optional):
// 1–128 of letters, digits, - _ . @ / \ : and space, no leading or trailing
// blank. Only `custom` ones (PutAttributes) have their values checked and
// may not use the reserved "ecs." prefix; the agent's are taken as sent.
absl::Status ValidateAttributes(const std::vector<ecs::Attribute>& attributes, bool custom);

// The agent's own attributes: ECS's ("ecs.", "com.amazonaws.ecs.") and
// berth-agent's ("berth.", e.g. berth.cgroup-enforcement). The others are
// custom: at most ten per instance, and kept across re-registrations.
bool IsBuiltInAttribute(std::string_view name);

// The number of custom attributes.
size_t CustomAttributeCount(const std::vector<ecs::Attribute>& attributes);
inline constexpr size_t kMaxCustomAttributes = 10;

}  // namespace berth::control::ops

#endif  // BERTH_CONTROL_API_OPS_CONTAINER_INSTANCE_COMMON_H_
