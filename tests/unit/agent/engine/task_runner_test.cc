// The per-task state machine, driven through TaskEngine with a fake driver
// and fake time: container order, essential semantics, stop sequences,
// failures and their reasons, and the reports ECS would see.

#include <signal.h>

#include "agent/engine/reasons.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/engine/engine_fixture.h"

namespace berth::agent::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using Cond = DependencyCondition;

TEST_F(EngineTest, HappyPathReportsPendingRunningStopped) {
  Apply(Task({Container("app")}));
  EXPECT_THAT(driver_.calls, ElementsAre("pull app"));
  EXPECT_THAT(Reports(), ElementsAre("PENDING"));
  EXPECT_EQ(State().known, TaskStatus::kNone);
  EXPECT_TRUE(State().pull_started_at.has_value());

  loop_.AdvanceTime(absl::Seconds(2));
  driver_.CompletePull("app");
  EXPECT_THAT(driver_.calls, ElementsAre("pull app", "create-task", "create app", "start app"));
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "RUNNING app=RUNNING"));
  EXPECT_EQ(State().known, TaskStatus::kRunning);
  EXPECT_EQ(C("app").known, ContainerStatus::kRunning);
  EXPECT_EQ(C("app").image_digest, "sha256:manifest-app");
  EXPECT_FALSE(C("app").shim.empty());
  EXPECT_EQ(*State().pull_stopped_at - *State().pull_started_at, absl::Seconds(2));
  const TaskChange running = sink_.Reports().back();
  EXPECT_EQ(running.task_arn, kTaskArn);
  EXPECT_EQ(running.cluster_arn, kClusterArn);
  EXPECT_EQ(running.containers[0].runtime_id, C("app").runtime_id);
  EXPECT_EQ(running.containers[0].image_digest, "sha256:manifest-app");

  driver_.Exit("app", 0);
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "RUNNING app=RUNNING", "STOPPED app=STOPPED(0)"));
  EXPECT_EQ(State().known, TaskStatus::kStopped);
  EXPECT_TRUE(State().stopped_at.has_value());
  EXPECT_TRUE(State().execution_stopped_at.has_value());
  EXPECT_EQ(sink_.Reports().back().reason, "");  // the control plane explains an exit
}

TEST_F(EngineTest, StartOnlyAfterTheCreatedStateWasPersisted) {
  // The start intent: a crash after Start must find CREATED + runtime id in
  // the state store, so the restarted agent asks the driver, never starts again.
  int checked = 0;
  driver_.before_start = [&](const ContainerState& c) {
    ASSERT_FALSE(sink_.changes.empty());
    const TaskState& persisted = sink_.changes.back().state;
    EXPECT_EQ(persisted.containers[0].known, ContainerStatus::kCreated);
    EXPECT_EQ(persisted.containers[0].runtime_id, c.runtime_id);
    EXPECT_TRUE(persisted.containers[0].shim.empty());
    ++checked;
  };
  driver_.auto_pull = true;
  Apply(Task({Container("app")}));
  EXPECT_EQ(checked, 1);
  EXPECT_EQ(C("app").known, ContainerStatus::kRunning);
}

TEST_F(EngineTest, NamesAreChosenAtApplyAndPersistedFirst) {
  Apply(Task({Container("app")}));
  ASSERT_EQ(sink_.changes.size(), 1u);
  const ContainerState& first = sink_.changes[0].state.containers[0];
  EXPECT_EQ(first.runtime_id.size(), 64u);
  EXPECT_THAT(first.runtime_name, ::testing::StartsWith("ecs-web-3-app-"));
  EXPECT_EQ(first.metadata_id.size(), 36u);
  driver_.CompletePull("app");
  EXPECT_EQ(C("app").runtime_id, first.runtime_id);
}

TEST_F(EngineTest, StartWaitsForTheDependencyToRun) {
  Apply(Task({Container("a"), Container("b", true, {Dep("a", Cond::kStart)})}));
  driver_.CompletePull("b");
  EXPECT_THAT(driver_.CallsStartingWith("create "), IsEmpty());
  driver_.CompletePull("a");
  EXPECT_THAT(driver_.calls,
              ElementsAre("pull a", "pull b", "create-task", "create a", "start a", "create b",
                          "start b"));
  // a's RUNNING is persisted (and so reported) with b's start intent.
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "PENDING a=RUNNING", "RUNNING b=RUNNING"));
}

