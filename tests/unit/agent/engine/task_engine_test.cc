// TaskEngine: idempotent apply by ARN (docs/agent-protocol.md "Exactly
// once"), stop tombstones, cleanup, lookups for the endpoints.

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/engine/engine_fixture.h"

namespace berth::agent::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kOtherArn[] = "arn:aws:ecs:us-east-1:000000000000:task/default/99ff";

TEST_F(EngineTest, TheSameTaskTwiceIsAppliedOnce) {
  Apply(Task({Container("app")}));
  Apply(Task({Container("app")}));
  EXPECT_THAT(driver_.calls, ElementsAre("pull app"));
  EXPECT_THAT(Reports(), ElementsAre("PENDING"));
  EXPECT_EQ(engine().stats().tasks_applied, 1u);
  EXPECT_EQ(engine().stats().duplicate_applies, 1u);
  driver_.CompletePull("app");
  Apply(Task({Container("app")}));  // once running: still nothing new
  EXPECT_THAT(driver_.CallsStartingWith("start "), ElementsAre("start app"));
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "RUNNING app=RUNNING"));
}

TEST_F(EngineTest, ATaskMessageOnlyMovesDesiredStatusForward) {
  driver_.auto_pull = true;
  driver_.exit_on_term["app"] = 143;
  Apply(Task({Container("app")}));
  TaskSpec stopped = Task({Container("app")});
  stopped.desired_status = "STOPPED";
  Apply(stopped);
  EXPECT_EQ(State().known, TaskStatus::kStopped);
  EXPECT_THAT(driver_.CallsStartingWith("signal "), ElementsAre("signal app 15"));
  Apply(Task({Container("app")}));  // RUNNING again: never backwards
  EXPECT_EQ(State().desired, TaskStatus::kStopped);
  EXPECT_THAT(driver_.CallsStartingWith("start "), ElementsAre("start app"));
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "RUNNING app=RUNNING", "STOPPED app=STOPPED(143)"));
}

TEST_F(EngineTest, StopBeforeTaskIsATombstone) {
  Stop("Task stopped by user");
  EXPECT_THAT(sink_.changes, IsEmpty());
  EXPECT_EQ(engine().tombstone_count(), 1u);
  Apply(Task({Container("app"), Container("b")}));
  EXPECT_THAT(driver_.calls, IsEmpty());
  EXPECT_THAT(Reports(), ElementsAre("STOPPED app=STOPPED b=STOPPED"));
  EXPECT_EQ(sink_.Reports()[0].reason, "Task stopped by user");
  EXPECT_EQ(engine().stats().tombstoned_tasks, 1u);
  EXPECT_EQ(engine().tombstone_count(), 0u);
}

TEST_F(EngineTest, ATaskDesiredStoppedIsReportedStoppedWithoutStarting) {
  TaskSpec spec = Task({Container("app")});
  spec.desired_status = "STOPPED";
  Apply(spec);
  EXPECT_THAT(driver_.calls, IsEmpty());
  EXPECT_THAT(Reports(), ElementsAre("STOPPED app=STOPPED"));
}

TEST_F(EngineTest, TombstonesExpireAfterTheCleanupWait) {
  options_.cleanup_wait = absl::Hours(1);
  Stop("Task stopped by user");
  Advance(absl::Hours(1));
  Apply(Task({Container("app")}));
  EXPECT_THAT(driver_.calls, ElementsAre("pull app"));
}

