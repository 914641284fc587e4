#ifndef BERTH_TESTS_UNIT_AGENT_STATE_STATE_TEST_UTIL_H_
#define BERTH_TESTS_UNIT_AGENT_STATE_STATE_TEST_UTIL_H_

// Shared by the state and session tests: a temporary directory and small
// valid task states and reports.

#include <string>

#include "agent/task/task_state.h"

namespace berth::agent::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline constexpr char kCluster[] = "arn:aws:ecs:us-east-1:000000000000:cluster/default";

// "arn:aws:ecs:us-east-1:000000000000:task/default/<id>"
std::string TaskArn(const std::string& id);

// A valid task with one container "web", known status `known`.
TaskState MakeTask(const std::string& id, TaskStatus known = TaskStatus::kNone);

// A report of task `id` moving to `status` (PENDING, RUNNING, STOPPED).
TaskChange MakeChange(const std::string& id, const std::string& status);

}  // namespace berth::agent::testing

#endif  // BERTH_TESTS_UNIT_AGENT_STATE_STATE_TEST_UTIL_H_
