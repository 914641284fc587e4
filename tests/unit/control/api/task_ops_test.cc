// RunTask, StartTask, StopTask, DescribeTasks, ListTasks and the agents'
// SubmitTaskStateChange / SubmitContainerStateChange on the model.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/op_harness.h"

namespace berth::control {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::Json;

// An instance with 2 vCPUs, 1,000 MiB and port 22 reserved.
constexpr char kRegister[] = R"({"cluster":"prod",
  "totalResources":[{"name":"CPU","type":"INTEGER","integerValue":2048},
                    {"name":"MEMORY","type":"INTEGER","integerValue":1000},
                    {"name":"PORTS","type":"STRINGSET","stringSetValue":["22"]}],
  "attributes":[{"name":"ecs.availability-zone","value":"us-east-1a"},
                {"name":"ecs.cpu-architecture","value":"x86_64"}]})";

class TaskOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.EnableAgents();
    h_.Ok("CreateCluster", R"({"clusterName":"prod"})");
    h_.Ok("RegisterTaskDefinition", R"({"family":"web","containerDefinitions":[
        {"name":"app","image":"busybox","cpu":256,"memory":300,
         "portMappings":[{"containerPort":80,"hostPort":0}]},
        {"name":"sidecar","image":"busybox","memoryReservation":100,"essential":false}]})");
  }

  std::string Register() {
    boost::json::object out = h_.Ok("RegisterContainerInstance", kRegister);
    h_.RunHooks(true);
    return std::string(out.at("containerInstance").at("containerInstanceArn").as_string());
  }

  // RunTask's output (hooks run: the commit is durable).
  boost::json::object Run(const std::string& extra = "", int count = 1) {
    boost::json::object out = h_.Ok(
        "RunTask", absl::StrCat(R"({"cluster":"prod","taskDefinition":"web","count":)", count,
                                extra, "}"));
    h_.RunHooks(true);
    return out;
  }

  static std::string ArnOf(const boost::json::object& run, size_t i = 0) {
    return std::string(run.at("tasks").at(i).at("taskArn").as_string());
  }

  boost::json::object Describe(const std::string& arn, const std::string& include = "") {
    boost::json::object out = h_.Ok(
        "DescribeTasks", absl::StrCat(R"({"cluster":"prod","tasks":[")", arn, "\"]", include, "}"));
    EXPECT_EQ(out.at("tasks").as_array().size(), 1u) << Json(out);
    return out.at("tasks").as_array().empty() ? boost::json::object()
                                              : out.at("tasks").at(0).as_object();
  }

  void Report(const std::string& arn, const std::string& body) {
    h_.Ok("SubmitTaskStateChange",
          absl::StrCat(R"({"cluster":"prod","task":")", arn, "\",", body, "}"));
    h_.RunHooks(true);
  }

  boost::json::object Instance(const std::string& arn) {
    boost::json::object out = h_.Ok(
        "DescribeContainerInstances",
        absl::StrCat(R"({"cluster":"prod","containerInstances":[")", arn, "\"]}"));
    return out.at("containerInstances").at(0).as_object();
  }

  static int64_t Remaining(const boost::json::object& instance, std::string_view name) {
    for (const boost::json::value& r : instance.at("remainingResources").as_array()) {
      if (r.at("name").as_string() == name) {
        return r.at("integerValue").as_int64();
      }
    }
    return -1;
  }

  int64_t ClusterCount(std::string_view member) {
    boost::json::object out = h_.Ok("DescribeClusters", R"({"clusters":["prod"]})");
    return out.at("clusters").at(0).at(member).as_int64();
  }

  testing::OpHarness h_;
};

TEST_F(TaskOpsTest, RunTaskOnAnEmptyClusterIsRefusedAsEcsDoes) {
  EXPECT_EQ(h_.Error("RunTask", R"({"cluster":"prod","taskDefinition":"web"})"),
            "InvalidParameterException: No Container Instances were found in your cluster.");
  EXPECT_EQ(h_.Error("RunTask", R"({"cluster":"nope","taskDefinition":"web"})"),
            "ClusterNotFoundException: Cluster not found.");
}

