// Statuses, fresh task states, report text and the SubmitTaskStateChange
// body.

#include <string>

#include "agent/task/task_state.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::agent {
namespace {

TEST(StatusTest, NamesParseBackAndOrderIsHowFar) {
  for (ContainerStatus s : {ContainerStatus::kNone, ContainerStatus::kPulled,
                            ContainerStatus::kCreated, ContainerStatus::kRunning,
                            ContainerStatus::kStopped}) {
    EXPECT_EQ(ParseContainerStatus(ToString(s)), s);
    EXPECT_EQ(ParseTaskStatus(ToString(s)), static_cast<TaskStatus>(s));
  }
  EXPECT_EQ(ToString(ContainerStatus::kCreated), "CREATED");
  EXPECT_EQ(ToString(TaskStatus::kPulled), "PULLED");
  EXPECT_EQ(ParseContainerStatus("running"), std::nullopt);
  EXPECT_EQ(ParseTaskStatus("PENDING"), std::nullopt);
  EXPECT_LT(ContainerStatus::kPulled, ContainerStatus::kRunning);
  EXPECT_LT(TaskStatus::kRunning, TaskStatus::kStopped);
}

TEST(StatusTest, BackendStatusIsPendingUntilRunning) {
  EXPECT_EQ(BackendStatus(ContainerStatus::kNone), "PENDING");
  EXPECT_EQ(BackendStatus(ContainerStatus::kPulled), "PENDING");
  EXPECT_EQ(BackendStatus(ContainerStatus::kCreated), "PENDING");
  EXPECT_EQ(BackendStatus(ContainerStatus::kRunning), "RUNNING");
  EXPECT_EQ(BackendStatus(ContainerStatus::kStopped), "STOPPED");
  EXPECT_EQ(BackendStatus(TaskStatus::kNone), "PENDING");
  EXPECT_EQ(BackendStatus(TaskStatus::kCreated), "PENDING");
  EXPECT_EQ(BackendStatus(TaskStatus::kRunning), "RUNNING");
  EXPECT_EQ(BackendStatus(TaskStatus::kStopped), "STOPPED");
}

TEST(DependencyConditionTest, NamesParseBack) {
  for (DependencyCondition c : {DependencyCondition::kStart, DependencyCondition::kComplete,
                                DependencyCondition::kSuccess, DependencyCondition::kHealthy}) {
    EXPECT_EQ(ParseDependencyCondition(ToString(c)), c);
  }
  EXPECT_EQ(ToString(DependencyCondition::kSuccess), "SUCCESS");
  EXPECT_EQ(ParseDependencyCondition("CREATE"), std::nullopt);
}

TaskSpec TwoContainers(std::string desired) {
  TaskSpec spec;
  spec.arn = "arn:aws:ecs:us-east-1:000000000000:task/prod/abc";
  spec.id = "abc";
  spec.desired_status = std::move(desired);
  spec.containers.resize(2);
  spec.containers[0].name = "web";
  spec.containers[1].name = "log";
  return spec;
}

TEST(NewTaskStateTest, EveryContainerStartsAtNoneDesiredAsTheTask) {
  TaskState state = NewTaskState(TwoContainers("RUNNING"));
  EXPECT_EQ(state.known, TaskStatus::kNone);
  EXPECT_EQ(state.desired, TaskStatus::kRunning);
  ASSERT_EQ(state.containers.size(), 2u);
  EXPECT_EQ(state.containers[0].name, "web");
  EXPECT_EQ(state.containers[1].name, "log");
  for (const ContainerState& c : state.containers) {
    EXPECT_EQ(c.known, ContainerStatus::kNone);
    EXPECT_EQ(c.desired, ContainerStatus::kRunning);
  }
  EXPECT_EQ(state.FindContainer("log"), &state.containers[1]);
  EXPECT_EQ(state.FindContainer("db"), nullptr);
  const TaskState& constant = state;
  EXPECT_EQ(constant.FindContainer("web"), &state.containers[0]);

  TaskState stopped = NewTaskState(TwoContainers("STOPPED"));
  EXPECT_EQ(stopped.desired, TaskStatus::kStopped);
  EXPECT_EQ(stopped.containers[1].desired, ContainerStatus::kStopped);
}

TEST(ReportTextTest, CutsOnACharacterBoundary) {
  EXPECT_EQ(ReportText("abc", 2), "ab");
  EXPECT_EQ(ReportText("abc"), "abc");
  // "é" is two bytes: a cut in its middle drops it whole.
  EXPECT_EQ(ReportText("a\xC3\xA9", 2), "a");
  EXPECT_EQ(ReportText("a\xC3\xA9", 3), "a\xC3\xA9");
  // A four-byte character at the limit.
  EXPECT_EQ(ReportText("\xF0\x9F\x90\xB3x", 3), "");
  EXPECT_EQ(ReportText("\xF0\x9F\x90\xB3x", 4), "\xF0\x9F\x90\xB3");
}

TEST(ReportTextTest, ReplacesInvalidBytes) {
  const std::string kReplacement = "\xEF\xBF\xBD";
  EXPECT_EQ(ReportText("a\xFFz"), "a" + kReplacement + "z");
  EXPECT_EQ(ReportText("\xC3"), kReplacement);              // truncated character
  EXPECT_EQ(ReportText("\xC0\xAF"), kReplacement + kReplacement);  // overlong
  EXPECT_EQ(ReportText("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);  // surrogate
  EXPECT_EQ(ReportText("\xF4\x90\x80\x80").size(), 4 * kReplacement.size());  // > U+10FFFF
  EXPECT_EQ(ReportText(std::string("a\0b", 3)), std::string("a\0b", 3));
}

boost::json::object Body(const TaskChange& change) {
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(SubmitTaskStateChangeBody(change), ec);
  EXPECT_FALSE(ec) << SubmitTaskStateChangeBody(change);
  return v.is_object() ? v.as_object() : boost::json::object();
}

TEST(SubmitTaskStateChangeBodyTest, WritesBotocoresMembers) {
  TaskChange change;
  change.seq = 7;
  change.cluster_arn = "arn:aws:ecs:us-east-1:000000000000:cluster/prod";
  change.task_arn = "arn:aws:ecs:us-east-1:000000000000:task/prod/abc";
  change.status = "STOPPED";
  change.reason = "Essential container in task exited";
  change.pull_started_at = absl::FromUnixMillis(1700000000123);
  change.pull_stopped_at = absl::FromUnixMillis(1700000001000);
  change.execution_stopped_at = absl::FromUnixMillis(1700000002500);
  ContainerChange web;
  web.container_name = "web";
  web.runtime_id = "abcd";
  web.status = "STOPPED";
  web.exit_code = 137;
  web.reason = "OutOfMemoryError: Container killed due to memory usage";
  web.image_digest = "sha256:0123";
  web.network_bindings = {NetworkBinding{"0.0.0.0", 80, 32768, "tcp"}};
  change.containers = {web};
  EXPECT_EQ(
      SubmitTaskStateChangeBody(change),
      R"({"cluster":"arn:aws:ecs:us-east-1:000000000000:cluster/prod",)"
      R"("task":"arn:aws:ecs:us-east-1:000000000000:task/prod/abc","status":"STOPPED",)"
      R"("reason":"Essential container in task exited","containers":[{"containerName":"web",)"
      R"("runtimeId":"abcd","status":"STOPPED","exitCode":137,)"
      R"("reason":"OutOfMemoryError: Container killed due to memory usage",)"
      R"("imageDigest":"sha256:0123","networkBindings":[{"bindIP":"0.0.0.0",)"
      R"("containerPort":80,"hostPort":32768,"protocol":"tcp"}]}],)"
      R"("pullStartedAt":1.700000000123E9,"pullStoppedAt":1.700000001E9,)"
      R"("executionStoppedAt":1.7000000025E9})");
  boost::json::object body = Body(change);
  EXPECT_EQ(body.at("pullStartedAt").as_double(), 1700000000.123);
}

TEST(SubmitTaskStateChangeBodyTest, LeavesOutWhatIsNotKnown) {
  TaskChange change;
  change.cluster_arn = "prod";
  change.task_arn = "abc";
  change.status = "RUNNING";
  ContainerChange web;
  web.container_name = "web";
  web.status = "RUNNING";
  change.containers = {web};
  EXPECT_EQ(SubmitTaskStateChangeBody(change),
            R"({"cluster":"prod","task":"abc","status":"RUNNING",)"
            R"("containers":[{"containerName":"web","status":"RUNNING"}]})");
  change.containers.clear();
  change.status.clear();
  EXPECT_EQ(SubmitTaskStateChangeBody(change), R"({"cluster":"prod","task":"abc"})");
}

TEST(SubmitTaskStateChangeBodyTest, CutsReasonsAndIdsAtCharacterBoundaries) {
  TaskChange change;
  change.cluster_arn = "prod";
  change.task_arn = "abc";
  // 1,023 ASCII bytes then a two-byte character: byte 1,024 splits it.
  change.reason = std::string(1023, 'r') + "\xC3\xA9" + "tail";
  ContainerChange web;
  web.container_name = "web";
  web.reason = std::string(1030, 'c');
  web.runtime_id = std::string(254, 'i') + "\xE2\x82\xAC";  // euro sign over byte 255
  web.image_digest = std::string(300, 'd');
  change.containers = {web};
  boost::json::object body = Body(change);
  EXPECT_EQ(body.at("reason").as_string(), std::string(1023, 'r'));
  const boost::json::object& c = body.at("containers").at(0).as_object();
  EXPECT_EQ(c.at("reason").as_string().size(), 1024u);
  EXPECT_EQ(c.at("runtimeId").as_string(), std::string(254, 'i'));
  EXPECT_EQ(c.at("imageDigest").as_string(), std::string(255, 'd'));
}

TEST(SubmitTaskStateChangeBodyTest, InvalidUtf8StaysValidJson) {
  TaskChange change;
  change.cluster_arn = "prod";
  change.task_arn = "abc";
  change.reason = "CannotStartContainerError: exec: \"\xFF\xFE\": not found";
  boost::json::object body = Body(change);
  EXPECT_EQ(body.at("reason").as_string(),
            "CannotStartContainerError: exec: \"\xEF\xBF\xBD\xEF\xBF\xBD\": not found");
}

}  // namespace
}  // namespace berth::agent
