#include "control/api/ops/task_definition_request.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/json/serialize.hpp"
#include "control/api/ecs_error.h"
#include "control/api/ops/validate.h"
#include "control/api/request_decoder.h"
#include "control/scheduler/query/query.h"
#include "ecs/task_definition_json.h"
#include "ecs/task_size.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control::ops {
namespace {

// RegisterTaskDefinitionRequest's members that become part of the
// definition (tags are returned beside it).
constexpr std::string_view kRequestMembers[] = {
    "family",        "taskRoleArn",          "executionRoleArn", "networkMode",
    "containerDefinitions", "volumes",       "placementConstraints",
    "requiresCompatibilities", "cpu",        "memory",           "pidMode",
    "ipcMode",       "proxyConfiguration",   "inferenceAccelerators",
    "ephemeralStorage", "runtimePlatform",   "enableFaultInjection"};

constexpr size_t kMaxTaskDefinitionBytes = 64 * 1024;

constexpr std::string_view kNameRule =
    "Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are "
    "allowed.";

// The ecs codec's "invalid field 'P': W" as the API's error: a wrong JSON
// type is a SerializationException (as Args words it), anything else an
// InvalidParameterException.
absl::Status FromCodec(const absl::Status& status) {
  std::string_view message = Std(status.message());
  constexpr std::string_view kPrefix = "invalid field '";
  size_t end = message.find("': ");
  if (!absl::StartsWith(Absl(message), Absl(kPrefix)) || end == std::string_view::npos) {
    return InvalidParameter(message);
  }
  std::string_view path = message.substr(kPrefix.size(), end - kPrefix.size());
  std::string_view what = message.substr(end + 3);
  if (absl::StartsWith(Absl(what), "expected a ") || absl::StartsWith(Absl(what), "expected an ")) {
    return EcsError(ecs_errors::kSerialization,
                    absl::StrCat("Invalid type for '", Absl(path), "': ", Absl(what), "."));
  }
  return InvalidParameter(absl::StrCat("Invalid value for '", Absl(path), "': ", Absl(what), "."));
}

bool IsValidImage(std::string_view image) {
  if (image.size() > kMaxImageLength) {
    return false;
  }
  // The documented set (letters, numbers, - _ : . / #) and '@' of
  // "repository-url/image@digest", which the same documentation shows.
  return std::all_of(image.begin(), image.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
           c == ':' || c == '.' || c == '/' || c == '#' || c == '@';
  });
}

absl::Status ValidateContainer(const ecs::ContainerDefinition& c, bool task_memory_set,
                               ecs::NetworkMode mode) {
  if (c.image.empty()) {
    return ClientError("Container.image should not be null or empty.");
  }
  if (!IsValidResourceName(c.name)) {
    return ClientError(absl::StrCat("Invalid container name '", Excerpt(c.name), "'. ",
                                    Absl(kNameRule)));
  }
  if (!IsValidImage(c.image)) {
    return ClientError(absl::StrCat(
        "Invalid image '", Excerpt(c.image), "' for container '", c.name,
        "'. Up to 255 letters (uppercase and lowercase), numbers, hyphens, underscores, colons, "
        "periods, forward slashes, number signs and @ are allowed."));
  }
  if (c.cpu < 0) {
    return ClientError(absl::StrCat("Invalid 'cpu' setting for container '", c.name,
                                    "'. It cannot be negative."));
  }
  if (!c.memory.has_value() && !c.memory_reservation.has_value() && !task_memory_set) {
    return ClientError(absl::StrCat("Invalid setting for container '", c.name,
                                    "'. At least one of 'memory' or 'memoryReservation' must "
                                    "be specified."));
  }
  for (auto [value, member] : {std::pair{c.memory, "memory"},
                               std::pair{c.memory_reservation, "memoryReservation"}}) {
    if (value.has_value() && *value < kMinContainerMemoryMiB) {
      return ClientError(absl::StrCat("Invalid '", member, "' setting for container '", c.name,
                                      "'. The minimum is ", kMinContainerMemoryMiB, " MiB."));
    }
  }
  if (c.memory.has_value() && c.memory_reservation.has_value() &&
      *c.memory <= *c.memory_reservation) {
    return ClientError(absl::StrCat("Invalid setting for container '", c.name,
                                    "'. 'memory' must be greater than 'memoryReservation'."));
  }
  if (mode == ecs::NetworkMode::kNone && !c.port_mappings.empty()) {
    return ClientError(absl::StrCat("Invalid setting for container '", c.name,
                                    "'. Port mappings are not supported when networkMode=none."));
  }
  for (const ecs::PortMapping& p : c.port_mappings) {
    if (!p.container_port.has_value() || *p.container_port < 1 || *p.container_port > 65535) {
      return ClientError(absl::StrCat("Invalid port mapping for container '", c.name,
                                      "'. containerPort must be between 1 and 65535."));
    }
    if (p.host_port.has_value() && (*p.host_port < 0 || *p.host_port > 65535)) {
      return ClientError(absl::StrCat("Invalid port mapping for container '", c.name,
                                      "'. hostPort must be between 0 and 65535."));
    }
    if ((mode == ecs::NetworkMode::kHost || mode == ecs::NetworkMode::kAwsvpc) &&
        p.host_port.has_value() && *p.host_port != *p.container_port) {
      return ClientError(absl::StrCat("When networkMode=", Absl(ecs::ToString(mode)),
                                      ", the host ports and container ports in port mappings "
                                      "must match."));
    }
  }
  return absl::OkStatus();
}