TEST_F(TaskOpsTest, RunTaskPlacesAPendingTaskAndSendsItToTheAgent) {
  std::string instance = Register();
  boost::json::object out = Run(R"(,"startedBy":"ci-42","tags":[{"key":"team","value":"a"}])");
  ASSERT_EQ(out.at("tasks").as_array().size(), 1u) << Json(out);
  EXPECT_TRUE(out.at("failures").as_array().empty());
  const boost::json::object& task = out.at("tasks").at(0).as_object();
  EXPECT_THAT(std::string(task.at("taskArn").as_string()),
              StartsWith("arn:aws:ecs:us-east-1:000000000000:task/prod/"));
  EXPECT_EQ(task.at("lastStatus").as_string(), "PENDING");
  EXPECT_EQ(task.at("desiredStatus").as_string(), "RUNNING");
  EXPECT_EQ(task.at("group").as_string(), "family:web");
  EXPECT_EQ(task.at("startedBy").as_string(), "ci-42");
  EXPECT_EQ(task.at("launchType").as_string(), "EC2");
  EXPECT_EQ(task.at("containerInstanceArn").as_string(), instance);
  EXPECT_EQ(task.at("availabilityZone").as_string(), "us-east-1a");
  EXPECT_EQ(task.at("taskDefinitionArn").as_string(),
            "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1");
  ASSERT_EQ(task.at("containers").as_array().size(), 2u);
  EXPECT_EQ(task.at("containers").at(0).at("lastStatus").as_string(), "PENDING");
  EXPECT_EQ(task.at("containers").at(0).at("memory").as_string(), "300");
  EXPECT_EQ(task.at("tags").at(0).at("key").as_string(), "team");

  std::vector<agents::SequencedMessage> sent = h_.SentTo(instance);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.kind, agents::AgentMessage::Kind::kTask);
  EXPECT_EQ(sent[0].message.task_arn, task.at("taskArn").as_string());
  EXPECT_THAT(sent[0].message.payload, HasSubstr("\"taskDefinition\""));
  EXPECT_THAT(sent[0].message.payload, HasSubstr("\"portMappings\""));

  // Held resources: cpu 256 of 2048; memory 300 + 100 (reservation) of 1000.
  boost::json::object ci = Instance(instance);
  EXPECT_EQ(Remaining(ci, "CPU"), 2048 - 256);
  EXPECT_EQ(Remaining(ci, "MEMORY"), 1000 - 400);
  EXPECT_EQ(ci.at("pendingTasksCount").as_int64(), 1);
  EXPECT_EQ(ClusterCount("pendingTasksCount"), 1);
  EXPECT_EQ(ClusterCount("runningTasksCount"), 0);
  EXPECT_EQ(h_.Error("DeleteCluster", R"({"cluster":"prod"})").substr(0, 40),
            "ClusterContainsContainerInstancesExcepti");
}

TEST_F(TaskOpsTest, AMessageIsNotDeliverableBeforeItsCommitAndIsWithdrawnWhenItFails) {
  std::string instance = Register();
  h_.Ok("RunTask", R"({"cluster":"prod","taskDefinition":"web"})");
  EXPECT_GT(h_.pending_hooks(), 0u);
  h_.RunHooks(false);
  EXPECT_TRUE(h_.SentTo(instance).empty());
}

TEST_F(TaskOpsTest, RunTaskPlacesWhatFitsAndReportsTheRestAsFailures) {
  std::string instance = Register();
  // 400 MiB each: two fit in 1,000 MiB, the third does not.
  boost::json::object out = Run("", 3);
  EXPECT_EQ(out.at("tasks").as_array().size(), 2u);
  ASSERT_EQ(out.at("failures").as_array().size(), 1u) << Json(out);
  EXPECT_EQ(out.at("failures").at(0).at("arn").as_string(), instance);
  EXPECT_EQ(out.at("failures").at(0).at("reason").as_string(), "RESOURCE:MEMORY");
}