TEST_F(EngineTest, ContainersReleasedTogetherStartTogether) {
  driver_.auto_pull = true;
  Apply(Task({Container("init", false), Container("b", true, {Dep("init", Cond::kSuccess)}),
              Container("c", true, {Dep("init", Cond::kSuccess)})}));
  driver_.calls.clear();
  driver_.Exit("init", 0);
  // One write holds both start intents; then both start.
  EXPECT_THAT(driver_.calls, ElementsAre("create b", "create c", "start b", "start c"));
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "PENDING init=RUNNING", "PENDING init=STOPPED(0)",
                                     "RUNNING b=RUNNING c=RUNNING"));
}

TEST_F(EngineTest, ChainStartsInOrder) {
  driver_.auto_pull = true;
  Apply(Task({Container("c", true, {Dep("b", Cond::kStart)}),
              Container("b", true, {Dep("a", Cond::kStart)}), Container("a")}));
  EXPECT_THAT(driver_.CallsStartingWith("start "), ElementsAre("start a", "start b", "start c"));
  EXPECT_EQ(State().known, TaskStatus::kRunning);
}

TEST_F(EngineTest, CompleteWaitsForAnyExit) {
  driver_.auto_pull = true;
  Apply(Task({Container("init", false), Container("app", true, {Dep("init", Cond::kComplete)})}));
  EXPECT_THAT(driver_.CallsStartingWith("start "), ElementsAre("start init"));
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "PENDING init=RUNNING"));
  driver_.Exit("init", 1);
  EXPECT_THAT(driver_.CallsStartingWith("start "), ElementsAre("start init", "start app"));
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "PENDING init=RUNNING",
                                     "PENDING init=STOPPED(1)", "RUNNING app=RUNNING"));
}

TEST_F(EngineTest, SuccessStartsAfterExitZero) {
  driver_.auto_pull = true;
  Apply(Task({Container("init", false), Container("app", true, {Dep("init", Cond::kSuccess)})}));
  EXPECT_THAT(driver_.CallsStartingWith("create "), ElementsAre("create init"));
  driver_.Exit("init", 0);
  EXPECT_THAT(driver_.CallsStartingWith("start "), ElementsAre("start init", "start app"));
  EXPECT_EQ(State().known, TaskStatus::kRunning);
}

TEST_F(EngineTest, SuccessWithNonZeroExitStopsTheTask) {
  driver_.auto_pull = true;
  Apply(Task({Container("init", false), Container("app", true, {Dep("init", Cond::kSuccess)})}));
  driver_.Exit("init", 2);
  EXPECT_THAT(driver_.CallsStartingWith("start "), ElementsAre("start init"));
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "PENDING init=RUNNING",
                                     "STOPPED init=STOPPED(2) app=STOPPED(143)"));
  const std::string reason =
      "CannotStartContainerError: dependency graph: failed to resolve container ordering "
      "dependency [init] for target [app] as dependency did not exit successfully.";
  EXPECT_EQ(C("app").reason, reason);
  EXPECT_EQ(State().stop_reason, reason);
  EXPECT_EQ(sink_.Reports().back().reason, reason);
  EXPECT_EQ(engine().stats().dependency_errors, 1u);
}

TEST_F(EngineTest, HealthyIsATerminalDependencyError) {
  driver_.auto_pull = true;
  Apply(Task({Container("db", false), Container("app", true, {Dep("db", Cond::kHealthy)})}));
  EXPECT_EQ(C("app").known, ContainerStatus::kStopped);
  EXPECT_THAT(C("app").reason, HasSubstr("HEALTHY needs a health check"));
  EXPECT_EQ(C("app").exit_code, 143);
  // The task stops: db, already running, gets its SIGTERM.
  EXPECT_EQ(State().desired, TaskStatus::kStopped);
  EXPECT_THAT(driver_.CallsStartingWith("signal "), ElementsAre("signal db 15"));
}

TEST_F(EngineTest, DiamondStartsAndStopsInDependencyOrder) {
  driver_.auto_pull = true;
  driver_.exit_after_start["a"] = 0;
  Apply(Task({Container("d", true, {Dep("b", Cond::kStart), Dep("c", Cond::kStart)}),
              Container("b", true, {Dep("a", Cond::kSuccess)}),
              Container("c", true, {Dep("a", Cond::kSuccess)}), Container("a", false)}));
  EXPECT_THAT(driver_.CallsStartingWith("start "),
              ElementsAre("start a", "start b", "start c", "start d"));
  EXPECT_EQ(State().known, TaskStatus::kRunning);

  Stop();
  EXPECT_THAT(driver_.CallsStartingWith("signal "), ElementsAre("signal d 15"));
  driver_.Exit("d", 143);
  EXPECT_THAT(driver_.CallsStartingWith("signal "),
              ElementsAre("signal d 15", "signal b 15", "signal c 15"));
  driver_.Exit("b", 143);
  driver_.Exit("c", 0);
  EXPECT_EQ(State().known, TaskStatus::kStopped);
  EXPECT_THAT(driver_.CallsStartingWith("kill "), IsEmpty());
}

