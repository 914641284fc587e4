#include "agent/endpoints/task_views.h"

#include <string>

#include "agent/endpoints/go_json.h"
#include "boost/json/value.hpp"

namespace berth::agent::endpoints {
namespace {

namespace json = boost::json;

json::string Str(std::string_view s) { return json::string(s.data(), s.size()); }

const ContainerSpec* SpecOf(const TaskSpec& spec, size_t index, std::string_view name) {
  // Parallel to spec.containers; the name check guards a state out of step.
  if (index < spec.containers.size() && spec.containers[index].name == name) {
    return &spec.containers[index];
  }
  for (const ContainerSpec& c : spec.containers) {
    if (c.name == name) {
      return &c;
    }
  }
  return nullptr;
}

json::object Port(int64_t container_port, std::string_view protocol, int64_t host_port,
                  std::string_view host_ip) {
  json::object port;
  if (container_port != 0) {
    port["ContainerPort"] = container_port;
  }
  if (!protocol.empty()) {
    port["Protocol"] = Str(protocol);
  }
  if (host_port != 0) {
    port["HostPort"] = host_port;
  }
  if (!host_ip.empty()) {
    port["HostIp"] = Str(host_ip);
  }
  return port;
}

}  // namespace

std::string_view V1DesiredStatus(TaskStatus known, TaskStatus desired) {
  std::string_view known_backend = BackendStatus(known);
  std::string_view desired_backend = BackendStatus(desired);
  if ((known_backend == "STOPPED" && desired_backend != "STOPPED") ||
      (known_backend == "RUNNING" && desired_backend == "PENDING")) {
    return "";
  }
  return desired_backend;
}

json::array PortsView(const TaskSpec& task, const ContainerSpec* container,
                      const ContainerState& state) {
  bool awsvpc = task.network_mode == ecs::NetworkMode::kAwsvpc;
  json::array ports;
  if (!state.network_bindings.empty()) {
    for (const NetworkBinding& b : state.network_bindings) {
      ports.emplace_back(Port(b.container_port, b.protocol,
                              awsvpc ? b.container_port : b.host_port, b.bind_ip));
    }
    return ports;
  }
  if (container == nullptr) {
    return ports;
  }
  for (const ecs::PortMapping& m : container->port_mappings) {
    int64_t container_port = m.container_port.value_or(0);
    int64_t host_port = m.host_port.value_or(0);
    if (awsvpc || (task.network_mode == ecs::NetworkMode::kHost && !m.host_port.has_value())) {
      host_port = container_port;
    }
    ports.emplace_back(Port(container_port, ecs::ToString(m.EffectiveProtocol()), host_port, ""));
  }
  return ports;
}

json::object V1ContainerResponse(const TaskState& task, size_t index) {
  const ContainerState& state = task.containers[index];
  const ContainerSpec* spec = SpecOf(task.spec, index, state.name);
  json::object out;
  // berth picks a container's ids when the task arrives; Docker has them
  // only once the container is created, and so does this view.
  const bool created = state.created_at.has_value();
  out["DockerId"] = Str(created ? std::string_view(state.runtime_id) : std::string_view());
  out["DockerName"] = Str(created ? std::string_view(state.runtime_name) : std::string_view());
  out["Name"] = Str(state.name);
  out["Image"] = Str(spec != nullptr ? std::string_view(spec->image) : std::string_view());
  if (!state.image_id.empty()) {
    out["ImageID"] = Str(state.image_id);
  }
  if (state.created_at.has_value()) {
    out["CreatedAt"] = Str(GoTime(*state.created_at));
  }
  if (state.started_at.has_value()) {
    out["StartedAt"] = Str(GoTime(*state.started_at));
  }
  json::array ports = PortsView(task.spec, spec, state);
  if (!ports.empty()) {
    out["Ports"] = std::move(ports);
  }
  return out;
}

json::object V1TaskResponse(const TaskState& task) {
  json::object out;
  out["Arn"] = Str(task.spec.arn);
  std::string_view desired = V1DesiredStatus(task.known, task.desired);
  if (!desired.empty()) {
    out["DesiredStatus"] = Str(desired);
  }
  out["KnownStatus"] = Str(BackendStatus(task.known));
  out["Family"] = Str(task.spec.family);
  out["Version"] = std::to_string(task.spec.revision);
  json::array containers;
  for (size_t i = 0; i < task.containers.size(); ++i) {
    containers.emplace_back(V1ContainerResponse(task, i));
  }
  out["Containers"] = std::move(containers);
  return out;
}

json::object EmptyV1TaskResponse() {
  json::object out;
  out["Arn"] = "";
  out["KnownStatus"] = "";
  out["Family"] = "";
  out["Version"] = "";
  out["Containers"] = nullptr;
  return out;
}

json::object V1MetadataResponse(const AgentMetadata& metadata, std::string_view version) {
  json::object out;
  out["Cluster"] = Str(metadata.cluster);
  if (metadata.container_instance_arn.has_value()) {
    out["ContainerInstanceArn"] = Str(*metadata.container_instance_arn);
  } else {
    out["ContainerInstanceArn"] = nullptr;
  }
  out["Version"] = Str(version);
  if (metadata.accounting.has_value()) {
    json::object accounting;
    accounting["Enabled"] = metadata.accounting->enabled;
    accounting["Detail"] = Str(metadata.accounting->detail);
    out["Accounting"] = std::move(accounting);
  }
  return out;
}

}  // namespace berth::agent::endpoints