TEST_F(TaskOpsTest, OverridesAreCheckedEchoedAndChangeWhatTheTaskNeeds) {
  std::string instance = Register();
  EXPECT_THAT(h_.Error("RunTask", R"({"cluster":"prod","taskDefinition":"web",
      "overrides":{"containerOverrides":[{"name":"nope"}]}})"),
              HasSubstr("Override for container named nope is not a container"));
  boost::json::object out = Run(R"(,"overrides":{"containerOverrides":[
      {"name":"app","memory":800,"command":["sleep","1"]}]})");
  const boost::json::object& task = out.at("tasks").at(0).as_object();
  EXPECT_THAT(Json(task.at("overrides")), HasSubstr("\"command\":[\"sleep\",\"1\"]"));
  EXPECT_THAT(Json(task.at("overrides")), HasSubstr("{\"name\":\"sidecar\"}"));
  EXPECT_EQ(task.at("containers").at(0).at("memory").as_string(), "800");
  EXPECT_EQ(Remaining(Instance(instance), "MEMORY"), 1000 - 900);
}

TEST_F(TaskOpsTest, InactiveAndUnknownTaskDefinitionsAreRefused) {
  Register();
  h_.Ok("DeregisterTaskDefinition", R"({"taskDefinition":"web:1"})");
  EXPECT_EQ(h_.Error("RunTask", R"({"cluster":"prod","taskDefinition":"web:1"})"),
            "ClientException: TaskDefinition is inactive");
  EXPECT_EQ(h_.Error("RunTask", R"({"cluster":"prod","taskDefinition":"other"})"),
            "ClientException: TaskDefinition not found.");
  EXPECT_THAT(h_.Error("RunTask", R"({"cluster":"prod","taskDefinition":"web:1","count":11})"),
              HasSubstr("count must be between 1 and 10"));
}

TEST_F(TaskOpsTest, StartTaskUsesTheNamedInstancesAndReportsMissingOnes) {
  std::string instance = Register();
  boost::json::object out = h_.Ok("StartTask", absl::StrCat(
      R"({"cluster":"prod","taskDefinition":"web","containerInstances":[")", instance,
      R"(","0123456789abcdef0123456789abcdef"]})"));
  ASSERT_EQ(out.at("tasks").as_array().size(), 1u);
  EXPECT_EQ(out.at("tasks").at(0).at("containerInstanceArn").as_string(), instance);
  ASSERT_EQ(out.at("failures").as_array().size(), 1u);
  EXPECT_EQ(out.at("failures").at(0).at("reason").as_string(), "MISSING");
}

