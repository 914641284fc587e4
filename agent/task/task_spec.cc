// DecodeTaskPayload: berth-control's `task` message payload
// ({"task": <Task>, "taskDefinition": <TaskDefinition>}, as
// control/api/ops/task_ops.cc TaskPayload writes it) into a TaskSpec, with
// task.overrides.containerOverrides applied. The definition's modeled
// members go through ecs/'s codec; the members only the agent reads
// (command, environment, dependsOn, ...) are read here from the
// definition's unmodeled rest. Unknown members are ignored.

#include "agent/task/task_spec.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"
#include "ecs/json_reader.h"
#include "ecs/json_text.h"
#include "ecs/task_definition_json.h"
#include "ecs/task_size.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::agent {
namespace {

using ecs::json_internal::ElementPath;
using ecs::json_internal::FieldError;
using ecs::json_internal::MemberPath;
using ecs::json_internal::ObjectReader;

constexpr size_t kMaxContainerNameBytes = 255;

bool IsContainerName(std::string_view name) {
  if (name.empty() || name.size() > kMaxContainerNameBytes) {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool IsTaskId(std::string_view id) {
  if (id.empty() || id.size() > kMaxContainerNameBytes) {
    return false;
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

// At most 64 bytes of `text`, quoted, for a message.
std::string Quoted(std::string_view text) {
  constexpr size_t kMax = 64;
  if (text.size() <= kMax) {
    return absl::StrCat("\"", Absl(text), "\"");
  }
  return absl::StrCat("\"", Absl(text.substr(0, kMax)), "...\"");
}

// A list of strings that may be absent (nullopt), present and empty, or
// present: entryPoint and command.
absl::Status OptionalStringList(const boost::json::object& o, std::string_view key,
                                const std::string& parent,
                                std::optional<std::vector<std::string>>* out) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return absl::OkStatus();
  }
  std::string path = MemberPath(parent, key);
  const boost::json::array* a = v->if_array();
  if (a == nullptr) {
    return FieldError(path, "expected a list of strings");
  }
  std::vector<std::string> items;
  items.reserve(a->size());
  for (size_t i = 0; i < a->size(); ++i) {
    const boost::json::string* s = (*a)[i].if_string();
    if (s == nullptr) {
      return FieldError(ElementPath(path, i), "expected a string");
    }
    items.emplace_back(s->data(), s->size());
  }
  *out = std::move(items);
  return absl::OkStatus();
}

// [{"name": ..., "value": ...}] (KeyValuePair); a missing value is "".
absl::Status Environment(const boost::json::object& o, const std::string& parent,
                         std::vector<std::pair<std::string, std::string>>* out) {
  const boost::json::value* v = o.if_contains("environment");
  if (v == nullptr || v->is_null()) {
    return absl::OkStatus();
  }
  std::string path = MemberPath(parent, "environment");
  const boost::json::array* a = v->if_array();
  if (a == nullptr) {
    return FieldError(path, "expected a list");
  }
  for (size_t i = 0; i < a->size(); ++i) {
    ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open((*a)[i], ElementPath(path, i)));
    std::string name, value;
    RETURN_IF_ERROR(r.RequiredString("name", &name));
    RETURN_IF_ERROR(r.String("value", &value));
    if (name.empty()) {
      return FieldError(MemberPath(r.path(), "name"), "expected a non-empty name");
    }
    out->emplace_back(std::move(name), std::move(value));
  }
  return absl::OkStatus();
}

absl::StatusOr<ContainerDependency> DependencyFromJson(const boost::json::value& json,
                                                       const std::string& path) {
  ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(json, path));
  ContainerDependency out;
  RETURN_IF_ERROR(r.RequiredString("containerName", &out.container_name));
  RETURN_IF_ERROR(r.RequiredEnum("condition", &out.condition, ParseDependencyCondition,
                                 kDependencyConditionValues));
  return out;
}

// The container's members that ecs::ContainerDefinition keeps in `other`.
absl::Status ReadAgentMembers(const boost::json::value& other, const std::string& path,
                              ContainerSpec* c) {
  const boost::json::object& o = other.get_object();
  ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(other, path));
  RETURN_IF_ERROR(OptionalStringList(o, "entryPoint", path, &c->entry_point));
  RETURN_IF_ERROR(OptionalStringList(o, "command", path, &c->command));
  RETURN_IF_ERROR(Environment(o, path, &c->environment));
  RETURN_IF_ERROR(r.String("workingDirectory", &c->working_directory));
  RETURN_IF_ERROR(r.String("user", &c->user));
  RETURN_IF_ERROR(r.String("hostname", &c->hostname));
  RETURN_IF_ERROR(r.List("dependsOn", &c->depends_on, DependencyFromJson));
  RETURN_IF_ERROR(r.Int32("startTimeout", &c->start_timeout));
  RETURN_IF_ERROR(r.Int32("stopTimeout", &c->stop_timeout));
  RETURN_IF_ERROR(r.Bool("readonlyRootFilesystem", &c->readonly_root_filesystem));
  std::optional<bool> init;
  RETURN_IF_ERROR(r.Object("linuxParameters", &init,
                           [](const boost::json::value& v,
                              const std::string& p) -> absl::StatusOr<bool> {
                             ASSIGN_OR_RETURN(ObjectReader lp, ObjectReader::Open(v, p));
                             bool enabled = false;
                             RETURN_IF_ERROR(lp.Bool("initProcessEnabled", &enabled));
                             return enabled;
                           }));
  c->init_process_enabled = init.value_or(false);
  std::optional<std::string> driver;
  RETURN_IF_ERROR(r.Object("logConfiguration", &driver,
                           [](const boost::json::value& v,
                              const std::string& p) -> absl::StatusOr<std::string> {
                             ASSIGN_OR_RETURN(ObjectReader lc, ObjectReader::Open(v, p));
                             std::string name;
                             RETURN_IF_ERROR(lc.RequiredString("logDriver", &name));
                             return name;
                           }));
  if (driver.has_value()) {
    c->log_driver = *std::move(driver);
  }
  if (const boost::json::value* labels = o.if_contains("dockerLabels");
      labels != nullptr && !labels->is_null()) {
    std::string labels_path = MemberPath(path, "dockerLabels");
    const boost::json::object* lo = labels->if_object();
    if (lo == nullptr) {
      return FieldError(labels_path, "expected a map of strings");
    }
    for (const auto& member : *lo) {
      const boost::json::string* s = member.value().if_string();
      if (s == nullptr) {
        return FieldError(MemberPath(labels_path, std::string(member.key())), "expected a string");
      }
      c->docker_labels.emplace_back(std::string(member.key()), std::string(*s));
    }
  }
  return absl::OkStatus();
}

