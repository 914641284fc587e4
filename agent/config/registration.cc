#include "agent/config/registration.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/config/attribute_rules.h"
#include "boost/json/array.hpp"
#include "ecs/container_instance_json.h"
#include "ecs/json_text.h"
#include "io/absl_compat.h"

namespace berth::agent::config {
namespace {

ecs::Attribute Attr(std::string name, std::optional<std::string> value = std::nullopt) {
  ecs::Attribute a;
  a.name = std::move(name);
  a.value = std::move(value);
  return a;
}

absl::Status RequestError(std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("failed to build the RegisterContainerInstance request: ", Absl(what)));
}

}  // namespace

std::string AvailabilityZone(const AgentConfig& config) {
  if (config.availability_zone.has_value()) {
    return *config.availability_zone;
  }
  return absl::StrCat(config.region, "a");
}

std::string InstanceType(const AgentConfig& config, const HostFacts& host) {
  if (config.instance_type.has_value()) {
    return *config.instance_type;
  }
  if (host.ec2_instance_type.has_value() && IsValidAttributeValue(*host.ec2_instance_type)) {
    return *host.ec2_instance_type;
  }
  int64_t gib = std::max<int64_t>(1, (host.memory_mib + 512) / 1024);
  return absl::StrCat(host.cpus, "vcpu-", gib, "gib");
}

absl::StatusOr<RegisterRequest> BuildRegisterRequest(const AgentConfig& config,
                                                     const HostFacts& host,
                                                     const RegistrationInput& input) {
  RegisterRequest r;
  r.cluster = config.cluster;
  r.container_instance_arn = input.container_instance_arn;

  constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
  int64_t cpu = int64_t{host.cpus} * 1024;
  if (host.cpus < 1 || cpu > kMaxInt32) {
    return RequestError(absl::StrCat("the host's ", host.cpus, " CPUs do not make a CPU resource"));
  }
  int64_t memory = host.memory_mib - config.reserved_memory_mib;
  if (memory < 0) {
    return RequestError(absl::StrCat("ECS_RESERVED_MEMORY (", config.reserved_memory_mib,
                                     " MiB) is more than the host's memory (", host.memory_mib,
                                     " MiB)"));
  }
  if (memory > kMaxInt32) {
    return RequestError(absl::StrCat("the host's memory (", host.memory_mib,
                                     " MiB) does not fit the MEMORY resource"));
  }
  std::vector<int> ports = config.reserved_ports;
  for (int own : {config.introspection_address.port, config.metadata_address.port}) {
    // Port 0 (any free port, for tests running several agents) is no port.
    if (own != 0 && std::find(ports.begin(), ports.end(), own) == ports.end()) {
      ports.push_back(own);
    }
  }
  r.total_resources = {
      ecs::IntegerResource(ecs::kResourceCpu, static_cast<int32_t>(cpu)),
      ecs::IntegerResource(ecs::kResourceMemory, static_cast<int32_t>(memory)),
      ecs::PortsResource(ecs::kResourcePorts, ports),
      ecs::PortsResource(ecs::kResourcePortsUdp, config.reserved_ports_udp),
  };

  r.attributes = {
      Attr("ecs.os-type", "linux"),
      Attr("ecs.os-family", "LINUX"),
      Attr("ecs.cpu-architecture", EcsCpuArchitecture(host.machine)),
      Attr("ecs.availability-zone", AvailabilityZone(config)),
      Attr("ecs.instance-type", InstanceType(config, host)),
      Attr("berth.cgroup-enforcement", input.cgroup_enforcement ? "true" : "false"),
  };
  for (const ecs::Attribute& a : r.attributes) {
    if (!IsValidAttributeValue(*a.value)) {
      return RequestError(absl::StrCat("attribute ", a.name, " has the value '", *a.value,
                                       "', which ECS does not accept"));
    }
  }
  std::set<std::string> capabilities = {"ecs.capability.container-ordering"};
  if (config.task_cpu_mem_limit != Tristate::kDisabled) {
    capabilities.insert("ecs.capability.task-cpu-mem-limit");
  }
  for (const std::string& driver : config.available_logging_drivers) {
    if (IsImplementedLoggingDriver(driver)) {
      capabilities.insert(absl::StrCat("com.amazonaws.ecs.capability.logging-driver.", driver));
    }
  }
  for (const std::string& name : input.capabilities) {
    if (!IsValidAttributeName(name)) {
      return RequestError(absl::StrCat("capability '", name, "' is not ",
                                       Absl(kAttributeNameRule)));
    }
    capabilities.insert(name);
  }
  for (const std::string& name : capabilities) {
    r.attributes.push_back(Attr(name));
  }
  for (const auto& [name, value] : config.instance_attributes) {
    r.attributes.push_back(Attr(name, value));
  }
  for (const auto& [key, value] : config.instance_tags) {
    r.tags.push_back({key, value});
  }
  r.agent_version = input.agent_version;
  r.agent_hash = input.agent_hash;
  return r;
}

boost::json::object RegisterRequest::ToJson() const {
  boost::json::object o;
  o["cluster"] = cluster;
  if (container_instance_arn.has_value()) {
    o["containerInstanceArn"] = *container_instance_arn;
  }
  boost::json::array resources;
  for (const ecs::Resource& resource : total_resources) {
    resources.push_back(ecs::ToJson(resource));
  }
  o["totalResources"] = std::move(resources);
  boost::json::array attributes;
  for (const ecs::Attribute& attribute : this->attributes) {
    attributes.push_back(ecs::ToJson(attribute));
  }
  o["attributes"] = std::move(attributes);
  if (!tags.empty()) {
    boost::json::array list;
    for (const ecs::Tag& tag : tags) {
      list.push_back(boost::json::object{{"key", tag.key}, {"value", tag.value}});
    }
    o["tags"] = std::move(list);
  }
  if (!agent_version.empty() || !agent_hash.empty()) {
    boost::json::object version;
    if (!agent_version.empty()) {
      version["agentVersion"] = agent_version;
    }
    if (!agent_hash.empty()) {
      version["agentHash"] = agent_hash;
    }
    o["versionInfo"] = std::move(version);
  }
  return o;
}

std::string RegisterRequest::ToJsonText() const { return ecs::ToJsonText(ToJson()); }

}  // namespace berth::agent::config
