// What agents report: SubmitTaskStateChange and SubmitContainerStateChange
// (docs/agent-protocol.md, "State changes"). A task's lastStatus only moves
// forward through the lifecycle (PROVISIONING → … → STOPPED) and a
// container's through PENDING → RUNNING → STOPPED; a report of the current
// or an earlier status changes nothing and still answers ACK, so an agent's
// retries are safe. A report that changes nothing writes nothing.
//
// Stopping: the first report of STOPPED records stoppedAt, releases the
// task's resources (the scheduler's view follows the table) and, unless a
// user or the scheduler stopped it first, says why: an essential container
// exited → EssentialContainerExited, "Essential container in task exited";
// it never ran → TaskFailedToStart with the agent's reason.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "control/api/ecs_error.h"
#include "control/api/ops/cluster_common.h"
#include "control/api/ops/ops.h"
#include "control/api/ops/task_common.h"
#include "control/api/request_decoder.h"
#include "ecs/arn.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control::ops {
namespace {

constexpr std::string_view kTaskNotFound = "The referenced task was not found.";
constexpr std::string_view kEssentialExited = "Essential container in task exited";
constexpr size_t kMaxReasonLength = 1024;

// `text` cut to at most `max` bytes without splitting a UTF-8 character
// (a stored record must stay valid JSON, and so valid UTF-8).
void TruncateUtf8(std::string& text, size_t max) {
  if (text.size() <= max) {
    return;
  }
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;  // text[cut] continues a character: cut before that character
  }
  text.resize(cut);
}

int ContainerRank(std::string_view status) {
  if (status == "PENDING") return 0;
  if (status == "RUNNING") return 1;
  if (status == "STOPPED") return 2;
  return -1;
}

// One ContainerStateChange (or the members of SubmitContainerStateChange).
struct ContainerReport {
  std::string name;
  std::optional<std::string> status, runtime_id, reason, image_digest;
  std::optional<int32_t> exit_code;
  const boost::json::value* network_bindings = nullptr;
};

absl::Status ReadContainerReport(const Args& args, std::string_view name_key,
                                 ContainerReport* out) {
  RETURN_IF_ERROR(args.Require(name_key, &out->name));
  RETURN_IF_ERROR(args.Get("status", &out->status));
  RETURN_IF_ERROR(args.Get("runtimeId", &out->runtime_id));
  RETURN_IF_ERROR(args.Get("reason", &out->reason));
  RETURN_IF_ERROR(args.Get("imageDigest", &out->image_digest));
  RETURN_IF_ERROR(args.Get("exitCode", &out->exit_code));
  if (out->status.has_value() && ContainerRank(*out->status) < 0) {
    return InvalidParameter(absl::StrCat("Invalid container status '", Excerpt(*out->status),
                                         "'. Valid values are PENDING, RUNNING, STOPPED."));
  }
  if (out->reason.has_value()) {
    TruncateUtf8(*out->reason, kMaxReasonLength);
  }
  const boost::json::value* bindings = args.object().if_contains("networkBindings");
  if (bindings != nullptr && !bindings->is_null()) {
    if (!bindings->is_array()) {
      return WrongType(args.Path("networkBindings"), "a list", *bindings);
    }
    for (const boost::json::value& b : bindings->get_array()) {
      if (!b.is_object()) {
        return WrongType(args.Path("networkBindings"), "a list of structures", *bindings);
      }
    }
    out->network_bindings = bindings;
  }
  return absl::OkStatus();
}