TEST_F(EngineTest, DependencyStartTimeoutStopsTheWaitingContainer) {
  driver_.auto_pull = true;
  ContainerSpec init = Container("init", false);
  init.start_timeout = 10;
  Apply(Task({init, Container("app", true, {Dep("init", Cond::kComplete)})}));
  Advance(absl::Seconds(10) - absl::Nanoseconds(1));
  EXPECT_EQ(C("app").known, ContainerStatus::kPulled);
  Advance(absl::Nanoseconds(1));
  EXPECT_EQ(C("app").known, ContainerStatus::kStopped);
  EXPECT_EQ(C("app").reason,
            "CannotStartContainerError: dependency graph: container ordering dependency [init] "
            "for target [app] has timed out.");
  EXPECT_THAT(driver_.CallsStartingWith("signal "), ElementsAre("signal init 15"));
}

TEST_F(EngineTest, NonEssentialExitKeepsTheTaskRunning) {
  driver_.auto_pull = true;
  Apply(Task({Container("app"), Container("helper", false)}));
  driver_.Exit("helper", 3);
  EXPECT_EQ(State().desired, TaskStatus::kRunning);
  EXPECT_EQ(State().known, TaskStatus::kRunning);
  EXPECT_THAT(driver_.CallsStartingWith("signal "), IsEmpty());
  EXPECT_THAT(Reports(),
              ElementsAre("PENDING", "PENDING app=RUNNING", "RUNNING helper=RUNNING",
                          "RUNNING helper=STOPPED(3)"));
}

TEST_F(EngineTest, EssentialExitStopsTheOthers) {
  driver_.auto_pull = true;
  driver_.exit_on_term["helper"] = 143;
  Apply(Task({Container("app"), Container("helper", false)}));
  driver_.Exit("app", 0);
  EXPECT_THAT(driver_.CallsStartingWith("signal "), ElementsAre("signal helper 15"));
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "PENDING app=RUNNING", "RUNNING helper=RUNNING",
                                     "RUNNING app=STOPPED(0)", "STOPPED helper=STOPPED(143)"));
  EXPECT_EQ(sink_.Reports().back().reason, "");
}

TEST_F(EngineTest, EssentialExitBeforeRunningNeverReportsRunning) {
  Apply(Task({Container("app"), Container("other")}));
  driver_.CompletePull("app");
  driver_.Exit("app", 1);
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "PENDING app=RUNNING",
                                     "STOPPED app=STOPPED(1) other=STOPPED"));
  // other's pull answers late: ignored.
  driver_.CompletePull("other");
  EXPECT_THAT(driver_.CallsStartingWith("create "), ElementsAre("create app"));
  EXPECT_EQ(sink_.Reports().size(), 3u);
}

TEST_F(EngineTest, StopSignalsThenKillsAtTheDefaultTimeout) {
  driver_.auto_pull = true;
  Apply(Task({Container("app")}));
  Stop("Task stopped by user");
  EXPECT_THAT(driver_.CallsStartingWith("signal "), ElementsAre("signal app 15"));
  Advance(absl::Seconds(30) - absl::Nanoseconds(1));
  EXPECT_THAT(driver_.CallsStartingWith("kill "), IsEmpty());
  Advance(absl::Nanoseconds(1));
  EXPECT_THAT(driver_.CallsStartingWith("kill "), ElementsAre("kill app"));
  EXPECT_EQ(C("app").exit_code, 137);
  EXPECT_EQ(State().known, TaskStatus::kStopped);
  EXPECT_EQ(sink_.Reports().back().reason, "Task stopped by user");
}

TEST_F(EngineTest, StopUsesTheContainersStopTimeout) {
  driver_.auto_pull = true;
  options_.stop_timeout = absl::Seconds(30);
  ContainerSpec app = Container("app");
  app.stop_timeout = 5;
  Apply(Task({app, Container("other")}));
  Stop();
  Advance(absl::Seconds(5) - absl::Nanoseconds(1));
  EXPECT_THAT(driver_.CallsStartingWith("kill "), IsEmpty());
  Advance(absl::Nanoseconds(1));
  EXPECT_THAT(driver_.CallsStartingWith("kill "), ElementsAre("kill app"));
  Advance(absl::Seconds(25) - absl::Nanoseconds(1));
  EXPECT_THAT(driver_.CallsStartingWith("kill "), ElementsAre("kill app"));
  Advance(absl::Nanoseconds(1));
  EXPECT_THAT(driver_.CallsStartingWith("kill "), ElementsAre("kill app", "kill other"));
}

