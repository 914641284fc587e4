#ifndef BERTH_TESTS_UNIT_AGENT_ENDPOINTS_TEST_TASKS_H_
#define BERTH_TESTS_UNIT_AGENT_ENDPOINTS_TEST_TASKS_H_

// Tasks and a fake IntrospectionSource for the endpoint tests.

#include <list>
#include <map>
#include <string>
#include <string_view>

#include "agent/endpoints/introspection_source.h"
#include "agent/task/task_state.h"

namespace berth::agent::endpoints::testing {

inline constexpr std::string_view kCluster = "default";
inline constexpr std::string_view kInstanceArn =
    "arn:aws:ecs:us-east-1:000000000000:container-instance/default/0f3c";

inline std::string TaskArn(std::string_view id) {
  return "arn:aws:ecs:us-east-1:000000000000:task/default/" + std::string(id);
}

// A RUNNING "nginx:5" task with containers named `names`; container i gets
// runtime id `<id_prefix><i>` padded with 'a' to 64 characters.
inline TaskState MakeTask(std::string_view id, std::string_view id_prefix,
                          std::initializer_list<std::string_view> names = {"web"}) {
  TaskState task;
  task.spec.arn = TaskArn(id);
  task.spec.id = std::string(id);
  task.spec.cluster_arn = "arn:aws:ecs:us-east-1:000000000000:cluster/default";
  task.spec.family = "nginx";
  task.spec.revision = 5;
  task.known = TaskStatus::kRunning;
  task.desired = TaskStatus::kRunning;
  size_t i = 0;
  for (std::string_view name : names) {
    ContainerSpec spec;
    spec.name = std::string(name);
    spec.image = "nginx:latest";
    task.spec.containers.push_back(spec);
    ContainerState state;
    state.name = std::string(name);
    state.known = ContainerStatus::kRunning;
    state.runtime_id = std::string(id_prefix) + std::to_string(i);
    state.runtime_id.resize(64, 'a');
    state.runtime_name = "ecs-nginx-5-" + std::string(name) + "-e4f0a1b2c3d4e5f6a7b8";
    // Created: the ids show (a container's ids are hidden until then).
    state.created_at = absl::FromUnixSeconds(1714557601);
    task.containers.push_back(state);
    ++i;
  }
  return task;
}

class FakeSource final : public IntrospectionSource {
 public:
  AgentMetadata Metadata() const override { return metadata; }
  void ForEachTask(absl::FunctionRef<void(const TaskState&)> fn) const override {
    for (const TaskState& t : tasks) {
      fn(t);
    }
  }

  const stats::ContainerSample* LatestStats(std::string_view runtime_id) const override {
    auto it = samples.find(std::string(runtime_id));
    return it == samples.end() ? nullptr : &it->second;
  }

  TaskState& Add(TaskState task) { return tasks.emplace_back(std::move(task)); }

  AgentMetadata metadata{std::string(kCluster), std::string(kInstanceArn)};
  std::list<TaskState> tasks;
  std::map<std::string, stats::ContainerSample> samples;  // by runtime id
};

}  // namespace berth::agent::endpoints::testing

#endif  // BERTH_TESTS_UNIT_AGENT_ENDPOINTS_TEST_TASKS_H_