// Applies `report` to the task's container; true when something changed.
// InvalidParameter for a container the task does not have.
absl::StatusOr<bool> ApplyContainer(state::TaskEntry& task, const ContainerReport& report) {
  boost::json::value* containers = task.task.if_contains("containers");
  boost::json::object* container = nullptr;
  if (containers != nullptr && containers->is_array()) {
    for (boost::json::value& c : containers->get_array()) {
      if (c.is_object() && c.get_object().contains("name") &&
          c.get_object().at("name").is_string() && c.get_object().at("name").get_string() == report.name) {
        container = &c.get_object();
      }
    }
  }
  if (container == nullptr) {
    return InvalidParameter(absl::StrCat("The task has no container named '",
                                         Excerpt(report.name), "'."));
  }
  boost::json::object& c = *container;
  bool changed = false;
  auto set = [&](std::string_view key, boost::json::value value) {
    const boost::json::value* current = c.if_contains(key);
    if (current == nullptr || *current != value) {
      c[key] = std::move(value);
      changed = true;
    }
  };
  int current_rank = c.contains("lastStatus") && c.at("lastStatus").is_string()
                         ? ContainerRank(c.at("lastStatus").get_string())
                         : 0;
  bool stopped = current_rank == 2;
  if (report.status.has_value() && ContainerRank(*report.status) > current_rank) {
    set("lastStatus", boost::json::value(*report.status));
    stopped = *report.status == "STOPPED";
  }
  if (report.runtime_id.has_value()) set("runtimeId", boost::json::value(*report.runtime_id));
  if (report.image_digest.has_value()) {
    set("imageDigest", boost::json::value(*report.image_digest));
  }
  if (report.network_bindings != nullptr) set("networkBindings", *report.network_bindings);
  // Exit code and reason belong to a stopped container; a late duplicate
  // does not rewrite them.
  if (stopped && report.exit_code.has_value() && !c.contains("exitCode")) {
    set("exitCode", boost::json::value(*report.exit_code));
  }
  if (report.reason.has_value() && !report.reason->empty() && !c.contains("reason")) {
    set("reason", boost::json::value(*report.reason));
  }
  return changed;
}

// The essential containers of the task's definition (all, when it is gone).
std::vector<std::string> EssentialContainers(const state::Model& model,
                                             const state::TaskEntry& task) {
  std::vector<std::string> names;
  const boost::json::value* arn = task.task.if_contains("taskDefinitionArn");
  if (arn != nullptr && arn->is_string()) {
    std::string_view text = arn->get_string();
    std::string_view resource = text.substr(text.rfind('/') + 1);
    size_t colon = resource.rfind(':');
    int32_t revision = 0;
    if (colon != std::string_view::npos &&
        absl::SimpleAtoi(Absl(resource.substr(colon + 1)), &revision)) {
      if (const state::TaskDefinitionEntry* d =
              model.task_definitions().Find(resource.substr(0, colon), revision)) {
        for (const ecs::ContainerDefinition& c : d->definition.container_definitions) {
          if (c.essential.value_or(true)) {
            names.push_back(c.name);
          }
        }
        return names;
      }
    }
  }
  return names;
}

// Why a task the agent reports STOPPED stopped, when no one said before.
void ExplainStop(const state::Model& model, state::TaskEntry& task,
                 const std::optional<std::string>& agent_reason) {
  boost::json::object& t = task.task;
  if (t.contains("stopCode")) {
    return;  // a user or the scheduler stopped it
  }
  std::vector<std::string> essential = EssentialContainers(model, task);
  bool essential_exited = false;
  if (const boost::json::value* containers = t.if_contains("containers");
      containers != nullptr && containers->is_array()) {
    for (const boost::json::value& c : containers->get_array()) {
      const boost::json::object* o = c.if_object();
      if (o == nullptr || !o->contains("name") || !o->at("name").is_string()) continue;
      std::string name(o->at("name").get_string());
      if (o->contains("exitCode") &&
          (essential.empty() ||
           std::find(essential.begin(), essential.end(), name) != essential.end())) {
        essential_exited = true;
      }
    }
  }
  if (task.last_status < state::TaskStatus::kRunning && !t.contains("startedAt")) {
    t["stopCode"] = "TaskFailedToStart";
    t["stoppedReason"] = agent_reason.value_or("Task failed to start");
  } else if (essential_exited) {
    t["stopCode"] = "EssentialContainerExited";
    t["stoppedReason"] = std::string(kEssentialExited);
  } else if (agent_reason.has_value() && !agent_reason->empty()) {
    t["stoppedReason"] = *agent_reason;
  }
}

