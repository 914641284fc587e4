#include "agent/engine/dependencies.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/engine/test_specs.h"

namespace berth::agent {
namespace {

using ::berth::agent::testing::Container;
using ::berth::agent::testing::Dep;
using ::berth::agent::testing::Task;
using ::testing::HasSubstr;
using Verdict = DependencyCheck::Verdict;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

TaskState StateOf(TaskSpec spec) {
  TaskState state;
  for (const ContainerSpec& c : spec.containers) {
    ContainerState container;
    container.name = c.name;
    container.known = ContainerStatus::kPulled;
    state.containers.push_back(container);
  }
  state.spec = std::move(spec);
  return state;
}

// `c` running, started at kNow.
void Running(ContainerState& c) {
  c.known = ContainerStatus::kRunning;
  c.started_at = kNow;
}

// dep "a" stopped after running, with `code`.
void Exited(ContainerState& c, std::optional<int32_t> code) {
  c.known = ContainerStatus::kStopped;
  c.desired = ContainerStatus::kStopped;
  c.started_at = kNow - absl::Seconds(5);
  c.exit_code = code;
}

TaskState Pair(DependencyCondition condition) {
  return StateOf(Task({Container("a", false), Container("b", true, {Dep("a", condition)})}));
}

TEST(DependenciesTest, NoDependenciesResolve) {
  TaskState s = StateOf(Task({Container("a")}));
  EXPECT_EQ(CheckDependencies(s, 0, kNow).verdict, Verdict::kResolved);
}

TEST(DependenciesTest, StartWaitsForRunningOrStoppedAfterRunning) {
  TaskState s = Pair(DependencyCondition::kStart);
  EXPECT_EQ(CheckDependencies(s, 1, kNow).verdict, Verdict::kWait);
  s.containers[0].known = ContainerStatus::kCreated;
  EXPECT_EQ(CheckDependencies(s, 1, kNow).verdict, Verdict::kWait);
  Running(s.containers[0]);
  EXPECT_EQ(CheckDependencies(s, 1, kNow).verdict, Verdict::kResolved);
  Exited(s.containers[0], 1);
  EXPECT_EQ(CheckDependencies(s, 1, kNow).verdict, Verdict::kResolved);
}

TEST(DependenciesTest, CompleteNeedsAnExitCode) {
  TaskState s = Pair(DependencyCondition::kComplete);
  Running(s.containers[0]);
  EXPECT_EQ(CheckDependencies(s, 1, kNow).verdict, Verdict::kWait);
  Exited(s.containers[0], 3);
  EXPECT_EQ(CheckDependencies(s, 1, kNow).verdict, Verdict::kResolved);
}

TEST(DependenciesTest, CompleteWithoutAnExitCodeIsTerminal) {
  TaskState s = Pair(DependencyCondition::kComplete);
  Exited(s.containers[0], std::nullopt);  // vanished while the agent was down
  DependencyCheck check = CheckDependencies(s, 1, kNow);
  EXPECT_EQ(check.verdict, Verdict::kTerminal);
  EXPECT_THAT(check.error, HasSubstr("without an exit code"));
}

TEST(DependenciesTest, SuccessNeedsExitZeroAndFailsFastOtherwise) {
  TaskState s = Pair(DependencyCondition::kSuccess);
  Exited(s.containers[0], 0);
  EXPECT_EQ(CheckDependencies(s, 1, kNow).verdict, Verdict::kResolved);
  Exited(s.containers[0], 2);
  DependencyCheck check = CheckDependencies(s, 1, kNow);
  EXPECT_EQ(check.verdict, Verdict::kTerminal);
  EXPECT_EQ(check.error,
            "dependency graph: failed to resolve container ordering dependency [a] for target "
            "[b] as dependency did not exit successfully.");
}

TEST(DependenciesTest, HealthyIsTerminalWithoutHealthChecks) {
  TaskState s = Pair(DependencyCondition::kHealthy);
  Running(s.containers[0]);
  DependencyCheck check = CheckDependencies(s, 1, kNow);
  EXPECT_EQ(check.verdict, Verdict::kTerminal);
  EXPECT_THAT(check.error, HasSubstr("HEALTHY needs a health check"));
}

TEST(DependenciesTest, ADependencyThatWillNeverStartIsTerminal) {
  for (DependencyCondition condition : {DependencyCondition::kStart, DependencyCondition::kComplete,
                                        DependencyCondition::kSuccess}) {
    TaskState s = Pair(condition);
    s.containers[0].known = ContainerStatus::kStopped;  // e.g. its pull failed
    s.containers[0].reason = "CannotPullContainerError: no such image";
    DependencyCheck check = CheckDependencies(s, 1, kNow);
    EXPECT_EQ(check.verdict, Verdict::kTerminal) << ToString(condition);
    EXPECT_THAT(check.error, HasSubstr("because dependency will never start"));
  }
}

TEST(DependenciesTest, MissingDependencyIsTerminal) {
  TaskState s = StateOf(Task({Container("b", true, {Dep("nope", DependencyCondition::kStart)})}));
  DependencyCheck check = CheckDependencies(s, 0, kNow);
  EXPECT_EQ(check.verdict, Verdict::kTerminal);
  EXPECT_THAT(check.error, HasSubstr("[nope] for target [b] does not exist"));
}

TEST(DependenciesTest, StartTimeoutCountsFromTheDependencysStart) {
  TaskState s = Pair(DependencyCondition::kComplete);
  s.spec.containers[0].start_timeout = 10;
  Running(s.containers[0]);
  EXPECT_EQ(CheckDependencies(s, 1, kNow + absl::Seconds(10) - absl::Nanoseconds(1)).verdict,
            Verdict::kWait);
  DependencyCheck check = CheckDependencies(s, 1, kNow + absl::Seconds(10));
  EXPECT_EQ(check.verdict, Verdict::kTerminal);
  EXPECT_THAT(check.error, HasSubstr("has timed out"));
}

TEST(DependenciesTest, StartTimeoutDoesNotApplyToStart) {
  TaskState s = Pair(DependencyCondition::kStart);
  s.spec.containers[0].start_timeout = 10;
  s.containers[0].known = ContainerStatus::kCreated;
  s.containers[0].started_at = kNow;
  EXPECT_EQ(CheckDependencies(s, 1, kNow + absl::Hours(1)).verdict, Verdict::kWait);
}

TEST(DependenciesTest, AllDependenciesMustResolve) {
  TaskState s = StateOf(Task({Container("a"), Container("b"),
                              Container("c", true,
                                        {Dep("a", DependencyCondition::kStart),
                                         Dep("b", DependencyCondition::kSuccess)})}));
  Running(s.containers[0]);
  EXPECT_EQ(CheckDependencies(s, 2, kNow).verdict, Verdict::kWait);
  Exited(s.containers[1], 0);
  EXPECT_EQ(CheckDependencies(s, 2, kNow).verdict, Verdict::kResolved);
}

TEST(DependenciesTest, DependentsStoppedIsTheReverseOrder) {
  TaskState s = StateOf(Task({Container("a"), Container("b", true, {Dep("a", DependencyCondition::kStart)}),
                              Container("c", true, {Dep("b", DependencyCondition::kComplete)})}));
  for (ContainerState& c : s.containers) c.known = ContainerStatus::kRunning;
  EXPECT_FALSE(DependentsStopped(s, 0));
  EXPECT_FALSE(DependentsStopped(s, 1));
  EXPECT_TRUE(DependentsStopped(s, 2));
  s.containers[2].known = ContainerStatus::kStopped;
  EXPECT_TRUE(DependentsStopped(s, 1));
  EXPECT_FALSE(DependentsStopped(s, 0));
  s.containers[1].known = ContainerStatus::kStopped;
  EXPECT_TRUE(DependentsStopped(s, 0));
}

}  // namespace
}  // namespace berth::agent