// Applies one ContainerOverride (ECS's command, environment, cpu, memory,
// memoryReservation; the rest is not the agent's) to the named container.
absl::Status ApplyOverride(const boost::json::value& json, const std::string& path,
                           std::vector<ContainerSpec>* containers) {
  ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Open(json, path));
  std::string name;
  RETURN_IF_ERROR(r.RequiredString("name", &name));
  ContainerSpec* target = nullptr;
  for (ContainerSpec& c : *containers) {
    if (c.name == name) {
      target = &c;
    }
  }
  if (target == nullptr) {
    return FieldError(MemberPath(path, "name"),
                      absl::StrCat("no container named ", Quoted(name), " in the task definition"));
  }
  const boost::json::object& o = json.get_object();
  std::optional<std::vector<std::string>> command;
  RETURN_IF_ERROR(OptionalStringList(o, "command", path, &command));
  if (command.has_value()) {
    target->command = *std::move(command);
  }
  std::vector<std::pair<std::string, std::string>> environment;
  RETURN_IF_ERROR(Environment(o, path, &environment));
  for (std::pair<std::string, std::string>& entry : environment) {
    const std::string& key = entry.first;
    std::erase_if(target->environment, [&key](const auto& e) { return e.first == key; });
    target->environment.push_back(std::move(entry));
  }
  std::optional<int32_t> cpu;
  RETURN_IF_ERROR(r.Int32("cpu", &cpu));
  if (cpu.has_value()) {
    target->cpu = *cpu;
  }
  std::optional<int32_t> memory, reservation;
  RETURN_IF_ERROR(r.Int32("memory", &memory));
  RETURN_IF_ERROR(r.Int32("memoryReservation", &reservation));
  if (memory.has_value()) {
    target->memory = memory;
  }
  if (reservation.has_value()) {
    target->memory_reservation = reservation;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<int64_t>> TaskSize(
    const std::optional<std::string>& text, const std::string& path,
    absl::StatusOr<int64_t> (*parse)(std::string_view)) {
  if (!text.has_value()) {
    return std::optional<int64_t>();
  }
  absl::StatusOr<int64_t> value = parse(*text);
  if (!value.ok()) {
    return FieldError(path, Std(value.status().message()));
  }
  return std::optional<int64_t>(*value);
}

// Finds a dependency cycle by depth-first search; returns it as
// "a -> b -> a", or "" when there is none.
std::string FindCycle(const TaskSpec& spec) {
  std::map<std::string_view, const ContainerSpec*> by_name;
  for (const ContainerSpec& c : spec.containers) {
    by_name.emplace(c.name, &c);
  }
  enum class Mark { kNone, kOpen, kDone };
  std::map<std::string_view, Mark> marks;
  std::vector<std::string_view> stack;
  std::string cycle;
  // Iterative DFS: each frame is a container and the index of its next edge.
  for (const ContainerSpec& root : spec.containers) {
    if (marks[root.name] != Mark::kNone) {
      continue;
    }
    std::vector<std::pair<const ContainerSpec*, size_t>> frames{{&root, 0}};
    marks[root.name] = Mark::kOpen;
    stack.push_back(root.name);
    while (!frames.empty()) {
      auto& [c, next] = frames.back();
      if (next == c->depends_on.size()) {
        marks[c->name] = Mark::kDone;
        stack.pop_back();
        frames.pop_back();
        continue;
      }
      std::string_view target = c->depends_on[next++].container_name;
      auto found = by_name.find(target);
      if (found == by_name.end()) {
        continue;  // reported separately
      }
      Mark& mark = marks[target];
      if (mark == Mark::kOpen) {
        auto start = std::find(stack.begin(), stack.end(), target);
        std::vector<std::string> names(start, stack.end());
        names.emplace_back(target);
        return absl::StrJoin(names, " -> ");
      }
      if (mark == Mark::kNone) {
        mark = Mark::kOpen;
        stack.push_back(target);
        frames.emplace_back(found->second, 0);
      }
    }
  }
  return cycle;
}

}  // namespace

