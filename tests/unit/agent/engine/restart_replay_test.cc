// Restart replay: an agent killed at any point of a task's life and
// restarted from what it had persisted neither starts a container twice nor
// loses a report nor sends one twice, and ends with the same exit codes.
//
// A reference run records every state handed to the sink and, at each of
// those writes, a copy of the world (which processes exist, how they ended).
// For each write k, two crashes are replayed: just after write k (the world
// as it was then) and just before write k + 1 (the world as it was then:
// whatever the driver did between the two writes has happened, but the
// agent's record of it is lost). A fresh engine with a fresh driver over that
// world restores state k, gets the task message and the stop message again
// (redelivery is allowed), and runs to the end.

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/engine/task_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "io/rng.h"
#include "tests/unit/agent/engine/fakes.h"
#include "tests/unit/agent/engine/replay_harness.h"
#include "tests/unit/agent/engine/test_specs.h"

namespace berth::agent::testing {
namespace {

using Cond = DependencyCondition;

// The exit codes of the containers whose process ran. (One that never ran
// may end differently: when a crash hides which of two exits came first, the
// restarted agent may stop it because the task stops rather than for its
// failed dependency; it is STOPPED and reported once either way.)
std::map<std::string, std::optional<int32_t>> ExitCodes(const TaskState& state) {
  std::map<std::string, std::optional<int32_t>> out;
  for (const ContainerState& c : state.containers) {
    if (c.started_at.has_value()) out[c.name] = c.exit_code;
  }
  return out;
}

std::vector<Scenario> Scenarios() {
  std::vector<Scenario> out;
  // init runs to completion, app needs its success, side needs app started;
  // app ignores SIGTERM and is killed, side exits on it.
  out.push_back(Scenario{
      .name = "init-app-side",
      .spec = Task({Container("init", false), Container("app", true, {Dep("init", Cond::kSuccess)}),
                    Container("side", false, {Dep("app", Cond::kStart)})}),
      .exit_after_start = {{"init", 0}},
      .exit_on_term = {{"side", 143}},
  });
  // init fails: app's dependency can never resolve, the task stops.
  out.push_back(Scenario{
      .name = "init-fails",
      .spec = Task({Container("init", false), Container("app", true, {Dep("init", Cond::kSuccess)}),
                    Container("web")}),
      .exit_after_start = {{"init", 1}},
      .exit_on_term = {{"web", 0}},
  });
  return out;
}

class RestartReplayTest : public ::testing::TestWithParam<Scenario> {};

TEST_P(RestartReplayTest, NoStartTwiceNoReportLostOrRepeated) {
  const Scenario& scenario = GetParam();
  Agent reference(scenario, FakeWorld{}, 42);
  reference.Drive(scenario);
  ASSERT_TRUE(reference.Stopped());
  const std::vector<FakeSink::Change>& writes = reference.sink_.changes;
  ASSERT_EQ(reference.worlds_.size(), writes.size());
  std::map<std::string, std::vector<std::string>> reference_seen;
  ASSERT_THAT(CheckReports(reference.sink_.Reports(), &reference_seen), ::testing::IsEmpty());
  const auto reference_exits = ExitCodes(*reference.engine_->Find(kTaskArn));
  if (getenv("DUMP_WRITES") != nullptr) {
    for (size_t j = 0; j < writes.size(); ++j) {
      std::string line = absl::StrCat(j, ": task ", static_cast<int>(writes[j].state.known), "/",
                                      static_cast<int>(writes[j].state.desired));
      for (const ContainerState& c : writes[j].state.containers) {
        absl::StrAppend(&line, " ", c.name, "=", static_cast<int>(c.known), "/",
                        static_cast<int>(c.desired), c.exit_code ? absl::StrCat("(", *c.exit_code, ")") : "");
      }
      for (const auto& [id, p] : reference.worlds_[j].by_runtime_id) {
        absl::StrAppend(&line, " | ", p.name, p.running ? " running" : " ended");
      }
      if (writes[j].report) absl::StrAppend(&line, "  => ", Summary(*writes[j].report));
      printf("%s\n", line.c_str());
    }
  }

  // k = -1: a crash before anything was persisted.
  int cases = 0;
  for (int k = -1; k < static_cast<int>(writes.size()); ++k) {
    for (bool before_next : {false, true}) {
      const size_t world_at = before_next ? k + 1 : std::max(k, 0);
      if (world_at >= reference.worlds_.size() || (k < 0 && !before_next)) continue;
      SCOPED_TRACE(absl::StrCat(scenario.name, ": crash ", before_next ? "before" : "after",
                                " write ", before_next ? k + 1 : k));
      ++cases;
      Agent restarted(scenario, reference.worlds_[world_at], 7, reference.times_[world_at]);
      std::vector<TaskChange> reports;
      if (k >= 0) {
        for (int j = 0; j <= k; ++j) {
          if (writes[j].report.has_value()) reports.push_back(*writes[j].report);
        }
        // Through the state store's codec: what is persisted is enough.
        absl::StatusOr<TaskState> decoded = DecodeTaskState(EncodeTaskState(writes[k].state));
        ASSERT_TRUE(decoded.ok()) << decoded.status();
        ASSERT_EQ(*decoded, writes[k].state);
        restarted.engine_->Restore({*std::move(decoded)});
      }
      restarted.loop_.RunUntilIdle();
      restarted.Drive(scenario);
      ASSERT_TRUE(restarted.Stopped());

      for (const auto& [id, process] : restarted.world_.by_runtime_id) {
        EXPECT_LE(process.starts, 1) << process.name << " started twice";
      }
      for (const TaskChange& r : restarted.sink_.Reports()) reports.push_back(r);
      std::map<std::string, std::vector<std::string>> seen;
      EXPECT_THAT(CheckReports(reports, &seen), ::testing::IsEmpty());
      EXPECT_EQ(seen, reference_seen);  // nothing lost, nothing extra
      const TaskState& final_state = *restarted.engine_->Find(kTaskArn);
      EXPECT_EQ(ExitCodes(final_state), reference_exits);
      const TaskState& last_written =
          restarted.sink_.changes.empty() ? writes[k].state : restarted.sink_.changes.back().state;
      EXPECT_EQ(last_written, final_state);

      // And it is cleaned up once.
      restarted.loop_.AdvanceTime(absl::Hours(3));
      restarted.loop_.RunUntilIdle();
      EXPECT_THAT(restarted.sink_.forgotten, ::testing::ElementsAre(kTaskArn));
    }
  }
  EXPECT_GE(cases, 2 * static_cast<int>(writes.size()) - 1);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, RestartReplayTest, ::testing::ValuesIn(Scenarios()),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           std::string name = info.param.name;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Targeted restarts of one task with one container "app": a first agent
// takes the task, the test picks what it had persisted and how the world
// looks, and a second agent restores that.
class RestartTest : public ::testing::Test {
 protected:
  // Gives the first agent the task and runs it until idle.
  void RunFirst() {
    first_.engine_->Apply(scenario_.spec);
    first_.loop_.RunUntilIdle();
  }
  // The last state the first agent wrote with the container `known`.
  TaskState LastWrittenWith(ContainerStatus known) const {
    TaskState persisted;
    for (const FakeSink::Change& change : first_.sink_.changes) {
      if (change.state.containers[0].known == known) persisted = change.state;
    }
    return persisted;
  }
  // A second agent over `world`, started `down_for` after the first one's
  // now, restored from `persisted` and run until idle.
  Agent& Restart(const TaskState& persisted, FakeWorld world,
                 absl::Duration down_for = absl::ZeroDuration()) {
    Agent& second =
        second_.emplace(scenario_, std::move(world), 7, first_.loop_.time().Now() + down_for);
    second.engine_->Restore({persisted});
    second.loop_.RunUntilIdle();
    return second;
  }

  const Scenario scenario_{.name = "one", .spec = Task({Container("app")})};
  Agent first_{scenario_, FakeWorld{}, 42};
  std::optional<Agent> second_;
};

TEST_F(RestartTest, ACreatedContainerTheDriverNeverStartedIsStartedOnce) {
  // The crash came between the write of CREATED and Start: the world has no
  // process for it. Reattach says so (no shim, no exit); the engine starts it.
  first_.driver_.before_start = [this](const ContainerState&) {
    first_.worlds_.push_back(first_.world_);
  };
  RunFirst();
  // The last write before Start holds CREATED.
  TaskState persisted = LastWrittenWith(ContainerStatus::kCreated);
  ASSERT_EQ(persisted.containers[0].known, ContainerStatus::kCreated);

  Agent& second = Restart(persisted, FakeWorld{});  // no process was ever made
  EXPECT_THAT(second.driver_.calls,
              ::testing::ElementsAre("reattach app", "create-task", "start app"));
  EXPECT_EQ(second.engine_->stats().containers_never_started, 1u);
  EXPECT_EQ(second.world_.Find("app")->starts, 1);
  EXPECT_THAT(Summaries(second.sink_.Reports()), ::testing::ElementsAre("RUNNING app=RUNNING"));
}

TEST_F(RestartTest, ACreatedContainerTheDriverDidStartIsNotStartedAgain) {
  // The crash came after Start but before the write that records RUNNING.
  RunFirst();
  TaskState persisted = LastWrittenWith(ContainerStatus::kCreated);
  ASSERT_EQ(persisted.containers[0].known, ContainerStatus::kCreated);
  ASSERT_EQ(first_.world_.Find("app")->starts, 1);

  Agent& second = Restart(persisted, first_.world_);
  EXPECT_THAT(second.driver_.calls, ::testing::ElementsAre("reattach app"));
  EXPECT_EQ(second.world_.Find("app")->starts, 1);
  const ContainerState& app = second.engine_->Find(kTaskArn)->containers[0];
  EXPECT_EQ(app.known, ContainerStatus::kRunning);
  EXPECT_EQ(app.shim, first_.world_.Find("app")->shim);
  EXPECT_THAT(Summaries(second.sink_.Reports()), ::testing::ElementsAre("RUNNING app=RUNNING"));
}

TEST_F(RestartTest, AStopInProgressIsResumed) {
  RunFirst();
  first_.engine_->Stop(kTaskArn, "Task stopped by user");
  first_.loop_.RunUntilIdle();
  ASSERT_THAT(first_.driver_.CallsStartingWith("signal"), ::testing::ElementsAre("signal app 15"));
  TaskState persisted = first_.sink_.changes.back().state;
  ASSERT_EQ(persisted.desired, TaskStatus::kStopped);

  Agent& second = Restart(persisted, first_.world_, absl::Seconds(20));
  // SIGTERM again, and a whole stop timeout from now.
  EXPECT_THAT(second.driver_.calls, ::testing::ElementsAre("reattach app", "signal app 15"));
  second.loop_.AdvanceTime(absl::Seconds(30) - absl::Nanoseconds(1));
  second.loop_.RunUntilIdle();
  EXPECT_THAT(second.driver_.CallsStartingWith("kill"), ::testing::IsEmpty());
  second.loop_.AdvanceTime(absl::Nanoseconds(1));
  second.loop_.RunUntilIdle();
  EXPECT_THAT(second.driver_.CallsStartingWith("kill"), ::testing::ElementsAre("kill app"));
  EXPECT_THAT(Summaries(second.sink_.Reports()),
              ::testing::ElementsAre("STOPPED app=STOPPED(137)"));
  EXPECT_EQ(second.sink_.Reports()[0].reason, "Task stopped by user");
}

TEST_F(RestartTest, AContainerThatExitedWhileTheAgentWasDownIsReportedWithItsExitCode) {
  RunFirst();
  ASSERT_TRUE(first_.engine_->Find(kTaskArn)->known == TaskStatus::kRunning);
  TaskState persisted = first_.sink_.changes.back().state;
  // While the agent is down, the process exits 3.
  FakeWorld world = first_.world_;
  FakeWorld::Process& p = world.by_runtime_id.begin()->second;
  p.running = false;
  p.exit = ContainerExit{.exit_code = 3};

  Agent& second = Restart(persisted, world);
  EXPECT_THAT(second.driver_.calls, ::testing::ElementsAre("reattach app"));
  EXPECT_THAT(Summaries(second.sink_.Reports()), ::testing::ElementsAre("STOPPED app=STOPPED(3)"));
}

TEST_F(RestartTest, AVanishedContainerIsStoppedWithTheDriversError) {
  RunFirst();
  TaskState persisted = first_.sink_.changes.back().state;
  FakeWorld world = first_.world_;
  world.by_runtime_id.begin()->second.running = false;  // gone, with no record

  Agent& second = Restart(persisted, world);
  const ContainerState& app = second.engine_->Find(kTaskArn)->containers[0];
  EXPECT_EQ(app.known, ContainerStatus::kStopped);
  EXPECT_FALSE(app.exit_code.has_value());
  EXPECT_EQ(app.reason, "ContainerVanishedError: gone");
}

TEST_F(RestartTest, AStoppedTaskIsCleanedUpAtItsOriginalTime) {
  RunFirst();
  first_.driver_.Exit("app", 0);
  TaskState persisted = first_.sink_.changes.back().state;
  ASSERT_EQ(persisted.known, TaskStatus::kStopped);

  Agent& second = Restart(persisted, first_.world_, absl::Hours(1));  // down for an hour
  EXPECT_TRUE(second.sink_.Reports().empty());
  second.loop_.AdvanceTime(absl::Hours(2) - absl::Nanoseconds(1));
  second.loop_.RunUntilIdle();
  EXPECT_TRUE(second.sink_.forgotten.empty());
  second.loop_.AdvanceTime(absl::Nanoseconds(1));
  second.loop_.RunUntilIdle();
  EXPECT_THAT(second.sink_.forgotten, ::testing::ElementsAre(kTaskArn));
}

}  // namespace
}  // namespace berth::agent::testing
