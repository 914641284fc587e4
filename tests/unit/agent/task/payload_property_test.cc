// DecodeTaskPayload against random specs: each random valid TaskSpec is
// written as berth-control writes a task message (the definition with every
// member the agent reads, the task with its size strings, container
// overrides that replace the definition's command, cpu and memory), and
// must decode back to exactly that spec. Then the same payloads with one
// rule broken must be refused naming the member.

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/task/task_spec.h"
#include "boost/json/serialize.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/task/random_state.h"

namespace berth::agent {
namespace {

using testing::Below;
using testing::Coin;
using testing::RandomSpec;

boost::json::array Strings(const std::vector<std::string>& items) {
  boost::json::array a;
  for (const std::string& s : items) {
    a.push_back(boost::json::string(s));
  }
  return a;
}

boost::json::array Environment(const std::vector<std::pair<std::string, std::string>>& env) {
  boost::json::array a;
  for (const auto& [name, value] : env) {
    a.push_back(boost::json::object{{"name", name}, {"value", value}});
  }
  return a;
}

// Makes a random spec expressible as a payload: environment names are
// non-empty and labels unique by key (a JSON object), the id is the ARN's.
TaskSpec Expressible(TaskSpec spec) {
  for (ContainerSpec& c : spec.containers) {
    for (auto& [name, value] : c.environment) {
      if (name.empty()) {
        name = "E";
      }
    }
    std::vector<std::pair<std::string, std::string>> labels;
    for (const auto& label : c.docker_labels) {
      bool seen = false;
      for (const auto& l : labels) {
        seen |= l.first == label.first;
      }
      if (!seen) {
        labels.push_back(label);
      }
    }
    c.docker_labels = std::move(labels);
  }
  return spec;
}

// The payload berth-control would send for `spec`.
std::string PayloadOf(const TaskSpec& spec, std::mt19937_64& rng) {
  boost::json::array definitions, overrides;
  for (const ContainerSpec& c : spec.containers) {
    boost::json::object d;
    d["name"] = c.name;
    d["image"] = c.image;
    d["cpu"] = c.cpu;
    if (c.memory.has_value()) d["memory"] = *c.memory;
    if (c.memory_reservation.has_value()) d["memoryReservation"] = *c.memory_reservation;
    if (!c.essential || Coin(rng)) d["essential"] = c.essential;  // absent = true
    if (c.entry_point.has_value()) d["entryPoint"] = Strings(*c.entry_point);
    if (c.command.has_value()) d["command"] = Strings(*c.command);
    if (!c.environment.empty() || Coin(rng)) d["environment"] = Environment(c.environment);
    if (c.working_directory.has_value()) d["workingDirectory"] = *c.working_directory;
    if (c.user.has_value()) d["user"] = *c.user;
    if (c.hostname.has_value()) d["hostname"] = *c.hostname;
    boost::json::array ports;
    for (const ecs::PortMapping& p : c.port_mappings) {
      boost::json::object o;
      if (p.container_port.has_value()) o["containerPort"] = *p.container_port;
      if (p.host_port.has_value()) o["hostPort"] = *p.host_port;
      if (p.protocol.has_value()) o["protocol"] = ecs::ToString(*p.protocol);
      if (p.name.has_value()) o["name"] = *p.name;
      if (p.app_protocol.has_value()) o["appProtocol"] = *p.app_protocol;
      ports.push_back(std::move(o));
    }
    d["portMappings"] = std::move(ports);
    if (!c.depends_on.empty()) {
      boost::json::array depends;
      for (const ContainerDependency& dep : c.depends_on) {
        depends.push_back(boost::json::object{{"containerName", dep.container_name},
                                              {"condition", ToString(dep.condition)}});
      }
      d["dependsOn"] = std::move(depends);
    }
    if (c.start_timeout.has_value()) d["startTimeout"] = *c.start_timeout;
    if (c.stop_timeout.has_value()) d["stopTimeout"] = *c.stop_timeout;
    if (c.init_process_enabled || Coin(rng)) {
      d["linuxParameters"] = boost::json::object{{"initProcessEnabled", c.init_process_enabled}};
    }
    if (c.readonly_root_filesystem || Coin(rng)) {
      d["readonlyRootFilesystem"] = c.readonly_root_filesystem;
    }
    if (c.log_driver != "json-file" || Coin(rng)) {
      d["logConfiguration"] = boost::json::object{{"logDriver", c.log_driver}};
    }
    if (!c.docker_labels.empty()) {
      boost::json::object labels;
      for (const auto& [k, v] : c.docker_labels) {
        labels[k] = v;
      }
      d["dockerLabels"] = std::move(labels);
    }
    d["mountPoints"] = boost::json::array();  // unmodeled by the agent

    // Half the containers get an override: the definition then holds
    // other values, which the override replaces.
    boost::json::object o{{"name", c.name}};
    if (Coin(rng)) {
      if (c.command.has_value()) {
        o["command"] = Strings(*c.command);
        d["command"] = Strings({"definition", "command"});
      }
      o["cpu"] = c.cpu;
      d["cpu"] = c.cpu + 1;
      if (c.memory.has_value()) {
        o["memory"] = *c.memory;
        d["memory"] = *c.memory + 1;
      }
      if (c.memory_reservation.has_value()) {
        o["memoryReservation"] = *c.memory_reservation;
        d.erase("memoryReservation");
      }
    }
    definitions.push_back(std::move(d));
    overrides.push_back(std::move(o));
  }
  boost::json::object definition{
      {"taskDefinitionArn", spec.task_definition_arn},
      {"containerDefinitions", std::move(definitions)},
      {"family", spec.family},
      {"revision", spec.revision},
      {"networkMode", ecs::ToString(spec.network_mode)},
      {"status", "ACTIVE"},
      {"volumes", boost::json::array()},
  };
  boost::json::object task{
      {"taskArn", spec.arn},
      {"clusterArn", spec.cluster_arn},
      {"containerInstanceArn", spec.container_instance_arn},
      {"taskDefinitionArn", spec.task_definition_arn},
      {"desiredStatus", spec.desired_status},
      {"lastStatus", "PENDING"},
      {"launchType", spec.launch_type},
      {"availabilityZone", spec.availability_zone},
      {"group", spec.group},
      {"startedBy", spec.started_by},
      {"overrides", boost::json::object{{"containerOverrides", std::move(overrides)},
                                        {"inferenceAcceleratorOverrides",
                                         boost::json::array()}}},
      {"tags", boost::json::array()},
  };
  if (spec.version.has_value()) task["version"] = *spec.version;
  // Task size: on the task (as control writes it) or only on the definition.
  auto size = [&](std::string_view key, const std::optional<int64_t>& value) {
    if (value.has_value()) {
      (Coin(rng) ? task : definition)[key] = absl::StrCat(*value);
    }
  };
  size("cpu", spec.cpu_units);
  size("memory", spec.memory_mib);
  return boost::json::serialize(
      boost::json::object{{"task", std::move(task)}, {"taskDefinition", std::move(definition)}});
}

TEST(PayloadPropertyTest, RandomSpecsDecodeFromTheirPayloads) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 400; ++i) {
    TaskSpec spec = Expressible(RandomSpec(rng));
    spec.launch_type = "EC2";
    std::string payload = PayloadOf(spec, rng);
    absl::StatusOr<TaskSpec> decoded = DecodeTaskPayload(payload);
    ASSERT_TRUE(decoded.ok()) << decoded.status() << "\n" << payload;
    ASSERT_EQ(*decoded, spec) << payload;
  }
}

