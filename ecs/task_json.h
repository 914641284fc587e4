#ifndef BERTH_ECS_TASK_JSON_H_
#define BERTH_ECS_TASK_JSON_H_

// JSON codecs for Task and Failure (ECS API model member names).

#include <string>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"
#include "ecs/failure.h"
#include "ecs/task.h"

namespace berth::ecs {

boost::json::value ToJson(const Task& task);
absl::StatusOr<Task> TaskFromJson(const boost::json::value& json, const std::string& path = "");

boost::json::value ToJson(const Failure& failure);
absl::StatusOr<Failure> FailureFromJson(const boost::json::value& json,
                                        const std::string& path = "");

}  // namespace berth::ecs

#endif  // BERTH_ECS_TASK_JSON_H_