TEST_F(TaskOpsTest, TheLifecycleFollowsTheAgentAndStoppingReleasesResources) {
  std::string instance = Register();
  std::string arn = ArnOf(Run());
  Report(arn, R"("status":"RUNNING","containers":[{"containerName":"app","status":"RUNNING",
      "runtimeId":"r1","networkBindings":[{"bindIP":"0.0.0.0","containerPort":80,
      "hostPort":32768,"protocol":"tcp"}]}])");
  boost::json::object task = Describe(arn);
  EXPECT_EQ(task.at("lastStatus").as_string(), "RUNNING");
  EXPECT_TRUE(task.contains("startedAt"));
  EXPECT_EQ(task.at("containers").at(0).at("networkBindings").at(0).at("hostPort").as_int64(),
            32768);
  EXPECT_EQ(ClusterCount("runningTasksCount"), 1);
  EXPECT_EQ(ClusterCount("pendingTasksCount"), 0);
  EXPECT_EQ(Instance(instance).at("runningTasksCount").as_int64(), 1);
  int64_t version = task.at("version").as_int64();

  // A repeated report changes nothing and writes nothing.
  h_.Ok("SubmitTaskStateChange", absl::StrCat(R"({"cluster":"prod","task":")", arn,
                                              R"(","status":"RUNNING"})"));
  EXPECT_TRUE(h_.changes().empty());
  // An earlier status is acknowledged and ignored.
  h_.Ok("SubmitTaskStateChange", absl::StrCat(R"({"cluster":"prod","task":")", arn,
                                              R"(","status":"PENDING"})"));
  EXPECT_TRUE(h_.changes().empty());

  // The essential container exits: the agent stops the task.
  Report(arn, R"("status":"STOPPED","containers":[
      {"containerName":"app","status":"STOPPED","exitCode":3},
      {"containerName":"sidecar","status":"STOPPED","exitCode":137}])");
  task = Describe(arn);
  EXPECT_EQ(task.at("lastStatus").as_string(), "STOPPED");
  EXPECT_EQ(task.at("desiredStatus").as_string(), "STOPPED");
  EXPECT_EQ(task.at("stopCode").as_string(), "EssentialContainerExited");
  EXPECT_EQ(task.at("stoppedReason").as_string(), "Essential container in task exited");
  EXPECT_EQ(task.at("containers").at(0).at("exitCode").as_int64(), 3);
  EXPECT_TRUE(task.contains("stoppedAt"));
  EXPECT_GT(task.at("version").as_int64(), version);
  boost::json::object ci = Instance(instance);
  EXPECT_EQ(Remaining(ci, "CPU"), 2048);
  EXPECT_EQ(Remaining(ci, "MEMORY"), 1000);
  EXPECT_EQ(ci.at("runningTasksCount").as_int64(), 0);
  EXPECT_EQ(ClusterCount("runningTasksCount"), 0);
  // Stopped: the cluster may go once its instance does.
  h_.Ok("DeregisterContainerInstance", absl::StrCat(R"({"cluster":"prod","containerInstance":")",
                                                    instance, "\"}"));
  h_.RunHooks(true);
  EXPECT_EQ(h_.Error("DeleteCluster", R"({"cluster":"prod"})"), "OK");
}

TEST_F(TaskOpsTest, ATaskThatNeverRanFailedToStart) {
  Register();
  std::string arn = ArnOf(Run());
  Report(arn, R"("status":"STOPPED","reason":"CannotPullContainerError: pull access denied")");
  boost::json::object task = Describe(arn);
  EXPECT_EQ(task.at("stopCode").as_string(), "TaskFailedToStart");
  EXPECT_EQ(task.at("stoppedReason").as_string(),
            "CannotPullContainerError: pull access denied");
  EXPECT_EQ(task.at("containers").at(0).at("lastStatus").as_string(), "STOPPED");
}

TEST_F(TaskOpsTest, StopTaskSendsAStopOrderAndKeepsTheUsersReason) {
  std::string instance = Register();
  std::string arn = ArnOf(Run());
  Report(arn, R"("status":"RUNNING")");
  boost::json::object out = h_.Ok(
      "StopTask", absl::StrCat(R"({"cluster":"prod","task":")", arn, R"(","reason":"deploy"})"));
  const boost::json::object& task = out.at("task").as_object();
  EXPECT_EQ(task.at("desiredStatus").as_string(), "STOPPED");
  EXPECT_EQ(task.at("lastStatus").as_string(), "RUNNING");
  EXPECT_EQ(task.at("stopCode").as_string(), "UserInitiated");
  EXPECT_EQ(task.at("stoppedReason").as_string(), "deploy");
  std::vector<agents::SequencedMessage> sent = h_.SentTo(instance);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].message.kind, agents::AgentMessage::Kind::kStop);
  EXPECT_EQ(sent[1].message.reason, "deploy");
  EXPECT_EQ(sent[1].message.task_arn, arn);
  // The agent's later report keeps the user's reason.
  Report(arn, R"("status":"STOPPED","reason":"SIGTERM","containers":[
      {"containerName":"app","status":"STOPPED","exitCode":143}])");
  EXPECT_EQ(Describe(arn).at("stoppedReason").as_string(), "deploy");
  EXPECT_EQ(Describe(arn).at("stopCode").as_string(), "UserInitiated");
  // Stopping again is a no-op; an unknown task is an error.
  EXPECT_EQ(h_.Error("StopTask", absl::StrCat(R"({"cluster":"prod","task":")", arn, "\"}")),
            "OK");
  EXPECT_EQ(h_.Error("StopTask", R"({"cluster":"prod","task":"0123456789abcdef0123456789abcdef"})"),
            "InvalidParameterException: The referenced task was not found.");
}