TEST(PayloadPropertyTest, ABrokenRuleIsRefusedNamingTheContainer) {
  std::mt19937_64 rng(12);
  for (int i = 0; i < 200; ++i) {
    TaskSpec spec = Expressible(RandomSpec(rng));
    size_t victim = Below(rng, spec.containers.size());
    std::string expected = absl::StrCat(
        "invalid field 'taskDefinition.containerDefinitions[", victim, "]");
    switch (Below(rng, 3)) {
      case 0:  // a name that cannot be a directory
        spec.containers[victim].name += ".";
        for (ContainerSpec& c : spec.containers) {
          c.depends_on.clear();
        }
        break;
      case 1:  // a dependency on a missing container
        spec.containers[victim].depends_on.push_back(
            ContainerDependency{"missing", DependencyCondition::kStart});
        absl::StrAppend(&expected, ".dependsOn[", spec.containers[victim].depends_on.size() - 1,
                        "].containerName': expected another container of the task");
        break;
      case 2:  // a self-dependency
        spec.containers[victim].depends_on.push_back(
            ContainerDependency{spec.containers[victim].name, DependencyCondition::kComplete});
        break;
    }
    absl::StatusOr<TaskSpec> decoded = DecodeTaskPayload(PayloadOf(spec, rng));
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(decoded.status().message()), ::testing::StartsWith(expected));
  }
}

}  // namespace
}  // namespace berth::agent