TEST_F(EngineTest, CleanupRemovesEverythingAfterTheWait) {
  driver_.auto_pull = true;
  Apply(Task({Container("app"), Container("helper", false)}));
  driver_.exit_on_term["helper"] = 0;
  driver_.Exit("app", 0);
  ASSERT_EQ(State().known, TaskStatus::kStopped);
  const std::string app_id = C("app").runtime_id;
  driver_.calls.clear();
  Advance(absl::Hours(3) - absl::Nanoseconds(1));
  EXPECT_THAT(driver_.calls, IsEmpty());
  EXPECT_THAT(sink_.forgotten, IsEmpty());
  Advance(absl::Nanoseconds(1));
  EXPECT_THAT(driver_.calls, ElementsAre("remove app", "remove helper", "remove-task"));
  EXPECT_THAT(sink_.forgotten, ElementsAre(kTaskArn));
  EXPECT_EQ(engine().Find(kTaskArn), nullptr);
  EXPECT_EQ(engine().FindByRuntimeId(app_id).task, nullptr);
  EXPECT_EQ(engine().stats().tasks_cleaned_up, 1u);

  // A redelivered task message for it is not run again.
  const size_t reports = sink_.Reports().size();
  Apply(Task({Container("app"), Container("helper", false)}));
  EXPECT_THAT(driver_.CallsStartingWith("pull "), IsEmpty());
  EXPECT_EQ(sink_.Reports().size(), reports);
  EXPECT_EQ(engine().stats().ignored_applies, 1u);
}

TEST_F(EngineTest, CleanupOfATaskThatNeverRanRemovesItsNamesToo) {
  Stop("Task stopped by user");
  Apply(Task({Container("app")}));
  Advance(absl::Hours(3));
  // Remove is idempotent and safe for a container never created (a crash
  // may have come between Create and the write that records it).
  EXPECT_THAT(driver_.calls, ElementsAre("remove app", "remove-task"));
}

TEST_F(EngineTest, LookupsForTheEndpoints) {
  driver_.auto_pull = true;
  Apply(Task({Container("app")}));
  Apply(Task({Container("other")}, kOtherArn));
  std::vector<const TaskState*> tasks = engine().Tasks();
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0]->spec.arn, kTaskArn);  // by ARN
  EXPECT_EQ(tasks[1]->spec.arn, kOtherArn);

  const ContainerState& app = C("app");
  TaskEngine::ContainerRef ref = engine().FindByRuntimeId(app.runtime_id);
  ASSERT_NE(ref.task, nullptr);
  EXPECT_EQ(ref.task->spec.arn, kTaskArn);
  EXPECT_EQ(ref.container->name, "app");
  std::vector<TaskEngine::ContainerRef> by_prefix =
      engine().FindByRuntimeIdPrefix(app.runtime_id.substr(0, 12));
  ASSERT_EQ(by_prefix.size(), 1u);
  EXPECT_EQ(by_prefix[0].container, ref.container);
  EXPECT_EQ(engine().FindByRuntimeIdPrefix("").size(), 2u);
  EXPECT_EQ(engine().FindByMetadataId(app.metadata_id).container, ref.container);
  EXPECT_EQ(engine().FindByRuntimeId("nope").task, nullptr);

  std::vector<size_t> counts = engine().TasksByStatus();
  EXPECT_EQ(counts[static_cast<size_t>(TaskStatus::kRunning)], 2u);
}

TEST_F(EngineTest, TasksAreIndependent) {
  driver_.auto_pull = true;
  Apply(Task({Container("app")}));
  Apply(Task({Container("other")}, kOtherArn));
  driver_.Exit("app", 1);
  EXPECT_EQ(State().known, TaskStatus::kStopped);
  EXPECT_EQ(State(kOtherArn).known, TaskStatus::kRunning);
  EXPECT_THAT(driver_.CallsStartingWith("signal "), IsEmpty());
}

TEST_F(EngineTest, CountersForMetrics) {
  driver_.auto_pull = true;
  Apply(Task({Container("app")}));
  Stop();
  Advance(absl::Seconds(30));
  const EngineStats& s = engine().stats();
  EXPECT_EQ(s.pulls, 1u);
  EXPECT_EQ(s.containers_started, 1u);
  EXPECT_EQ(s.stop_signals, 1u);
  EXPECT_EQ(s.kills, 1u);
  EXPECT_EQ(s.containers_exited, 1u);
  EXPECT_EQ(s.tasks_stopped, 1u);
  EXPECT_EQ(s.reports, 3u);  // PENDING, RUNNING, STOPPED
}

}  // namespace
}  // namespace berth::agent::testing
