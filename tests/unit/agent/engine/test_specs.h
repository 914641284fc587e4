#ifndef BERTH_TESTS_UNIT_AGENT_ENGINE_TEST_SPECS_H_
#define BERTH_TESTS_UNIT_AGENT_ENGINE_TEST_SPECS_H_

// Small builders for task specs and a one-line summary of reports, so a test
// reads as the sequence ECS would see: "PENDING", "RUNNING app=RUNNING",
// "STOPPED app=STOPPED(0)".

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/task/task_spec.h"
#include "agent/task/task_state.h"

namespace berth::agent::testing {

inline constexpr char kTaskArn[] = "arn:aws:ecs:us-east-1:000000000000:task/default/0123abcd";
inline constexpr char kClusterArn[] = "arn:aws:ecs:us-east-1:000000000000:cluster/default";

inline ContainerDependency Dep(std::string name, DependencyCondition condition) {
  return ContainerDependency{.container_name = std::move(name), .condition = condition};
}

inline ContainerSpec Container(std::string name, bool essential = true,
                               std::vector<ContainerDependency> depends_on = {}) {
  ContainerSpec c;
  c.image = "oci:/images/" + name + ":latest";
  c.name = std::move(name);
  c.essential = essential;
  c.depends_on = std::move(depends_on);
  return c;
}

inline TaskSpec Task(std::vector<ContainerSpec> containers, std::string arn = kTaskArn) {
  TaskSpec spec;
  spec.arn = std::move(arn);
  spec.id = spec.arn.substr(spec.arn.rfind('/') + 1);
  spec.cluster_arn = kClusterArn;
  spec.family = "web";
  spec.revision = 3;
  spec.task_definition_arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3";
  spec.containers = std::move(containers);
  return spec;
}

inline std::string Summary(const TaskChange& change) {
  std::string out = change.status;
  for (const ContainerChange& c : change.containers) {
    absl::StrAppend(&out, " ", c.container_name, "=", c.status);
    if (c.exit_code.has_value()) absl::StrAppend(&out, "(", *c.exit_code, ")");
  }
  return out;
}

inline std::vector<std::string> Summaries(const std::vector<TaskChange>& changes) {
  std::vector<std::string> out;
  for (const TaskChange& change : changes) out.push_back(Summary(change));
  return out;
}

}  // namespace berth::agent::testing

#endif  // BERTH_TESTS_UNIT_AGENT_ENGINE_TEST_SPECS_H_