// Moves the task's lastStatus forward to `status`; true when it moved.
bool AdvanceTask(const state::Model& model, state::TaskEntry& task, state::TaskStatus status,
                 const std::optional<std::string>& reason, absl::Time now) {
  if (status <= task.last_status) {
    return false;
  }
  boost::json::object& t = task.task;
  if (status >= state::TaskStatus::kRunning && !t.contains("startedAt") &&
      status != state::TaskStatus::kStopped) {
    t["startedAt"] = Timestamp(now);
    t["connectivity"] = "CONNECTED";
    t["connectivityAt"] = Timestamp(now);
  }
  if (status >= state::TaskStatus::kDeactivating && !t.contains("stoppingAt")) {
    t["stoppingAt"] = Timestamp(now);
  }
  if (status == state::TaskStatus::kStopped) {
    ExplainStop(model, task, reason);
    MarkStopped(task, now, "", "");
    return true;  // MarkStopped bumped the version
  }
  t["lastStatus"] = ToString(status);
  BumpVersion(task);
  return true;
}

absl::StatusOr<state::TaskEntry> ReportedTask(OpContext& ctx, const Args& args,
                                              std::string* cluster_name) {
  std::string identifier;
  RETURN_IF_ERROR(args.Require("task", &identifier));
  ASSIGN_OR_RETURN(const ecs::Cluster* cluster, RequestCluster(ctx.model, args));
  const state::TaskEntry* task = FindTask(ctx.model, cluster->name, identifier);
  if (task == nullptr) {
    return InvalidParameter(kTaskNotFound);
  }
  *cluster_name = cluster->name;
  return *task;
}

absl::StatusOr<boost::json::object> SubmitTaskStateChange(OpContext& ctx, const Args& args) {
  std::optional<std::string> status_text, reason;
  std::optional<std::vector<ContainerReport>> containers;
  RETURN_IF_ERROR(args.Get("status", &status_text));
  RETURN_IF_ERROR(args.Get("reason", &reason));
  RETURN_IF_ERROR(args.GetList("containers", &containers,
                               [](const Args& element, ContainerReport* out) {
                                 return ReadContainerReport(element, "containerName", out);
                               }));
  std::optional<state::TaskStatus> status;
  if (status_text.has_value()) {
    status = state::ParseTaskStatus(*status_text);
    if (!status.has_value()) {
      return InvalidParameter(absl::StrCat("Invalid status '", Excerpt(*status_text),
                                           "'. Valid values are ",
                                           Absl(state::kTaskStatusValues), "."));
    }
  }
  if (reason.has_value()) {
    TruncateUtf8(*reason, kMaxReasonLength);
  }
  std::string cluster;
  ASSIGN_OR_RETURN(state::TaskEntry task, ReportedTask(ctx, args, &cluster));
  bool changed = false;
  for (const ContainerReport& report : containers.value_or(std::vector<ContainerReport>{})) {
    ASSIGN_OR_RETURN(bool c, ApplyContainer(task, report));
    changed |= c;
  }
  boost::json::object& t = task.task;
  for (std::string_view key : {"pullStartedAt", "pullStoppedAt", "executionStoppedAt"}) {
    const boost::json::value* at = args.object().if_contains(key);
    if (at != nullptr && (at->is_double() || at->is_int64()) && !t.contains(key)) {
      t[key] = *at;
      changed = true;
    }
  }
  bool advanced = status.has_value() && AdvanceTask(ctx.model, task, *status, reason, ctx.now);
  if (changed && !advanced) {
    BumpVersion(task);
  }
  if (changed || advanced) {
    RETURN_IF_ERROR(ctx.model.tasks().Put(std::move(task), ctx.changes));
  }
  return boost::json::object{{"acknowledgment", "ACK"}};
}

absl::StatusOr<boost::json::object> SubmitContainerStateChange(OpContext& ctx, const Args& args) {
  ContainerReport report;
  RETURN_IF_ERROR(ReadContainerReport(args, "containerName", &report));
  std::string cluster;
  ASSIGN_OR_RETURN(state::TaskEntry task, ReportedTask(ctx, args, &cluster));
  ASSIGN_OR_RETURN(bool changed, ApplyContainer(task, report));
  if (changed) {
    BumpVersion(task);
    RETURN_IF_ERROR(ctx.model.tasks().Put(std::move(task), ctx.changes));
  }
  return boost::json::object{{"acknowledgment", "ACK"}};
}

}  // namespace

void RegisterTaskStateOperations(OperationRegistry& registry) {
  registry.Add("SubmitTaskStateChange", &SubmitTaskStateChange);
  registry.Add("SubmitContainerStateChange", &SubmitContainerStateChange);
}

}  // namespace berth::control::ops