TEST_F(TaskOpsTest, DescribeTasksReportsMissingOnesAndTagsOnRequest) {
  Register();
  std::string arn = ArnOf(Run(R"(,"tags":[{"key":"k","value":"v"}])"));
  boost::json::object out = h_.Ok("DescribeTasks", absl::StrCat(
      R"({"cluster":"prod","include":["TAGS"],"tasks":[")", arn,
      R"(","ffffffffffffffffffffffffffffffff"]})"));
  ASSERT_EQ(out.at("tasks").as_array().size(), 1u);
  EXPECT_EQ(out.at("tasks").at(0).at("tags").at(0).at("value").as_string(), "v");
  ASSERT_EQ(out.at("failures").as_array().size(), 1u);
  EXPECT_EQ(out.at("failures").at(0).at("reason").as_string(), "MISSING");
  EXPECT_EQ(out.at("failures").at(0).at("arn").as_string(),
            "arn:aws:ecs:us-east-1:000000000000:task/prod/ffffffffffffffffffffffffffffffff");
  EXPECT_FALSE(Describe(arn).contains("tags"));
  // Tag operations reach tasks.
  h_.Ok("TagResource", absl::StrCat(R"({"resourceArn":")", arn,
                                    R"(","tags":[{"key":"k2","value":"v2"}]})"));
  boost::json::object tags =
      h_.Ok("ListTagsForResource", absl::StrCat(R"({"resourceArn":")", arn, "\"}"));
  EXPECT_EQ(tags.at("tags").as_array().size(), 2u);
}

TEST_F(TaskOpsTest, ListTasksFiltersAndPages) {
  std::string instance = Register();
  h_.Ok("RegisterTaskDefinition", R"({"family":"batch","containerDefinitions":[
      {"name":"job","image":"busybox","memory":10}]})");
  std::vector<std::string> web;
  for (int i = 0; i < 2; ++i) web.push_back(ArnOf(Run()));
  std::vector<std::string> batch;
  for (int i = 0; i < 5; ++i) {
    boost::json::object out = h_.Ok("RunTask", R"({"cluster":"prod","taskDefinition":"batch",
        "startedBy":"cron"})");
    h_.RunHooks(true);
    batch.push_back(ArnOf(out));
  }
  auto list = [&](const std::string& filters) {
    boost::json::object out =
        h_.Ok("ListTasks", absl::StrCat(R"({"cluster":"prod")", filters, "}"));
    return out.at("taskArns").as_array().size();
  };
  EXPECT_EQ(list(""), 7u);
  EXPECT_EQ(list(R"(,"family":"web")"), 2u);
  EXPECT_EQ(list(R"(,"startedBy":"cron")"), 5u);
  EXPECT_EQ(list(absl::StrCat(R"(,"containerInstance":")", instance, "\"")), 7u);
  EXPECT_EQ(list(R"(,"desiredStatus":"PENDING")"), 0u);
  EXPECT_THAT(h_.Error("ListTasks", R"({"cluster":"prod","startedBy":"cron","family":"web"})"),
              HasSubstr("startedBy may not be combined"));
  EXPECT_EQ(h_.Error("ListTasks", R"({"cluster":"prod","serviceName":"svc"})"),
            "ServiceNotFoundException: Service not found.");

  h_.Ok("StopTask", absl::StrCat(R"({"cluster":"prod","task":")", web[0], "\"}"));
  h_.RunHooks(true);
  EXPECT_EQ(list(""), 6u);
  EXPECT_EQ(list(R"(,"desiredStatus":"STOPPED")"), 1u);

  // Pages of 4: every running task once.
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    std::string body = R"({"cluster":"prod","maxResults":4)";
    if (!token.empty()) absl::StrAppend(&body, R"(,"nextToken":")", token, "\"");
    boost::json::object out = h_.Ok("ListTasks", body + "}");
    for (const boost::json::value& a : out.at("taskArns").as_array()) {
      EXPECT_TRUE(seen.insert(std::string(a.as_string())).second);
    }
    token = out.contains("nextToken") ? std::string(out.at("nextToken").as_string()) : "";
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(pages, 2);
}

