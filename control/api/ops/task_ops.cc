// Task operations users call: RunTask, StartTask, StopTask, DescribeTasks,
// ListTasks (ECS API reference; reference §1 for placement, §3 for limits
// and errors). Placement is the scheduler's (control/scheduler/place.h) on
// the model's per-cluster snapshot; each placed task is sent to its
// instance's agent through the agent channel in the same commit
// (docs/agent-protocol.md). How far a task got is what its agent reports
// (task_state_ops.cc).

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "boost/json/array.hpp"
#include "boost/json/serialize.hpp"
#include "control/api/agent_dispatch.h"
#include "control/api/ecs_error.h"
#include "control/api/ops/cluster_common.h"
#include "control/api/ops/container_instance_common.h"
#include "control/api/ops/ops.h"
#include "control/api/ops/task_common.h"
#include "control/api/ops/task_definition_common.h"
#include "control/api/ops/validate.h"
#include "control/api/paging.h"
#include "control/api/request_decoder.h"
#include "control/scheduler/place.h"
#include "control/scheduler/placement_request.h"
#include "ecs/arn.h"
#include "ecs/failure.h"
#include "ecs/placement_json.h"
#include "ecs/task.h"
#include "ecs/task_json.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control::ops {
namespace {

constexpr size_t kMaxDescribeTasks = 100;
constexpr size_t kMaxOverridesBytes = 8192;
constexpr size_t kMaxStartedByLength = 36;
constexpr size_t kMaxGroupLength = 255;
constexpr size_t kMaxStopReasonLength = 255;
constexpr std::string_view kDefaultStopReason = "Task stopped by user";
constexpr std::string_view kNoInstances = "No Container Instances were found in your cluster.";
constexpr std::string_view kTaskNotFound = "The referenced task was not found.";

// A 36-character UUID (8-4-4-4-12) for container ARNs, as ECS writes them.
std::string NewUuid(io::Rng& rng) {
  std::string hex = ecs::NewResourceId(rng);
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20));
}

// What RunTask and StartTask read beyond their placement members.
struct LaunchRequest {
  const ecs::Cluster* cluster = nullptr;
  const state::TaskDefinitionEntry* definition = nullptr;
  ecs::TaskDefinition effective;  // with the overrides' cpu and memory applied
  boost::json::object overrides;  // as echoed in the task
  std::optional<std::string> group;
  std::optional<std::string> started_by;
  std::vector<ecs::Tag> tags;
  std::optional<std::string> reference_id;
  bool enable_execute_command = false;
};

absl::Status ReadIntegerMember(const boost::json::object& o, std::string_view key,
                               const std::string& path, std::optional<int32_t>* out) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return absl::OkStatus();
  }
  if (!v->is_int64() || v->get_int64() < 0 || v->get_int64() > INT32_MAX) {
    return WrongType(absl::StrCat(path, ".", Absl(key)), "a non-negative integer", *v);
  }
  *out = static_cast<int32_t>(v->get_int64());
  return absl::OkStatus();
}