// dependsOn: each entry names another container of the definition with a
// valid condition; HEALTHY needs the other container's healthCheck; no cycles.
absl::Status ValidateDependencies(const ecs::TaskDefinition& definition) {
  std::map<std::string, const ecs::ContainerDefinition*> by_name;
  for (const ecs::ContainerDefinition& c : definition.container_definitions) {
    by_name[c.name] = &c;
  }
  std::map<std::string, std::vector<std::string>> edges;
  for (size_t i = 0; i < definition.container_definitions.size(); ++i) {
    const ecs::ContainerDefinition& c = definition.container_definitions[i];
    const boost::json::value* depends = c.other.if_contains("dependsOn");
    if (depends == nullptr || depends->is_null()) {
      continue;
    }
    std::string path = absl::StrCat("containerDefinitions[", i, "].dependsOn");
    if (!depends->is_array()) {
      return WrongType(path, "a list", *depends);
    }
    for (size_t j = 0; j < depends->get_array().size(); ++j) {
      const boost::json::value& item = depends->get_array()[j];
      std::string item_path = absl::StrCat(path, "[", j, "]");
      if (!item.is_object()) {
        return WrongType(item_path, "a structure", item);
      }
      Args dep(item.get_object(), item_path);
      std::string target, condition;
      RETURN_IF_ERROR(dep.Require("containerName", &target));
      RETURN_IF_ERROR(dep.Require("condition", &condition));
      if (condition != "START" && condition != "COMPLETE" && condition != "SUCCESS" &&
          condition != "HEALTHY") {
        return ClientError(absl::StrCat("Invalid dependency condition '", Excerpt(condition),
                                        "' for container '", c.name,
                                        "'. Valid values are START, COMPLETE, SUCCESS and "
                                        "HEALTHY."));
      }
      auto found = by_name.find(target);
      if (found == by_name.end() || target == c.name) {
        return ClientError(absl::StrCat("Container '", c.name, "' depends on container '",
                                        Excerpt(target),
                                        "', which is not another container of this task "
                                        "definition."));
      }
      if (condition == "HEALTHY" && !found->second->other.contains("healthCheck")) {
        return ClientError(absl::StrCat("Container '", c.name, "' depends on container '",
                                        target,
                                        "' being HEALTHY, but that container has no "
                                        "healthCheck."));
      }
      edges[c.name].push_back(target);
    }
  }
  // Cycle check: repeatedly remove containers with no remaining dependencies.
  std::map<std::string, size_t> pending;
  for (const auto& [name, targets] : edges) {
    pending[name] = targets.size();
  }
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto it = pending.begin(); it != pending.end();) {
      size_t left = 0;
      for (const std::string& t : edges[it->first]) {
        left += pending.contains(t) ? 1 : 0;
      }
      if (left == 0) {
        it = pending.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
  }
  if (!pending.empty()) {
    return ClientError(absl::StrCat("The container dependencies of container '",
                                    pending.begin()->first, "' form a cycle."));
  }
  return absl::OkStatus();
}

