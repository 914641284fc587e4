#include "tests/unit/agent/state/state_test_util.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

#include "io/log.h"

namespace berth::agent::testing {

TempDir::TempDir() {
  const char* tmp = getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                        "/berth-agent-state-XXXXXX";
  CHECK(mkdtemp(pattern.data()) != nullptr) << "mkdtemp " << pattern;
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TaskArn(const std::string& id) {
  return "arn:aws:ecs:us-east-1:000000000000:task/default/" + id;
}

TaskState MakeTask(const std::string& id, TaskStatus known) {
  TaskSpec spec;
  spec.arn = TaskArn(id);
  spec.id = id;
  spec.cluster_arn = kCluster;
  spec.task_definition_arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1";
  spec.family = "web";
  spec.revision = 1;
  ContainerSpec container;
  container.name = "web";
  container.image = "oci:/images/busybox:latest";
  spec.containers.push_back(container);
  TaskState state = NewTaskState(std::move(spec));
  state.known = known;
  return state;
}

TaskChange MakeChange(const std::string& id, const std::string& status) {
  TaskChange change;
  change.cluster_arn = kCluster;
  change.task_arn = TaskArn(id);
  change.status = status;
  ContainerChange container;
  container.container_name = "web";
  container.runtime_id = std::string(64, 'a');
  container.status = status == "STOPPED" ? "STOPPED" : "RUNNING";
  if (status == "STOPPED") {
    container.exit_code = 0;
  }
  change.containers.push_back(container);
  return change;
}

}  // namespace berth::agent::testing