// Reads `overrides` (TaskOverride): container overrides must name containers
// of the definition; cpu and memory overrides change what the task needs.
absl::Status ReadOverrides(const Args& args, LaunchRequest& launch) {
  const boost::json::object* overrides = nullptr;
  RETURN_IF_ERROR(args.GetObject("overrides", &overrides));
  const ecs::TaskDefinition& definition = launch.definition->definition;
  boost::json::array echoed;
  std::set<std::string> overridden;
  if (overrides != nullptr) {
    if (boost::json::serialize(*overrides).size() > kMaxOverridesBytes) {
      return InvalidParameter(absl::StrCat("overrides must be at most ", kMaxOverridesBytes,
                                           " characters of JSON."));
    }
    Args o(*overrides, "overrides");
    std::optional<std::string> cpu, memory;
    RETURN_IF_ERROR(o.Get("cpu", &cpu));
    RETURN_IF_ERROR(o.Get("memory", &memory));
    if (cpu.has_value()) {
      launch.effective.cpu = *cpu;
    }
    if (memory.has_value()) {
      launch.effective.memory = *memory;
    }
    const boost::json::value* list = overrides->if_contains("containerOverrides");
    if (list != nullptr && !list->is_null()) {
      if (!list->is_array()) {
        return WrongType("overrides.containerOverrides", "a list", *list);
      }
      for (size_t i = 0; i < list->get_array().size(); ++i) {
        const boost::json::value& item = list->get_array()[i];
        std::string path = absl::StrCat("overrides.containerOverrides[", i, "]");
        if (!item.is_object()) {
          return WrongType(path, "a structure", item);
        }
        const boost::json::object& c = item.get_object();
        const boost::json::value* name = c.if_contains("name");
        if (name == nullptr || !name->is_string()) {
          return InvalidParameter(absl::StrCat(path, ".name is required."));
        }
        std::string container(name->get_string());
        ecs::ContainerDefinition* target = nullptr;
        for (ecs::ContainerDefinition& d : launch.effective.container_definitions) {
          if (d.name == container) {
            target = &d;
          }
        }
        if (target == nullptr) {
          return InvalidParameter(absl::StrCat("Override for container named ",
                                               Excerpt(container),
                                               " is not a container in the TaskDefinition."));
        }
        std::optional<int32_t> c_cpu, c_memory, c_reservation;
        RETURN_IF_ERROR(ReadIntegerMember(c, "cpu", path, &c_cpu));
        RETURN_IF_ERROR(ReadIntegerMember(c, "memory", path, &c_memory));
        RETURN_IF_ERROR(ReadIntegerMember(c, "memoryReservation", path, &c_reservation));
        if (c_cpu.has_value()) target->cpu = *c_cpu;
        if (c_memory.has_value()) target->memory = *c_memory;
        if (c_reservation.has_value()) target->memory_reservation = *c_reservation;
        int32_t hard = target->memory.value_or(0);
        if (hard > 0 && target->memory_reservation.value_or(0) > hard) {
          return InvalidParameter(absl::StrCat(
              "Invalid setting for container '", container,
              "'. The memory reservation must be lower than or equal to the memory limit."));
        }
        overridden.insert(container);
        echoed.push_back(c);
      }
    }
    launch.overrides = *overrides;
  }
  // ECS echoes one container override per container, at least its name.
  for (const ecs::ContainerDefinition& d : definition.container_definitions) {
    if (!overridden.contains(d.name)) {
      echoed.push_back(boost::json::object{{"name", d.name}});
    }
  }
  launch.overrides["containerOverrides"] = std::move(echoed);
  if (!launch.overrides.contains("inferenceAcceleratorOverrides")) {
    launch.overrides["inferenceAcceleratorOverrides"] = boost::json::array();
  }
  return absl::OkStatus();
}