TEST_F(EngineTest, AProcessThatSurvivesTheKillIsCountedAndStaysRunning) {
  driver_.auto_pull = true;
  driver_.survive_kill.insert("app");
  Apply(Task({Container("app")}));
  Stop();
  Advance(absl::Seconds(30));
  EXPECT_THAT(driver_.CallsStartingWith("kill "), ElementsAre("kill app"));
  Advance(absl::Seconds(30) - absl::Nanoseconds(1));
  EXPECT_EQ(engine().stats().stuck_stops, 0u);
  Advance(absl::Nanoseconds(1));
  EXPECT_EQ(engine().stats().stuck_stops, 1u);
  EXPECT_EQ(C("app").known, ContainerStatus::kRunning);  // never a STOPPED that is untrue
  driver_.Exit("app", 137);  // it finally goes
  EXPECT_EQ(State().known, TaskStatus::kStopped);
  Advance(absl::Minutes(5));
  EXPECT_EQ(engine().stats().stuck_stops, 1u);
}

TEST_F(EngineTest, ExitBeforeTheTimeoutMeansNoKill) {
  driver_.auto_pull = true;
  driver_.exit_on_term["app"] = 143;
  Apply(Task({Container("app")}));
  Stop();
  Advance(absl::Minutes(5));
  EXPECT_THAT(driver_.CallsStartingWith("kill "), IsEmpty());
  EXPECT_EQ(C("app").exit_code, 143);
}

TEST_F(EngineTest, ShutdownIsInReverseDependencyOrder) {
  driver_.auto_pull = true;
  Apply(Task({Container("a"), Container("b", true, {Dep("a", Cond::kStart)}),
              Container("c", true, {Dep("b", Cond::kStart)})}));
  Stop();
  EXPECT_THAT(driver_.CallsStartingWith("signal "), ElementsAre("signal c 15"));
  driver_.Exit("c", 143);
  EXPECT_THAT(driver_.CallsStartingWith("signal "), ElementsAre("signal c 15", "signal b 15"));
  // b ignores SIGTERM: it is killed at its timeout, and only then is a signalled.
  Advance(absl::Seconds(30));
  EXPECT_THAT(driver_.calls, ::testing::Contains("kill b"));
  EXPECT_THAT(driver_.CallsStartingWith("signal "),
              ElementsAre("signal c 15", "signal b 15", "signal a 15"));
  Advance(absl::Seconds(30));
  EXPECT_EQ(State().known, TaskStatus::kStopped);
  EXPECT_EQ(C("a").exit_code, 137);
  EXPECT_EQ(C("b").exit_code, 137);
  EXPECT_EQ(C("c").exit_code, 143);
}

TEST_F(EngineTest, OomKillHasAmazonsReason) {
  driver_.auto_pull = true;
  Apply(Task({Container("app")}));
  driver_.Exit("app", ContainerExit{.exit_code = 137, .oom_killed = true});
  EXPECT_EQ(C("app").reason, "OutOfMemoryError: Container killed due to memory usage");
  EXPECT_EQ(C("app").exit_code, 137);
  EXPECT_TRUE(C("app").oom_killed);
  EXPECT_EQ(sink_.Reports().back().containers[0].reason,
            "OutOfMemoryError: Container killed due to memory usage");
  EXPECT_EQ(engine().stats().containers_oom_killed, 1u);
}

TEST_F(EngineTest, PullFailureStopsTheTaskWithItsReason) {
  Apply(Task({Container("app")}));
  driver_.FailPull("app", absl::NotFoundError("oci:/images/app:latest: no such tag"));
  const std::string reason = "CannotPullContainerError: oci:/images/app:latest: no such tag";
  EXPECT_EQ(C("app").reason, reason);
  EXPECT_FALSE(C("app").exit_code.has_value());
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "STOPPED app=STOPPED"));
  EXPECT_EQ(sink_.Reports().back().reason, reason);
  EXPECT_EQ(sink_.Reports().back().containers[0].reason, reason);
  EXPECT_EQ(sink_.Reports().back().containers[0].runtime_id, "");  // never created
  EXPECT_THAT(driver_.CallsStartingWith("create"), IsEmpty());
}

