#include "agent/endpoints/task_metadata_views.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "agent/endpoints/go_json.h"
#include "agent/endpoints/task_views.h"
#include "boost/json/value.hpp"
#include "io/absl_compat.h"

namespace berth::agent::endpoints {
namespace {

namespace json = boost::json;

json::string Str(std::string_view s) { return json::string(s.data(), s.size()); }

// The minimum CPU units the Amazon agent shows (minimumCPUUnit).
constexpr int64_t kMinimumCpuUnits = 2;

void SetTime(json::object& out, std::string_view key, const std::optional<absl::Time>& t) {
  if (t.has_value()) {
    out[key] = GoTime(*t);
  }
}

}  // namespace

std::string_view MetadataTaskStatus(TaskStatus status) {
  switch (status) {
    case TaskStatus::kNone:
    case TaskStatus::kPulled:  // no string in the Amazon agent: NONE
      return "NONE";
    case TaskStatus::kCreated:
      return "CREATED";
    case TaskStatus::kRunning:
      return "RUNNING";
    case TaskStatus::kStopped:
      return "STOPPED";
  }
  return "NONE";
}

std::string_view MetadataContainerStatus(ContainerStatus status) {
  switch (status) {
    case ContainerStatus::kNone:
      return "NONE";
    case ContainerStatus::kPulled:
      return "PULLED";
    case ContainerStatus::kCreated:
      return "CREATED";
    case ContainerStatus::kRunning:
      return "RUNNING";
    case ContainerStatus::kStopped:
      return "STOPPED";
  }
  return "NONE";
}

json::object MetadataContainerResponse(const TaskState& task, size_t index,
                                       std::string_view cluster, MetadataVersion version) {
  const ContainerState& c = task.containers[index];
  const ContainerSpec* spec =
      index < task.spec.containers.size() ? &task.spec.containers[index] : nullptr;
  json::object out;
  out["DockerId"] = Str(c.runtime_id);
  out["Name"] = Str(c.name);
  out["DockerName"] = Str(c.runtime_name);
  out["Image"] = Str(spec != nullptr ? spec->image : "");
  if (!c.image_id.empty()) {
    out["ImageID"] = Str(c.image_id);
  }
  json::object labels;
  if (spec != nullptr) {
    for (const auto& [k, v] : spec->docker_labels) {
      labels[k] = Str(v);
    }
  }
  labels["com.amazonaws.ecs.cluster"] = Str(cluster);
  labels["com.amazonaws.ecs.container-name"] = Str(c.name);
  labels["com.amazonaws.ecs.task-arn"] = Str(task.spec.arn);
  labels["com.amazonaws.ecs.task-definition-family"] = Str(task.spec.family);
  labels["com.amazonaws.ecs.task-definition-version"] = absl::StrCat(task.spec.revision);
  out["Labels"] = std::move(labels);
  out["DesiredStatus"] = Str(MetadataContainerStatus(c.desired));
  out["KnownStatus"] = Str(MetadataContainerStatus(c.known));
  if (c.exit_code.has_value()) {
    out["ExitCode"] = *c.exit_code;
  }
  json::object limits;
  limits["CPU"] = std::max<int64_t>(spec != nullptr ? spec->cpu : 0, kMinimumCpuUnits);
  limits["Memory"] = spec != nullptr ? spec->memory.value_or(0) : 0;
  out["Limits"] = std::move(limits);
  SetTime(out, "CreatedAt", c.created_at);
  SetTime(out, "StartedAt", c.started_at);
  SetTime(out, "FinishedAt", c.finished_at);
  out["Type"] = "NORMAL";
  if (version == MetadataVersion::kV4 && spec != nullptr) {
    out["LogDriver"] = Str(spec->log_driver);
  }
  json::array networks;
  json::object host;
  host["NetworkMode"] = "host";
  networks.push_back(std::move(host));
  out["Networks"] = std::move(networks);
  json::array ports = PortsView(task.spec, spec, c);
  if (version == MetadataVersion::kV3) {
    for (json::value& p : ports) {
      p.as_object().erase("HostIp");
    }
  }
  if (!ports.empty()) {
    out["Ports"] = std::move(ports);
  }
  return out;
}

json::object MetadataTaskResponse(const TaskState& task, std::string_view cluster,
                                  MetadataVersion version) {
  json::object out;
  out["Cluster"] = Str(cluster);
  out["TaskARN"] = Str(task.spec.arn);
  out["Family"] = Str(task.spec.family);
  out["Revision"] = absl::StrCat(task.spec.revision);
  out["DesiredStatus"] = Str(MetadataTaskStatus(task.desired));
  out["KnownStatus"] = Str(MetadataTaskStatus(task.known));
  const int64_t cpu = task.spec.cpu_units.value_or(0);
  const int64_t memory = task.spec.memory_mib.value_or(0);
  if (cpu != 0 || memory != 0) {
    json::object limits;
    if (cpu != 0) {
      limits["CPU"] = static_cast<double>(cpu) / 1024.0;
    }
    if (memory != 0) {
      limits["Memory"] = memory;
    }
    out["Limits"] = std::move(limits);
  }
  SetTime(out, "PullStartedAt", task.pull_started_at);
  SetTime(out, "PullStoppedAt", task.pull_stopped_at);
  SetTime(out, "ExecutionStoppedAt", task.execution_stopped_at);
  out["AvailabilityZone"] = Str(task.spec.availability_zone);
  if (version == MetadataVersion::kV4) {
    out["LaunchType"] = Str(task.spec.launch_type);
  }
  json::array containers;
  for (size_t i = 0; i < task.containers.size(); ++i) {
    containers.push_back(MetadataContainerResponse(task, i, cluster, version));
  }
  out["Containers"] = std::move(containers);
  return out;
}

}  // namespace berth::agent::endpoints