TEST_F(TaskOpsTest, DeregisteringAnInstanceWithTasksNeedsForceAndStopsThem) {
  std::string instance = Register();
  std::string arn = ArnOf(Run());
  std::string body =
      absl::StrCat(R"({"cluster":"prod","containerInstance":")", instance, "\"");
  EXPECT_THAT(h_.Error("DeregisterContainerInstance", body + "}"),
              HasSubstr("Found running tasks on the instance"));
  h_.Ok("DeregisterContainerInstance", body + R"(,"force":true})");
  h_.RunHooks(true);
  boost::json::object task = Describe(arn);
  EXPECT_EQ(task.at("lastStatus").as_string(), "STOPPED");
  EXPECT_EQ(task.at("stoppedReason").as_string(), "Container instance deregistered");
  EXPECT_EQ(ClusterCount("pendingTasksCount"), 0);
  EXPECT_EQ(h_.Error("DeleteCluster", R"({"cluster":"prod"})"), "OK");
}

TEST_F(TaskOpsTest, ADisconnectedAgentFailsPlacementWithReasonAgent) {
  std::string instance = Register();
  h_.model().container_instances().SetAgentConnected(
      instance.substr(instance.rfind('/') + 1), false);
  boost::json::object out = Run();
  EXPECT_TRUE(out.at("tasks").as_array().empty());
  ASSERT_EQ(out.at("failures").as_array().size(), 1u);
  EXPECT_EQ(out.at("failures").at(0).at("reason").as_string(), "AGENT");
}

TEST_F(TaskOpsTest, SubmitContainerStateChangeUpdatesOneContainer) {
  Register();
  std::string arn = ArnOf(Run());
  h_.Ok("SubmitContainerStateChange",
        absl::StrCat(R"({"cluster":"prod","task":")", arn,
                     R"(","containerName":"sidecar","status":"RUNNING","runtimeId":"c2"})"));
  boost::json::object task = Describe(arn);
  EXPECT_EQ(task.at("containers").at(1).at("lastStatus").as_string(), "RUNNING");
  EXPECT_EQ(task.at("containers").at(1).at("runtimeId").as_string(), "c2");
  EXPECT_THAT(h_.Error("SubmitContainerStateChange",
                       absl::StrCat(R"({"cluster":"prod","task":")", arn,
                                    R"(","containerName":"nope","status":"RUNNING"})")),
              HasSubstr("no container named 'nope'"));
}

}  // namespace
}  // namespace berth::control

namespace berth::control {
namespace {

TEST_F(TaskOpsTest, LongReasonsAreCutAtACharacterBoundary) {
  Register();
  std::string arn = ArnOf(Run());
  // 1,023 ASCII bytes and a two-byte 'é': the 1,024-byte limit falls inside it.
  std::string reason = std::string(1023, 'a') + "\xc3\xa9";
  Report(arn, absl::StrCat(R"("status":"STOPPED","reason":")", reason, "\""));
  boost::json::object task = Describe(arn);
  EXPECT_EQ(task.at("stoppedReason").as_string(), std::string(1023, 'a'));
  // The stored record still decodes.
  ASSERT_NE(h_.model().tasks().FindById(arn.substr(arn.rfind('/') + 1)), nullptr);
  EXPECT_TRUE(state::DecodeTask(state::EncodeTask(
                  *h_.model().tasks().FindById(arn.substr(arn.rfind('/') + 1))))
                  .ok());
}

}  // namespace
}  // namespace berth::control
