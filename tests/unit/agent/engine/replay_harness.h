#ifndef BERTH_TESTS_UNIT_AGENT_ENGINE_REPLAY_HARNESS_H_
#define BERTH_TESTS_UNIT_AGENT_ENGINE_REPLAY_HARNESS_H_

// What the restart tests share: a scenario (a task and how its processes
// behave), an Agent (loop, driver over a world, recording sink, engine) that
// records the world and the time at every write, and the report checks.

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/engine/task_engine.h"
#include "io/fake_loop.h"
#include "io/rng.h"
#include "tests/unit/agent/engine/fakes.h"
#include "tests/unit/agent/engine/test_specs.h"

namespace berth::agent::testing {

struct Scenario {
  std::string name;
  TaskSpec spec;
  std::map<std::string, int> exit_after_start;
  std::map<std::string, int> exit_on_term;
  std::map<std::string, std::string> pull_errors;  // name → the driver's message
};

inline void PrintTo(const Scenario& scenario, std::ostream* os) { *os << scenario.name; }

// The agent: a loop, a driver over `world`, a recording sink, an engine.
class Agent {
 public:
  Agent(const Scenario& scenario, FakeWorld world, uint64_t seed,
        absl::Time start = absl::FromUnixSeconds(1700000000))
      : loop_(start), world_(std::move(world)), rng_(seed) {
    driver_.auto_pull = true;
    driver_.exit_after_start = scenario.exit_after_start;
    driver_.exit_on_term = scenario.exit_on_term;
    for (const auto& [name, message] : scenario.pull_errors) {
      driver_.pull_errors[name] = absl::UnavailableError(message);
    }
    sink_.before_change = [this] {
      worlds_.push_back(world_);
      times_.push_back(loop_.time().Now());
    };
    engine_ = std::make_unique<TaskEngine>(loop_, driver_, sink_, rng_, EngineOptions{});
  }

  // The messages of the scenario (again, after a restart), then time until
  // the task has STOPPED.
  void Drive(const Scenario& scenario) {
    engine_->Apply(scenario.spec);
    loop_.RunUntilIdle();
    engine_->Stop(kTaskArn, "Task stopped by user");
    loop_.RunUntilIdle();
    for (int i = 0; i < 30 && !Stopped(); ++i) {
      loop_.AdvanceTime(absl::Seconds(10));
      loop_.RunUntilIdle();
    }
  }
  bool Stopped() const {
    const TaskState* s = engine_->Find(kTaskArn);
    return s != nullptr && s->known == TaskStatus::kStopped;
  }

  io::FakeLoop loop_;
  FakeWorld world_;
  FakeDriver driver_{loop_, world_};
  FakeSink sink_;
  io::Rng rng_;
  std::unique_ptr<TaskEngine> engine_;
  std::vector<FakeWorld> worlds_;  // worlds_[j]: the world at write j
  std::vector<absl::Time> times_;  // and the time
};

// What ECS saw, checked for order and duplicates. Returns the problems.
inline std::vector<std::string> CheckReports(const std::vector<TaskChange>& reports,
                                      std::map<std::string, std::vector<std::string>>* seen) {
  std::vector<std::string> problems;
  const std::map<std::string, int> rank = {{"PENDING", 0}, {"RUNNING", 1}, {"STOPPED", 2}};
  int last = -1;
  for (size_t i = 0; i < reports.size(); ++i) {
    const TaskChange& r = reports[i];
    const int now = rank.at(r.status);
    if (now < last) problems.push_back(absl::StrCat("report ", i, " goes back to ", r.status));
    if (now == last && r.containers.empty()) {
      problems.push_back(absl::StrCat("report ", i, " repeats ", r.status, " with nothing new"));
    }
    last = now;
    for (const ContainerChange& c : r.containers) {
      std::vector<std::string>& statuses = (*seen)[c.container_name];
      if (!statuses.empty() && rank.at(statuses.back()) >= rank.at(c.status)) {
        problems.push_back(absl::StrCat("report ", i, ": ", c.container_name, " ", c.status,
                                        " after ", statuses.back()));
      }
      statuses.push_back(c.status);
    }
  }
  if (reports.empty() || reports.back().status != "STOPPED") {
    problems.push_back("the task's STOPPED was never reported");
  }
  return problems;
}

}  // namespace berth::agent::testing

#endif  // BERTH_TESTS_UNIT_AGENT_ENGINE_REPLAY_HARNESS_H_