bool IsStartedByName(std::string_view text) {
  for (char c : text) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

// The members RunTask and StartTask share, checked; the definition resolved.
absl::Status ReadLaunch(OpContext& ctx, const Args& args, LaunchRequest& launch) {
  std::string identifier;
  std::optional<std::string> group, started_by, launch_type, propagate, reference_id;
  std::optional<bool> execute_command;
  std::optional<std::vector<ecs::Tag>> tags;
  RETURN_IF_ERROR(args.Require("taskDefinition", &identifier));
  RETURN_IF_ERROR(args.Get("group", &group));
  RETURN_IF_ERROR(args.Get("startedBy", &started_by));
  RETURN_IF_ERROR(args.Get("launchType", &launch_type));
  RETURN_IF_ERROR(args.Get("propagateTags", &propagate));
  RETURN_IF_ERROR(args.Get("referenceId", &reference_id));
  RETURN_IF_ERROR(args.Get("enableExecuteCommand", &execute_command));
  RETURN_IF_ERROR(ReadTags(args, "tags", &tags));
  if (tags.has_value()) {
    RETURN_IF_ERROR(ValidateTags(*tags));
  }
  if (launch_type.has_value() && *launch_type != "EC2") {
    if (*launch_type == "FARGATE" || *launch_type == "EXTERNAL") {
      return InvalidParameter(absl::StrCat("The launch type ", *launch_type,
                                           " is not supported by berth; use EC2."));
    }
    return InvalidParameter(absl::StrCat("Invalid launchType '", Excerpt(*launch_type),
                                         "'. Valid values are EC2, FARGATE, EXTERNAL."));
  }
  if (const boost::json::value* cps = args.object().if_contains("capacityProviderStrategy");
      cps != nullptr && cps->is_array() && !cps->get_array().empty()) {
    return InvalidParameter("capacityProviderStrategy is not supported by berth; use EC2.");
  }
  if (propagate.has_value() && *propagate != "TASK_DEFINITION" && *propagate != "SERVICE" &&
      *propagate != "NONE") {
    return InvalidParameter(absl::StrCat("Invalid propagateTags '", Excerpt(*propagate),
                                         "'. Valid values are TASK_DEFINITION, SERVICE, NONE."));
  }
  if (started_by.has_value() &&
      (started_by->size() > kMaxStartedByLength || !IsStartedByName(*started_by))) {
    return InvalidParameter(
        "startedBy must be up to 36 letters (uppercase and lowercase), numbers, hyphens, and "
        "underscores.");
  }
  if (group.has_value() && (group->empty() || group->size() > kMaxGroupLength)) {
    return InvalidParameter("group must be 1 to 255 characters.");
  }
  ASSIGN_OR_RETURN(launch.cluster, RequestCluster(ctx.model, args));
  ASSIGN_OR_RETURN(TaskDefinitionRef ref,
                   ParseRef(ctx.model, identifier, "TaskDefinition not found."));
  launch.definition = FindDefinition(ctx.model, ref);
  if (launch.definition == nullptr) {
    return ClientError("TaskDefinition not found.");
  }
  if (!launch.definition->active()) {
    return ClientError("TaskDefinition is inactive");
  }
  launch.effective = launch.definition->definition;
  RETURN_IF_ERROR(ReadOverrides(args, launch));
  launch.group = std::move(group);
  launch.started_by = std::move(started_by);
  launch.reference_id = std::move(reference_id);
  launch.enable_execute_command = execute_command.value_or(false);
  std::vector<ecs::Tag> merged;
  if (propagate == "TASK_DEFINITION") {
    merged = launch.definition->tags;
  }
  if (tags.has_value()) {
    ASSIGN_OR_RETURN(merged, MergeTags(merged, *tags));
  }
  launch.tags = std::move(merged);
  return absl::OkStatus();
}

// A new task of `launch` on `instance`, PENDING (PROVISIONING in awsvpc).
state::TaskEntry NewTask(OpContext& ctx, const LaunchRequest& launch,
                         const state::ContainerInstanceEntry& instance,
                         const scheduler::PlacementRequest& request) {
  const ecs::TaskDefinition& d = launch.definition->definition;
  state::TaskEntry entry;
  entry.cluster = launch.cluster->name;
  entry.id = ecs::NewResourceId(ctx.rng);
  entry.tags = launch.tags;
  entry.needs = request.needs;
  std::string task_arn = ctx.model.TaskArn(entry.cluster, entry.id);
  entry.task_arn = task_arn;
  bool awsvpc = d.EffectiveNetworkMode() == ecs::NetworkMode::kAwsvpc;
  std::string_view initial = awsvpc ? "PROVISIONING" : "PENDING";

  boost::json::array containers;
  for (const ecs::ContainerDefinition& c : launch.effective.container_definitions) {
    boost::json::object container{
        {"containerArn", absl::StrCat("arn:aws:ecs:", ctx.model.scope().region, ":",
                                      ctx.model.scope().account, ":container/", entry.cluster,
                                      "/", entry.id, "/", NewUuid(ctx.rng))},
        {"taskArn", task_arn},
        {"name", c.name},
        {"image", c.image},
        {"lastStatus", "PENDING"},
        {"networkInterfaces", boost::json::array()},
        {"cpu", absl::StrCat(c.cpu)},
    };
    if (c.memory.has_value()) {
      container["memory"] = absl::StrCat(*c.memory);
    }
    if (c.memory_reservation.has_value()) {
      container["memoryReservation"] = absl::StrCat(*c.memory_reservation);
    }
    containers.push_back(std::move(container));
  }
  boost::json::array attributes;
  if (const ecs::Attribute* arch = instance.instance.FindAttribute("ecs.cpu-architecture");
      arch != nullptr && arch->value.has_value()) {
    attributes.push_back(
        boost::json::object{{"name", "ecs.cpu-architecture"}, {"value", *arch->value}});
  }
  boost::json::object& t = entry.task;
  t["attachments"] = boost::json::array();
  t["attributes"] = std::move(attributes);
  if (const ecs::Attribute* az = instance.instance.FindAttribute("ecs.availability-zone");
      az != nullptr && az->value.has_value()) {
    t["availabilityZone"] = *az->value;
  }
  t["clusterArn"] = ctx.model.ClusterArn(entry.cluster);
  t["containerInstanceArn"] = instance.instance.container_instance_arn;
  t["containers"] = std::move(containers);
  if (launch.effective.cpu.has_value()) {
    t["cpu"] = *launch.effective.cpu;
  }
  if (launch.effective.memory.has_value()) {
    t["memory"] = *launch.effective.memory;
  }
  t["createdAt"] = Timestamp(ctx.now);
  t["desiredStatus"] = "RUNNING";
  t["enableExecuteCommand"] = launch.enable_execute_command;
  t["group"] = launch.group.value_or(ecs::FamilyGroup(d.family));
  t["healthStatus"] = "UNKNOWN";
  t["lastStatus"] = initial;
  t["launchType"] = "EC2";
  t["overrides"] = launch.overrides;
  if (launch.started_by.has_value()) {
    t["startedBy"] = *launch.started_by;
  }
  t["taskArn"] = task_arn;
  t["taskDefinitionArn"] = ctx.model.TaskDefinitionArn(d.family, d.revision);
  t["version"] = 1;
  return entry;
}

// The agent's copy of a task: {"task": <the task, with tags>,
// "taskDefinition": <its definition, serialized once per request>} (the
// overrides are in task.overrides), docs/agent-protocol.md.
std::string TaskPayload(const state::TaskEntry& task, std::string_view definition_json) {
  return absl::StrCat("{\"task\":", boost::json::serialize(TaskToJson(task, true)),
                      ",\"taskDefinition\":", Absl(definition_json), "}");
}

// Places `request` in the cluster and creates, sends and stores each placed
// task. Returns the RunTask/StartTask response.
absl::StatusOr<boost::json::object> Launch(OpContext& ctx, const LaunchRequest& launch,
                                           const scheduler::RequestSpec& spec) {
  absl::StatusOr<scheduler::PlacementRequest> request = scheduler::CompileRequest(spec);
  if (!request.ok()) {
    return InvalidParameter(Std(request.status().message()));
  }
  scheduler::ClusterSnapshot& snapshot = ctx.model.schedulers().Of(launch.cluster->name);
  snapshot.Prepare(*request);
  scheduler::Plan plan = scheduler::Place(snapshot, *request, ctx.rng);

  boost::json::array tasks, failures;
  for (const ecs::Failure& failure : plan.failures) {
    failures.push_back(ecs::ToJson(failure));
  }
  // Create every task before any is stored: storing one changes the
  // snapshot, and the plan already accounts for all of them.
  std::vector<state::TaskEntry> created;
  for (const scheduler::Placement& placement : plan.placements) {
    const state::ContainerInstanceEntry* instance = ctx.model.container_instances().FindById(
        ecs::IdOfArnOrId(placement.container_instance_arn));
    if (instance == nullptr) {
      return absl::InternalError(absl::StrCat("the scheduler placed a task on ",
                                              placement.container_instance_arn,
                                              ", which the model does not have"));
    }
    created.push_back(NewTask(ctx, launch, *instance, *request));
  }
  std::string definition_json;
  if (ctx.agents != nullptr && !created.empty()) {
    definition_json =
        boost::json::serialize(TaskDefinitionJson(ctx.model, *launch.definition));
  }
  for (state::TaskEntry& task : created) {
    const std::string instance_arn = task.task["containerInstanceArn"].as_string().c_str();
    if (ctx.agents != nullptr) {
      agents::AgentMessage message;
      message.kind = agents::AgentMessage::Kind::kTask;
      message.task_arn = task.task_arn;
      message.desired_status = "RUNNING";
      message.payload = TaskPayload(task, definition_json);
      absl::Status sent = ctx.agents->Send(ctx, instance_arn, std::move(message));
      if (!sent.ok()) {
        // The agent cannot take more (its outbox is full) or is unknown to
        // the channel: as ECS, the instance fails with reason AGENT.
        failures.push_back(boost::json::object{{"arn", instance_arn},
                                               {"reason", ecs::kReasonAgent},
                                               {"detail", Std(sent.message())}});
        continue;
      }
    }
    boost::json::object shown = TaskToJson(task, !task.tags.empty());
    RETURN_IF_ERROR(ctx.model.tasks().Put(std::move(task), ctx.changes));
    tasks.push_back(std::move(shown));
  }
  return boost::json::object{{"tasks", std::move(tasks)}, {"failures", std::move(failures)}};
}

absl::StatusOr<boost::json::object> RunTask(OpContext& ctx, const Args& args) {
  std::optional<int32_t> count;
  std::optional<std::string> client_token;
  RETURN_IF_ERROR(args.Get("count", &count));
  RETURN_IF_ERROR(args.Get("clientToken", &client_token));
  scheduler::RequestSpec spec;
  spec.kind = scheduler::RequestKind::kRunTask;
  spec.count = count.value_or(1);
  if (spec.count < 1 || spec.count > scheduler::kMaxRunTaskCount) {
    return InvalidParameter(absl::StrCat("count must be between 1 and ",
                                         scheduler::kMaxRunTaskCount, "; the request has ",
                                         spec.count, "."));
  }
  std::optional<std::vector<ecs::PlacementConstraint>> constraints;
  std::optional<std::vector<ecs::PlacementStrategy>> strategies;
  RETURN_IF_ERROR(ReadCodecList<ecs::PlacementConstraint>(
      args, "placementConstraints", &ecs::PlacementConstraintFromJson, &constraints));
  RETURN_IF_ERROR(ReadCodecList<ecs::PlacementStrategy>(
      args, "placementStrategy", &ecs::PlacementStrategyFromJson, &strategies));
  spec.constraints = std::move(constraints).value_or(std::vector<ecs::PlacementConstraint>{});
  spec.strategies = std::move(strategies).value_or(std::vector<ecs::PlacementStrategy>{});
  LaunchRequest launch;
  RETURN_IF_ERROR(ReadLaunch(ctx, args, launch));
  if (ctx.model.clusters().counts(launch.cluster->name).registered_instances == 0) {
    return InvalidParameter(kNoInstances);
  }
  spec.task_definition = launch.effective;
  spec.group = launch.group.value_or("");
  return Launch(ctx, launch, spec);
}

absl::StatusOr<boost::json::object> StartTask(OpContext& ctx, const Args& args) {
  std::vector<std::string> identifiers;
  RETURN_IF_ERROR(args.Require("containerInstances", &identifiers));
  if (identifiers.empty() || identifiers.size() > scheduler::kMaxStartTaskInstances) {
    return InvalidParameter(absl::StrCat("containerInstances must have 1 to ",
                                         scheduler::kMaxStartTaskInstances,
                                         " items; the request has ", identifiers.size(), "."));
  }
  LaunchRequest launch;
  RETURN_IF_ERROR(ReadLaunch(ctx, args, launch));
  scheduler::RequestSpec spec;
  spec.kind = scheduler::RequestKind::kStartTask;
  spec.task_definition = launch.effective;
  spec.group = launch.group.value_or("");
  // Unknown and deregistered instances fail here, as ECS reports them; the
  // scheduler checks the rest.
  boost::json::array early_failures;
  for (const std::string& identifier : identifiers) {
    const state::ContainerInstanceEntry* instance =
        FindInstance(ctx.model, launch.cluster->name, identifier);
    if (instance == nullptr || !instance->registered()) {
      early_failures.push_back(boost::json::object{
          {"arn", InstanceArnOf(ctx.model, launch.cluster->name, identifier)},
          {"reason", instance == nullptr ? ecs::kReasonMissing : ecs::kReasonInactive}});
      continue;
    }
    spec.container_instances.push_back(instance->instance.container_instance_arn);
  }
  spec.count = static_cast<int>(spec.container_instances.size());
  if (spec.container_instances.empty()) {
    return boost::json::object{{"tasks", boost::json::array()},
                               {"failures", std::move(early_failures)}};
  }
  ASSIGN_OR_RETURN(boost::json::object out, Launch(ctx, launch, spec));
  boost::json::array& failures = out["failures"].as_array();
  for (boost::json::value& f : early_failures) {
    failures.push_back(std::move(f));
  }
  return out;
}

absl::StatusOr<boost::json::object> StopTask(OpContext& ctx, const Args& args) {
  std::string identifier;
  std::optional<std::string> reason;
  RETURN_IF_ERROR(args.Require("task", &identifier));
  RETURN_IF_ERROR(args.Get("reason", &reason));
  if (reason.has_value() && Utf8Length(*reason) > kMaxStopReasonLength) {
    return InvalidParameter("reason must be at most 255 characters.");
  }
  ASSIGN_OR_RETURN(const ecs::Cluster* cluster, RequestCluster(ctx.model, args));
  const state::TaskEntry* found = FindTask(ctx.model, cluster->name, identifier);
  if (found == nullptr) {
    return InvalidParameter(kTaskNotFound);
  }
  if (!found->desired_running) {
    return boost::json::object{{"task", TaskToJson(*found, false)}};
  }
  std::string stop_reason =
      reason.has_value() && !reason->empty() ? *reason : std::string(kDefaultStopReason);
  state::TaskEntry task = *found;
  boost::json::object& t = task.task;
  t["desiredStatus"] = "STOPPED";
  t["stopCode"] = "UserInitiated";
  t["stoppedReason"] = stop_reason;
  BumpVersion(task);
  bool delivered = false;
  if (ctx.agents != nullptr && !task.container_instance_id.empty()) {
    agents::AgentMessage message;
    message.kind = agents::AgentMessage::Kind::kStop;
    message.task_arn = task.task_arn;
    message.desired_status = "STOPPED";
    message.reason = stop_reason;
    absl::Status sent = ctx.agents->Send(
        ctx, ctx.model.ContainerInstanceArn(task.cluster, task.container_instance_id),
        std::move(message));
    if (sent.code() == absl::StatusCode::kResourceExhausted) {
      return EcsError(ecs_errors::kServer,
                      "The container instance's agent has too many unacknowledged messages; "
                      "retry when it has caught up.");
    }
    delivered = sent.ok();
  }
  if (!delivered) {
    // No agent holds the task (its instance is gone): nothing runs it.
    MarkStopped(task, ctx.now, "UserInitiated", stop_reason);
  }
  boost::json::object out{{"task", TaskToJson(task, false)}};
  RETURN_IF_ERROR(ctx.model.tasks().Put(std::move(task), ctx.changes));
  return out;
}

absl::StatusOr<boost::json::object> DescribeTasks(OpContext& ctx, const Args& args) {
  std::vector<std::string> identifiers;
  std::optional<std::vector<std::string>> include;
  RETURN_IF_ERROR(args.Require("tasks", &identifiers));
  RETURN_IF_ERROR(args.Get("include", &include));
  if (identifiers.empty() || identifiers.size() > kMaxDescribeTasks) {
    return InvalidParameter(absl::StrCat("tasks must have 1 to ", kMaxDescribeTasks,
                                         " items; the request has ", identifiers.size(), "."));
  }
  bool with_tags = false;
  for (const std::string& field : include.value_or(std::vector<std::string>{})) {
    if (field != "TAGS") {
      return InvalidParameter(absl::StrCat("Invalid value '", Excerpt(field),
                                           "' in include. Valid values are TAGS."));
    }
    with_tags = true;
  }
  ASSIGN_OR_RETURN(const ecs::Cluster* cluster, RequestCluster(ctx.model, args));
  // The body is spliced from each task's cached serialization: describing
  // is the hot read, and a task changes far less often than it is read.
  std::string body = "{\"tasks\":[";
  boost::json::array failures;
  std::vector<const state::TaskEntry*> seen;
  seen.reserve(identifiers.size());
  // The usual identifier is this cluster's long task ARN: matched by prefix
  // before the general parse.
  const std::string arn_prefix = ctx.model.TaskArn(cluster->name, "");
  bool first = true;
  for (const std::string& identifier : identifiers) {
    const state::TaskEntry* task =
        identifier.size() > arn_prefix.size() && identifier.compare(0, arn_prefix.size(),
                                                                     arn_prefix) == 0
            ? ctx.model.tasks().Find(cluster->name,
                                     std::string_view(identifier).substr(arn_prefix.size()))
            : FindTask(ctx.model, cluster->name, identifier);
    if (task == nullptr) {
      failures.push_back(
          boost::json::object{{"arn", TaskArnOf(ctx.model, cluster->name, identifier)},
                              {"reason", ecs::kReasonMissing}});
      continue;
    }
    if (std::find(seen.begin(), seen.end(), task) != seen.end()) {
      continue;
    }
    seen.push_back(task);
    if (!first) {
      body += ',';
    }
    first = false;
    const std::string& json = task->Serialized();
    if (with_tags) {
      // `task` is an object without "tags": add the member before its '}'.
      body.append(json, 0, json.size() - 1);
      absl::StrAppend(&body, json.size() > 2 ? "," : "", "\"tags\":",
                      boost::json::serialize(TagsJson(task->tags)), "}");
    } else {
      body += json;
    }
  }
  absl::StrAppend(&body, "],\"failures\":", boost::json::serialize(failures), "}");
  ctx.raw_response = std::move(body);
  return boost::json::object();
}

absl::StatusOr<boost::json::object> ListTasks(OpContext& ctx, const Args& args) {
  std::optional<std::string> instance_id, family, started_by, service, desired, launch_type;
  RETURN_IF_ERROR(args.Get("containerInstance", &instance_id));
  RETURN_IF_ERROR(args.Get("family", &family));
  RETURN_IF_ERROR(args.Get("startedBy", &started_by));
  RETURN_IF_ERROR(args.Get("serviceName", &service));
  RETURN_IF_ERROR(args.Get("desiredStatus", &desired));
  RETURN_IF_ERROR(args.Get("launchType", &launch_type));
  ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(args, "ListTasks", kListPageLimits));
  std::string status = desired.value_or("RUNNING");
  if (status != "RUNNING" && status != "PENDING" && status != "STOPPED") {
    return InvalidParameter(absl::StrCat("Invalid desiredStatus '", Excerpt(status),
                                         "'. Valid values are RUNNING, PENDING, STOPPED."));
  }
  if (launch_type.has_value() && *launch_type != "EC2" && *launch_type != "FARGATE" &&
      *launch_type != "EXTERNAL") {
    return InvalidParameter(absl::StrCat("Invalid launchType '", Excerpt(*launch_type),
                                         "'. Valid values are EC2, FARGATE, EXTERNAL."));
  }
  if (started_by.has_value() && (instance_id.has_value() || family.has_value() ||
                                 service.has_value())) {
    return InvalidParameter(
        "startedBy may not be combined with containerInstance, family or serviceName.");
  }
  ASSIGN_OR_RETURN(const ecs::Cluster* cluster, RequestCluster(ctx.model, args));
  std::string service_group;
  if (service.has_value()) {
    // Services arrive with the service scheduler; until then none exists.
    return EcsError(ecs_errors::kServiceNotFound, "Service not found.");
  }
  std::string wanted_instance;
  if (instance_id.has_value()) {
    const state::ContainerInstanceEntry* instance =
        FindInstance(ctx.model, cluster->name, *instance_id);
    if (instance == nullptr) {
      return InvalidParameter("Container instance not found.");
    }
    wanted_instance = instance->id;
  }
  boost::json::array arns;
  boost::json::object out;
  if (status == "PENDING") {
    // ECS: desiredStatus is never PENDING, so this lists nothing.
    out["taskArns"] = std::move(arns);
    return out;
  }
  bool want_running = status == "RUNNING";
  size_t want_launch = !launch_type.has_value()       ? SIZE_MAX
                       : *launch_type == "FARGATE"    ? 1
                       : *launch_type == "EXTERNAL"   ? 2
                                                      : 0;
  const state::TaskTable& table = ctx.model.tasks();
  auto matches = [&](const state::TaskEntry& t) {
    return t.desired_running == want_running &&
           (wanted_instance.empty() || t.container_instance_id == wanted_instance) &&
           (!family.has_value() || t.family == *family) &&
           (!started_by.has_value() || t.started_by == *started_by) &&
           (want_launch == SIZE_MAX || t.launch_type == want_launch);
  };
  std::string prefix = absl::StrCat(cluster->name, "/");
  std::string last;
  bool more = false;
  auto emit = [&](const std::string& key, const state::TaskEntry& t) {
    if (!matches(t)) {
      return true;
    }
    if (arns.size() == static_cast<size_t>(page.max_results)) {
      more = true;
      return false;
    }
    arns.push_back(boost::json::value(t.task_arn));
    last = key;
    return true;
  };
  if (want_running) {
    const auto& keys = table.DesiredRunning(cluster->name);
    auto it = page.has_token ? keys.upper_bound(page.after) : keys.begin();
    for (; it != keys.end(); ++it) {
      const state::TaskEntry* t = table.Find(cluster->name, it->substr(prefix.size()));
      if (t != nullptr && !emit(*it, *t)) {
        break;
      }
    }
  } else {
    const auto& entries = table.entries();
    auto it = page.has_token && page.after > prefix ? entries.upper_bound(page.after)
                                                    : entries.lower_bound(prefix);
    for (; it != entries.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      if (!emit(it->first, it->second)) {
        break;
      }
    }
  }
  out["taskArns"] = std::move(arns);
  if (more) {
    out["nextToken"] = EncodeNextToken("ListTasks", last);
  }
  return out;
}

}  // namespace

void RegisterTaskOperations(OperationRegistry& registry) {
  registry.Add("RunTask", &RunTask);
  registry.Add("StartTask", &StartTask);
  registry.Add("StopTask", &StopTask);
  registry.Add("DescribeTasks", &DescribeTasks);
  registry.Add("ListTasks", &ListTasks);
}

}  // namespace berth::control::ops
