#ifndef BERTH_CONTROL_API_OPS_TASK_COMMON_H_
#define BERTH_CONTROL_API_OPS_TASK_COMMON_H_

// Finding the task a request names and writing one as the API shows it,
// shared by the task, task state and tag operations.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "boost/json/object.hpp"
#include "control/state/model.h"

namespace berth::control::ops {

// The task of `cluster` that `identifier` (id or task ARN) names; nullptr
// when none. A task ARN of another cluster names nothing.
const state::TaskEntry* FindTask(const state::Model& model, std::string_view cluster,
                                 std::string_view identifier);

// The ARN a failures[] entry reports for `identifier`.
std::string TaskArnOf(const state::Model& model, std::string_view cluster,
                      std::string_view identifier);

// The API's Task; "tags" only when `with_tags` (DescribeTasks include TAGS).
boost::json::object TaskToJson(const state::TaskEntry& entry, bool with_tags);

// Adds one to the task's "version" (1 when it has none): every stored
// change does.
void BumpVersion(state::TaskEntry& task);

// `task` with lastStatus and desiredStatus STOPPED, stoppedAt and
// executionStoppedAt = `now` (when unset), stoppingAt set, and the stop code
// and reason when none was recorded before. Bumps version.
void MarkStopped(state::TaskEntry& task, absl::Time now, std::string_view stop_code,
                 std::string_view reason);

// An AWS JSON timestamp (seconds, millisecond precision).
boost::json::value Timestamp(absl::Time t);

}  // namespace berth::control::ops

#endif  // BERTH_CONTROL_API_OPS_TASK_COMMON_H_