// Fargate's task sizes: cpu → memory from `lo` to `hi` MiB in `step`s.
bool IsFargateSize(int64_t cpu, int64_t memory) {
  struct Range {
    int64_t cpu, lo, hi, step;
  };
  if (cpu == 256) {
    return memory == 512 || memory == 1024 || memory == 2048;
  }
  constexpr Range kSizes[] = {{512, 1024, 4096, 1024},
                              {1024, 2048, 8192, 1024},    {2048, 4096, 16384, 1024},
                              {4096, 8192, 30720, 1024},   {8192, 16384, 61440, 4096},
                              {16384, 32768, 122880, 8192}};
  for (const Range& r : kSizes) {
    if (r.cpu == cpu) {
      return memory >= r.lo && memory <= r.hi && (memory - r.lo) % r.step == 0;
    }
  }
  return false;
}

absl::Status ValidateTaskSize(const ecs::TaskDefinition& d, bool fargate,
                              std::optional<int64_t>* cpu, std::optional<int64_t>* memory) {
  if (d.cpu.has_value()) {
    absl::StatusOr<int64_t> units = ecs::ParseTaskCpu(*d.cpu);
    if (!units.ok()) {
      return ClientError(absl::StrCat("Invalid 'cpu' setting for task: '", Excerpt(*d.cpu),
                                      "'. Use CPU units (\"1024\") or vCPUs (\"1 vCPU\")."));
    }
    if (!fargate && (*units < kMinTaskCpuUnits || *units > kMaxTaskCpuUnits)) {
      return ClientError(absl::StrCat("Invalid 'cpu' setting for task. The task cpu must be "
                                      "between 128 and 10240 CPU units; got ", *units, "."));
    }
    *cpu = *units;
  }
  if (d.memory.has_value()) {
    absl::StatusOr<int64_t> mib = ecs::ParseTaskMemory(*d.memory);
    if (!mib.ok() || *mib < kMinContainerMemoryMiB) {
      return ClientError(absl::StrCat("Invalid 'memory' setting for task: '",
                                      Excerpt(*d.memory),
                                      "'. Use MiB (\"2048\") or GB (\"2 GB\"), at least ",
                                      kMinContainerMemoryMiB, " MiB."));
    }
    *memory = *mib;
  }
  if (fargate) {
    if (d.EffectiveNetworkMode() != ecs::NetworkMode::kAwsvpc) {
      return ClientError("Fargate only supports network mode 'awsvpc'.");
    }
    if (!cpu->has_value() || !memory->has_value()) {
      return ClientError(
          "Fargate requires that 'cpu' and 'memory' be defined at the task level.");
    }
    if (!IsFargateSize(**cpu, **memory)) {
      return ClientError(absl::StrCat("No Fargate configuration exists for given values: ",
                                      **cpu, " CPU, ", **memory, " memory."));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTaskDefinition(const ecs::TaskDefinition& d) {
  if (d.family.empty()) {
    return ClientError("Family should not be null or empty.");
  }
  if (!IsValidResourceName(d.family)) {
    return ClientError(absl::StrCat("Family contains invalid characters. ", Absl(kNameRule)));
  }
  if (d.container_definitions.empty()) {
    return ClientError("Container list cannot be empty.");
  }
  if (d.container_definitions.size() > kMaxContainersPerTaskDefinition) {
    return ClientError(absl::StrCat("Too many containers. A task definition can have at most ",
                                    kMaxContainersPerTaskDefinition, " containers; this one has ",
                                    d.container_definitions.size(), "."));
  }
  bool fargate = false;
  for (const std::string& c : d.requires_compatibilities) {
    if (c != "EC2" && c != "FARGATE" && c != "EXTERNAL") {
      return ClientError(absl::StrCat("Invalid requiresCompatibilities value '", Excerpt(c),
                                      "'. Valid values are EC2, FARGATE and EXTERNAL."));
    }
    fargate = fargate || c == "FARGATE";
  }
  std::optional<int64_t> task_cpu, task_memory;
  RETURN_IF_ERROR(ValidateTaskSize(d, fargate, &task_cpu, &task_memory));

  std::set<std::string, std::less<>> names;
  bool essential = false;
  int64_t reserved = 0;
  for (const ecs::ContainerDefinition& c : d.container_definitions) {
    if (c.name.empty()) {
      return ClientError("Container.name should not be null or empty.");
    }
    RETURN_IF_ERROR(ValidateContainer(c, task_memory.has_value(), d.EffectiveNetworkMode()));
    if (!names.insert(c.name).second) {
      return ClientError(absl::StrCat("Duplicate container name '", c.name,
                                      "'. Container names must be unique within a task "
                                      "definition."));
    }
    essential = essential || c.essential.value_or(true);
    if (task_memory.has_value() && c.memory.has_value() && *c.memory > *task_memory) {
      return ClientError(absl::StrCat("The 'memory' setting for container '", c.name,
                                      "' is greater than for the task."));
    }
    if (task_cpu.has_value() && c.cpu > *task_cpu) {
      return ClientError(absl::StrCat("The 'cpu' setting for container '", c.name,
                                      "' is greater than for the task."));
    }
    reserved += c.memory_reservation.value_or(c.memory.value_or(0));
  }
  if (task_memory.has_value() && reserved > *task_memory) {
    return ClientError(absl::StrCat("The containers reserve ", reserved,
                                    " MiB of memory, more than the task's ", *task_memory,
                                    " MiB."));
  }
  if (!essential) {
    return ClientError("A task definition must have at least one essential container.");
  }
  RETURN_IF_ERROR(ValidateDependencies(d));

  if (d.placement_constraints.size() > kMaxTaskDefinitionPlacementConstraints) {
    return InvalidParameter(absl::StrCat(
        "Too many placement constraints. A task definition can have at most ",
        kMaxTaskDefinitionPlacementConstraints, "; this one has ",
        d.placement_constraints.size(), "."));
  }
  for (size_t i = 0; i < d.placement_constraints.size(); ++i) {
    const std::optional<std::string>& expression = d.placement_constraints[i].expression;
    if (!expression.has_value() || expression->empty()) {
      return InvalidParameter(absl::StrCat("placementConstraints[", i,
                                           "]: a memberOf constraint needs an expression."));
    }
    auto parsed = scheduler::query::ParseCached(*expression);
    if (!parsed.ok()) {
      return InvalidParameter(absl::StrCat("placementConstraints[", i, "].expression '",
                                           Excerpt(*expression, 128),
                                           "' is not valid: ", parsed.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ecs::TaskDefinition> ReadTaskDefinitionRequest(const Args& args) {
  std::string family;
  RETURN_IF_ERROR(args.Require("family", &family));
  const boost::json::value* containers = args.object().if_contains("containerDefinitions");
  if (containers == nullptr || containers->is_null()) {
    return MissingParameter("containerDefinitions");
  }
  boost::json::object request;
  for (std::string_view member : kRequestMembers) {
    if (const boost::json::value* v = args.object().if_contains(member)) {
      if (!v->is_null()) {
        request[member] = *v;
      }
    }
  }
  absl::StatusOr<ecs::TaskDefinition> definition = ecs::TaskDefinitionFromJson(request);
  if (!definition.ok()) {
    return FromCodec(definition.status());
  }
  if (boost::json::serialize(request).size() > kMaxTaskDefinitionBytes) {
    return ClientError("The task definition is larger than the 64 KiB ECS allows.");
  }
  RETURN_IF_ERROR(ValidateTaskDefinition(*definition));
  return definition;
}

std::vector<ecs::Attribute> DerivedRequiresAttributes(const ecs::TaskDefinition& d) {
  std::set<std::string> names;
  if (d.task_role_arn.has_value()) {
    names.insert("com.amazonaws.ecs.capability.task-iam-role");
  }
  if (d.EffectiveNetworkMode() == ecs::NetworkMode::kAwsvpc) {
    names.insert("ecs.capability.task-eni");
  }
  for (const ecs::ContainerDefinition& c : d.container_definitions) {
    if (const boost::json::value* v = c.other.if_contains("dependsOn");
        v != nullptr && v->is_array() && !v->get_array().empty()) {
      names.insert("ecs.capability.container-ordering");
    }
    if (c.other.contains("healthCheck")) {
      names.insert("ecs.capability.container-health-check");
    }
    if (const boost::json::value* log = c.other.if_contains("logConfiguration");
        log != nullptr && log->is_object()) {
      if (const boost::json::value* driver = log->get_object().if_contains("logDriver");
          driver != nullptr && driver->is_string()) {
        names.insert(absl::StrCat("com.amazonaws.ecs.capability.logging-driver.",
                                  std::string(driver->get_string())));
      }
    }
  }
  std::vector<ecs::Attribute> out;
  for (const std::string& name : names) {
    ecs::Attribute a;
    a.name = name;
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<std::string> DerivedCompatibilities(const ecs::TaskDefinition& d) {
  std::vector<std::string> out = {"EXTERNAL", "EC2"};
  if (std::find(d.requires_compatibilities.begin(), d.requires_compatibilities.end(),
                "FARGATE") != d.requires_compatibilities.end()) {
    out.push_back("FARGATE");
  }
  return out;
}

}  // namespace berth::control::ops
