#include "control/api/ops/task_common.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "control/api/ops/task_definition_common.h"
#include "ecs/arn.h"
#include "io/absl_compat.h"

namespace berth::control::ops {

const state::TaskEntry* FindTask(const state::Model& model, std::string_view cluster,
                                 std::string_view identifier) {
  if (absl::StartsWith(Absl(identifier), "arn:")) {
    absl::StatusOr<ecs::Arn> arn = ecs::ParseArn(identifier);
    if (!arn.ok() || arn->kind != ecs::kArnKindTask || arn->region != model.scope().region ||
        arn->account != model.scope().account) {
      return nullptr;
    }
    // Long form "task/<cluster>/<id>" must name this cluster.
    std::string_view resource = arn->resource;
    size_t slash = resource.find('/');
    if (slash != std::string_view::npos && resource.substr(0, slash) != cluster) {
      return nullptr;
    }
  }
  return model.tasks().Find(cluster, ecs::IdOfArnOrId(identifier));
}

std::string TaskArnOf(const state::Model& model, std::string_view cluster,
                      std::string_view identifier) {
  if (absl::StartsWith(Absl(identifier), "arn:")) {
    return std::string(identifier);
  }
  return model.TaskArn(cluster, identifier);
}

boost::json::object TaskToJson(const state::TaskEntry& entry, bool with_tags) {
  boost::json::object out = entry.task;
  if (with_tags) {
    out["tags"] = TagsJson(entry.tags);
  }
  return out;
}

boost::json::value Timestamp(absl::Time t) {
  return boost::json::value(static_cast<double>(absl::ToUnixMillis(t)) / 1000.0);
}

void BumpVersion(state::TaskEntry& task) {
  boost::json::value& v = task.task["version"];
  v = v.is_int64() ? v.get_int64() + 1 : 1;
}

void MarkStopped(state::TaskEntry& task, absl::Time now, std::string_view stop_code,
                 std::string_view reason) {
  boost::json::object& o = task.task;
  o["lastStatus"] = "STOPPED";
  o["desiredStatus"] = "STOPPED";
  for (std::string_view key : {"stoppingAt", "executionStoppedAt", "stoppedAt"}) {
    if (!o.contains(key)) {
      o[key] = Timestamp(now);
    }
  }
  if (boost::json::value* containers = o.if_contains("containers");
      containers != nullptr && containers->is_array()) {
    for (boost::json::value& c : containers->get_array()) {
      if (c.is_object()) {
        c.get_object()["lastStatus"] = "STOPPED";
      }
    }
  }
  if (!stop_code.empty() && !o.contains("stopCode")) {
    o["stopCode"] = stop_code;
  }
  if (!reason.empty() && !o.contains("stoppedReason")) {
    o["stoppedReason"] = reason;
  }
  BumpVersion(task);
}

}  // namespace berth::control::ops