std::string_view ToString(DependencyCondition condition) {
  switch (condition) {
    case DependencyCondition::kStart:
      return "START";
    case DependencyCondition::kComplete:
      return "COMPLETE";
    case DependencyCondition::kSuccess:
      return "SUCCESS";
    case DependencyCondition::kHealthy:
      return "HEALTHY";
  }
  return "START";
}

std::optional<DependencyCondition> ParseDependencyCondition(std::string_view text) {
  for (DependencyCondition c : {DependencyCondition::kStart, DependencyCondition::kComplete,
                                DependencyCondition::kSuccess, DependencyCondition::kHealthy}) {
    if (ToString(c) == text) {
      return c;
    }
  }
  return std::nullopt;
}

const ContainerSpec* TaskSpec::FindContainer(std::string_view name) const {
  for (const ContainerSpec& c : containers) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

std::string_view TaskIdOfArn(std::string_view arn) {
  size_t slash = arn.rfind('/');
  return slash == std::string_view::npos ? arn : arn.substr(slash + 1);
}

absl::Status ValidateTaskSpec(const TaskSpec& spec, std::string_view id_path,
                              std::string_view containers_path) {
  if (!IsTaskId(spec.id)) {
    return FieldError(id_path, absl::StrCat("expected a task id of 1 to 255 letters, digits and "
                                            "hyphens, got ",
                                            Quoted(spec.id)));
  }
  if (spec.containers.empty()) {
    return FieldError(containers_path, "expected at least one container");
  }
  std::set<std::string_view> names;
  for (size_t i = 0; i < spec.containers.size(); ++i) {
    const ContainerSpec& c = spec.containers[i];
    std::string path = ElementPath(containers_path, i);
    if (!IsContainerName(c.name)) {
      return FieldError(MemberPath(path, "name"),
                        absl::StrCat("expected 1 to 255 letters, digits, hyphens and "
                                     "underscores, got ",
                                     Quoted(c.name)));
    }
    if (!names.insert(c.name).second) {
      return FieldError(MemberPath(path, "name"),
                        absl::StrCat("duplicate container name ", Quoted(c.name)));
    }
    if (c.image.empty()) {
      return FieldError(MemberPath(path, "image"), "required");
    }
    struct Size {
      std::string_view key;
      std::optional<int32_t> value;
    };
    for (const Size& size : {Size{"cpu", c.cpu}, Size{"memory", c.memory},
                             Size{"memoryReservation", c.memory_reservation},
                             Size{"startTimeout", c.start_timeout},
                             Size{"stopTimeout", c.stop_timeout}}) {
      if (size.value.has_value() && *size.value < 0) {
        return FieldError(MemberPath(path, size.key),
                          absl::StrCat("expected a non-negative integer, got ", *size.value));
      }
    }
  }
  for (size_t i = 0; i < spec.containers.size(); ++i) {
    const ContainerSpec& c = spec.containers[i];
    for (size_t j = 0; j < c.depends_on.size(); ++j) {
      const std::string& target = c.depends_on[j].container_name;
      if (!names.contains(target) || target == c.name) {
        return FieldError(
            MemberPath(ElementPath(MemberPath(ElementPath(containers_path, i), "dependsOn"), j),
                       "containerName"),
            absl::StrCat("expected another container of the task, got ", Quoted(target)));
      }
    }
  }
  if (std::string cycle = FindCycle(spec); !cycle.empty()) {
    return FieldError(containers_path,
                      absl::StrCat("the dependsOn conditions form a cycle: ", cycle));
  }
  return absl::OkStatus();
}

absl::StatusOr<TaskSpec> DecodeTaskPayload(std::string_view json) {
  ASSIGN_OR_RETURN(boost::json::value payload, ecs::ParseJson(json));
  if (!payload.is_object()) {
    return absl::InvalidArgumentError("invalid task payload: expected a JSON object");
  }
  const boost::json::object& p = payload.get_object();
  const boost::json::value* task_json = p.if_contains("task");
  const boost::json::value* definition_json = p.if_contains("taskDefinition");
  if (task_json == nullptr || task_json->is_null()) {
    return FieldError("task", "required");
  }
  if (definition_json == nullptr || definition_json->is_null()) {
    return FieldError("taskDefinition", "required");
  }
  // Only the members the agent reads go through ecs/'s codec, which checks
  // every member it models: a value a later berth-control may send (a new
  // definition status, a new placement constraint) must not fail the task.
  boost::json::value definition_members = boost::json::object();
  if (const boost::json::object* d = definition_json->if_object()) {
    for (std::string_view key : {"taskDefinitionArn", "containerDefinitions", "family",
                                 "networkMode", "revision", "cpu", "memory"}) {
      if (const boost::json::value* v = d->if_contains(key)) {
        definition_members.get_object()[key] = *v;
      }
    }
  } else {
    definition_members = *definition_json;  // the codec names the wrong type
  }
  ASSIGN_OR_RETURN(ecs::TaskDefinition definition,
                   ecs::TaskDefinitionFromJson(definition_members, "taskDefinition"));
  ASSIGN_OR_RETURN(ObjectReader t, ObjectReader::Open(*task_json, "task"));

  TaskSpec spec;
  RETURN_IF_ERROR(t.RequiredString("taskArn", &spec.arn));
  spec.id = std::string(TaskIdOfArn(spec.arn));
  RETURN_IF_ERROR(t.String("clusterArn", &spec.cluster_arn));
  RETURN_IF_ERROR(t.String("containerInstanceArn", &spec.container_instance_arn));
  spec.task_definition_arn = definition.task_definition_arn;
  RETURN_IF_ERROR(t.String("taskDefinitionArn", &spec.task_definition_arn));
  spec.family = definition.family;
  spec.revision = definition.revision;
  RETURN_IF_ERROR(t.String("desiredStatus", &spec.desired_status));
  RETURN_IF_ERROR(t.String("launchType", &spec.launch_type));
  RETURN_IF_ERROR(t.String("availabilityZone", &spec.availability_zone));
  RETURN_IF_ERROR(t.String("group", &spec.group));
  RETURN_IF_ERROR(t.String("startedBy", &spec.started_by));
  RETURN_IF_ERROR(t.Int64("version", &spec.version));
  spec.network_mode = definition.EffectiveNetworkMode();

  // Task size: the task's (overrides applied by control), else the
  // definition's.
  std::optional<std::string> cpu = definition.cpu, memory = definition.memory;
  std::string cpu_path = "taskDefinition.cpu", memory_path = "taskDefinition.memory";
  std::optional<std::string> task_cpu, task_memory;
  RETURN_IF_ERROR(t.String("cpu", &task_cpu));
  RETURN_IF_ERROR(t.String("memory", &task_memory));
  if (task_cpu.has_value()) {
    cpu = std::move(task_cpu);
    cpu_path = "task.cpu";
  }
  if (task_memory.has_value()) {
    memory = std::move(task_memory);
    memory_path = "task.memory";
  }
  ASSIGN_OR_RETURN(spec.cpu_units, TaskSize(cpu, cpu_path, &ecs::ParseTaskCpu));
  ASSIGN_OR_RETURN(spec.memory_mib, TaskSize(memory, memory_path, &ecs::ParseTaskMemory));

  for (size_t i = 0; i < definition.container_definitions.size(); ++i) {
    ecs::ContainerDefinition& d = definition.container_definitions[i];
    std::string path = ElementPath("taskDefinition.containerDefinitions", i);
    ContainerSpec c;
    c.name = std::move(d.name);
    c.image = std::move(d.image);
    c.cpu = d.cpu;
    c.memory = d.memory;
    c.memory_reservation = d.memory_reservation;
    c.essential = d.essential.value_or(true);
    c.port_mappings = std::move(d.port_mappings);
    boost::json::value other(std::move(d.other));
    RETURN_IF_ERROR(ReadAgentMembers(other, path, &c));
    spec.containers.push_back(std::move(c));
  }

  std::optional<bool> overrides_seen;
  RETURN_IF_ERROR(t.Object("overrides", &overrides_seen,
                           [&spec](const boost::json::value& v,
                                   const std::string& path) -> absl::StatusOr<bool> {
                             ASSIGN_OR_RETURN(ObjectReader o, ObjectReader::Open(v, path));
                             std::vector<bool> applied;
                             RETURN_IF_ERROR(o.List(
                                 "containerOverrides", &applied,
                                 [&spec](const boost::json::value& item,
                                         const std::string& p) -> absl::StatusOr<bool> {
                                   RETURN_IF_ERROR(ApplyOverride(item, p, &spec.containers));
                                   return true;
                                 }));
                             return true;
                           }));

  if (spec.desired_status != "RUNNING" && spec.desired_status != "STOPPED") {
    return FieldError("task.desiredStatus", absl::StrCat("expected one of RUNNING, STOPPED, got ",
                                                         Quoted(spec.desired_status)));
  }
  RETURN_IF_ERROR(ValidateTaskSpec(spec, "task.taskArn", "taskDefinition.containerDefinitions"));
  return spec;
}

}  // namespace berth::agent
