#ifndef BERTH_AGENT_CONFIG_REGISTRATION_H_
#define BERTH_AGENT_CONFIG_REGISTRATION_H_

// The RegisterContainerInstance request (reference §4), a pure function of
// the configuration, the host facts and what the agent can do:
//
//   totalResources  CPU = CPUs × 1024, MEMORY = MemTotal MiB −
//                   ECS_RESERVED_MEMORY, PORTS (ECS_RESERVED_PORTS plus the
//                   agent's own introspection and metadata ports), PORTS_UDP
//   attributes      ecs.os-type=linux, ecs.os-family=LINUX,
//                   ecs.cpu-architecture, ecs.availability-zone,
//                   ecs.instance-type, berth.cgroup-enforcement=true|false,
//                   capabilities (below), then ECS_INSTANCE_ATTRIBUTES
//   tags            ECS_CONTAINER_INSTANCE_TAGS
//
// Capabilities: ecs.capability.container-ordering (dependsOn),
// ecs.capability.task-cpu-mem-limit unless ECS_ENABLE_TASK_CPU_MEM_LIMIT is
// false, com.amazonaws.ecs.capability.logging-driver.<d> for each driver of
// ECS_AVAILABLE_LOGGING_DRIVERS that berth implements (json-file, none), and
// the ones the caller passes. These are the names berth-control derives into
// a task definition's requiresAttributes (dependsOn → container-ordering,
// logConfiguration → logging-driver.<d>), so a task using only what berth
// implements is placed; one using awslogs, a task role, awsvpc or a health
// check is not. privileged-container is not advertised (not implemented).

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/config/agent_config.h"
#include "agent/config/host_facts.h"
#include "boost/json/object.hpp"
#include "ecs/attribute.h"
#include "ecs/resource.h"
#include "ecs/tag.h"

namespace berth::agent::config {

struct RegistrationInput {
  // The ARN saved in ECS_DATADIR when re-registering.
  std::optional<std::string> container_instance_arn = {};
  // Whether cgroup v2 limits are enforced on this host.
  bool cgroup_enforcement = false;
  // Further capability attribute names the agent has (each a valid
  // attribute name, e.g. "ecs.capability.container-health-check").
  std::vector<std::string> capabilities = {};
  std::string agent_version = {};  // versionInfo.agentVersion, omitted if ""
  std::string agent_hash = {};     // versionInfo.agentHash, omitted if ""
};

struct RegisterRequest {
  std::string cluster = {};
  std::optional<std::string> container_instance_arn = {};
  std::vector<ecs::Resource> total_resources = {};
  std::vector<ecs::Attribute> attributes = {};
  std::vector<ecs::Tag> tags = {};
  std::string agent_version = {};
  std::string agent_hash = {};

  // The request body (ECS JSON 1.1 member names).
  boost::json::object ToJson() const;
  std::string ToJsonText() const;
};

// InvalidArgument when the host has less memory than ECS_RESERVED_MEMORY,
// when a resource does not fit ECS's 32-bit integers, or when a passed
// capability is not a valid attribute name.
absl::StatusOr<RegisterRequest> BuildRegisterRequest(const AgentConfig& config,
                                                     const HostFacts& host,
                                                     const RegistrationInput& input);

// ecs.availability-zone: BERTH_AVAILABILITY_ZONE, else "<region>a" (berth
// cannot ask EC2's metadata service; every node of a region is then in one
// zone, so spread-by-zone placement is a no-op until zones are configured).
std::string AvailabilityZone(const AgentConfig& config);
// ecs.instance-type: BERTH_INSTANCE_TYPE, else the EC2 type from DMI, else
// "<cpus>vcpu-<GiB>gib" with memory rounded to the nearest GiB (at least 1).
std::string InstanceType(const AgentConfig& config, const HostFacts& host);

}  // namespace berth::agent::config

#endif  // BERTH_AGENT_CONFIG_REGISTRATION_H_