TEST_F(EngineTest, PullTimesOutAtThePullTimeout) {
  options_.pull_timeout = absl::Minutes(7);
  options_.start_timeout = absl::Minutes(3);  // not the pull's
  Apply(Task({Container("app")}));
  Advance(absl::Minutes(7) - absl::Nanoseconds(1));
  EXPECT_EQ(C("app").known, ContainerStatus::kNone);
  Advance(absl::Nanoseconds(1));
  EXPECT_EQ(C("app").reason, "CannotPullContainerError: timed out after waiting 7m");
  EXPECT_EQ(State().known, TaskStatus::kStopped);
  driver_.CompletePull("app");  // too late: ignored
  EXPECT_EQ(C("app").known, ContainerStatus::kStopped);
  EXPECT_THAT(driver_.CallsStartingWith("create"), IsEmpty());
}

TEST_F(EngineTest, NonEssentialPullFailureLeavesTheTaskRunning) {
  driver_.auto_pull = true;
  driver_.pull_errors["helper"] = absl::UnavailableError("layer unreadable");
  Apply(Task({Container("app"), Container("helper", false)}));
  EXPECT_EQ(State().known, TaskStatus::kRunning);
  EXPECT_EQ(C("helper").reason, "CannotPullContainerError: layer unreadable");
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "PENDING app=RUNNING", "RUNNING helper=STOPPED"));
}

TEST_F(EngineTest, CreateFailureHasItsReason) {
  driver_.auto_pull = true;
  driver_.create_errors["app"] = absl::InternalError("failed to mount overlay: EINVAL");
  Apply(Task({Container("app")}));
  EXPECT_EQ(C("app").reason, "CannotCreateContainerError: failed to mount overlay: EINVAL");
  EXPECT_EQ(State().known, TaskStatus::kStopped);
  EXPECT_THAT(driver_.CallsStartingWith("start"), IsEmpty());
}

TEST_F(EngineTest, StartFailureHasItsReason) {
  driver_.auto_pull = true;
  driver_.start_errors["app"] = absl::PermissionDeniedError("failed to clone3: EPERM");
  Apply(Task({Container("app")}));
  EXPECT_EQ(C("app").reason, "CannotStartContainerError: failed to clone3: EPERM");
  EXPECT_EQ(State().known, TaskStatus::kStopped);
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "STOPPED app=STOPPED"));
}

TEST_F(EngineTest, TaskResourceFailureIsACgroupError) {
  driver_.auto_pull = true;
  driver_.create_task_error = absl::PermissionDeniedError("failed to mkdir berth/x: EACCES");
  Apply(Task({Container("app"), Container("other")}));
  EXPECT_THAT(driver_.CallsStartingWith("create"), ElementsAre("create-task"));
  EXPECT_EQ(State().known, TaskStatus::kStopped);
  EXPECT_EQ(State().stop_reason,
            "CgroupError: Agent could not create task's platform resources");
  EXPECT_EQ(sink_.Reports().back().reason, State().stop_reason);
}

TEST_F(EngineTest, StopWhilePullingStopsAtOnceAndIgnoresThePull) {
  Apply(Task({Container("app")}));
  Stop("Scaling down");
  EXPECT_EQ(State().known, TaskStatus::kStopped);
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "STOPPED app=STOPPED"));
  driver_.CompletePull("app");
  EXPECT_THAT(driver_.calls, ElementsAre("pull app"));
  EXPECT_EQ(sink_.Reports().size(), 2u);
}

TEST_F(EngineTest, AnExitReportedInsideStartIsAppliedAfterIt) {
  driver_.auto_pull = true;
  driver_.exit_inside_start["app"] = 0;
  Apply(Task({Container("app")}));
  EXPECT_EQ(C("app").known, ContainerStatus::kStopped);
  EXPECT_EQ(C("app").exit_code, 0);
  EXPECT_TRUE(C("app").started_at.has_value());
  EXPECT_THAT(Reports(), ElementsAre("PENDING", "STOPPED app=STOPPED(0)"));
}

TEST_F(EngineTest, EveryChangeIsPersistedAndNoStateTwice) {
  driver_.auto_pull = true;
  Apply(Task({Container("app"), Container("helper", false)}));
  driver_.Exit("app", 0);
  Advance(absl::Minutes(1));
  ASSERT_FALSE(sink_.changes.empty());
  EXPECT_EQ(sink_.changes.back().state, State());
  for (size_t i = 1; i < sink_.changes.size(); ++i) {
    EXPECT_NE(sink_.changes[i].state, sink_.changes[i - 1].state) << i;
  }
}

}  // namespace
}  // namespace berth::agent::testing
