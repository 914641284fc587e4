// Restart replay over random tasks: random dependsOn graphs (every
// condition), essential or not, processes that exit by themselves (0 or not),
// on SIGTERM, or only when killed, pulls that fail; a crash just after and
// just before every write. Whatever the graph and the crash point: no
// container starts twice, every report comes once and in order, the task and
// every container end STOPPED and reported, and a container whose process
// ran is reported with the exit code its process really had.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/engine/replay_harness.h"

namespace berth::agent::testing {
namespace {

Scenario RandomScenario(uint64_t seed) {
  io::Rng rng(seed);
  Scenario s;
  s.name = absl::StrCat("seed ", seed);
  const int n = 1 + static_cast<int>(rng.Uniform(4));
  std::vector<ContainerSpec> containers;
  for (int i = 0; i < n; ++i) {
    const std::string name = absl::StrCat("c", i);
    std::vector<ContainerDependency> deps;
    for (int j = 0; j < i; ++j) {
      if (rng.Uniform(3) != 0) continue;
      static constexpr DependencyCondition kConditions[] = {
          DependencyCondition::kStart, DependencyCondition::kStart, DependencyCondition::kComplete,
          DependencyCondition::kSuccess, DependencyCondition::kSuccess,
          DependencyCondition::kHealthy};
      deps.push_back(Dep(absl::StrCat("c", j), kConditions[rng.Uniform(6)]));
    }
    ContainerSpec c = Container(name, /*essential=*/rng.Uniform(3) != 0, std::move(deps));
    if (rng.Uniform(3) == 0) c.stop_timeout = 5;
    containers.push_back(std::move(c));
    switch (rng.Uniform(5)) {
      case 0:
        s.exit_after_start[name] = 0;
        break;
      case 1:
        s.exit_after_start[name] = 1 + static_cast<int>(rng.Uniform(3));
        break;
      case 2:
      case 3:
        s.exit_on_term[name] = 143;
        break;
      default:
        break;  // ignores SIGTERM: killed at its stop timeout
    }
    if (rng.Uniform(10) == 0) s.pull_errors[name] = "no such image";
  }
  s.spec = Task(std::move(containers));
  return s;
}

// The checks every run (reference or replay) must pass.
void CheckRun(const Agent& agent, const std::vector<TaskChange>& reports) {
  for (const auto& [id, process] : agent.world_.by_runtime_id) {
    EXPECT_LE(process.starts, 1) << process.name << " started twice";
  }
  std::map<std::string, std::vector<std::string>> seen;
  EXPECT_THAT(CheckReports(reports, &seen), ::testing::IsEmpty());
  const TaskState* state = agent.engine_->Find(kTaskArn);
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->known, TaskStatus::kStopped);
  for (const ContainerState& c : state->containers) {
    EXPECT_EQ(c.known, ContainerStatus::kStopped) << c.name;
    ASSERT_FALSE(seen[c.name].empty()) << c.name << " never reported";
    EXPECT_EQ(seen[c.name].back(), "STOPPED") << c.name;
    auto it = agent.world_.by_runtime_id.find(c.runtime_id);
    if (it != agent.world_.by_runtime_id.end() && it->second.exit.has_value()) {
      EXPECT_EQ(c.exit_code, it->second.exit->exit_code) << c.name << ": not its real exit code";
    }
  }
}

TEST(RestartPropertyTest, RandomTasksSurviveACrashAtEveryWrite) {
  int replays = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    const Scenario scenario = RandomScenario(seed);
    SCOPED_TRACE(scenario.name);
    Agent reference(scenario, FakeWorld{}, seed);
    reference.Drive(scenario);
    ASSERT_TRUE(reference.Stopped());
    CheckRun(reference, reference.sink_.Reports());
    const std::vector<FakeSink::Change>& writes = reference.sink_.changes;
    for (size_t k = 0; k < writes.size(); ++k) {
      for (size_t world_at : {k, k + 1}) {
        if (world_at >= writes.size()) continue;
        SCOPED_TRACE(absl::StrCat("restored write ", k, ", world at write ", world_at));
        Agent restarted(scenario, reference.worlds_[world_at], seed + 1000,
                        reference.times_[world_at]);
        absl::StatusOr<TaskState> decoded = DecodeTaskState(EncodeTaskState(writes[k].state));
        ASSERT_TRUE(decoded.ok()) << decoded.status();
        restarted.engine_->Restore({*std::move(decoded)});
        restarted.loop_.RunUntilIdle();
        restarted.Drive(scenario);
        ASSERT_TRUE(restarted.Stopped());
        std::vector<TaskChange> reports;
        for (size_t j = 0; j <= k; ++j) {
          if (writes[j].report.has_value()) reports.push_back(*writes[j].report);
        }
        for (const TaskChange& r : restarted.sink_.Reports()) reports.push_back(r);
        CheckRun(restarted, reports);
        ++replays;
        if (::testing::Test::HasFailure()) return;  // one readable failure
      }
    }
  }
  RecordProperty("replays", replays);
  EXPECT_GT(replays, 500);
}

}  // namespace
}  // namespace berth::agent::testing
