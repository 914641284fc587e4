// The agent's RegisterContainerInstance body, run through berth-control's
// own operations: it is accepted, and a task definition that uses only what
// berth implements (dependsOn, json-file logs) is placed on the instance,
// while one needing a capability berth lacks (awslogs) is not.

#include <string>

#include "absl/strings/str_cat.h"
#include "agent/config/registration.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/op_harness.h"

namespace berth::agent::config {
namespace {

using ::testing::HasSubstr;

HostFacts Host() {
  HostFacts h;
  h.cpus = 2;
  h.memory_mib = 3900;
  h.machine = "x86_64";
  return h;
}

class RegistrationControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.EnableAgents();
    h_.Ok("CreateCluster", R"({"clusterName":"prod"})");
  }

  std::string Register(const RegistrationInput& input = {}) {
    absl::StatusOr<AgentConfig> config = ConfigFromVariables(
        {{"ECS_CLUSTER", "prod"},
         {"ECS_INSTANCE_ATTRIBUTES", R"({"stack":"blue","owner":"team-a@example.com"})"},
         {"ECS_CONTAINER_INSTANCE_TAGS", R"({"env":"prod","note":"a b: c=d+e/f@g"})"},
         {"ECS_RESERVED_PORTS_UDP", "[53]"}},
        {});
    EXPECT_TRUE(config.ok()) << config.status();
    absl::StatusOr<RegisterRequest> request = BuildRegisterRequest(*config, Host(), input);
    EXPECT_TRUE(request.ok()) << request.status();
    boost::json::object out = h_.Ok("RegisterContainerInstance", request->ToJsonText());
    h_.RunHooks(true);
    return std::string(out.at("containerInstance").at("containerInstanceArn").as_string());
  }

  control::testing::OpHarness h_;
};

TEST_F(RegistrationControlTest, AcceptedWithEverythingItSaid) {
  RegistrationInput input;
  input.cgroup_enforcement = true;
  input.agent_version = "0.1.0";
  std::string arn = Register(input);
  boost::json::object out = h_.Ok(
      "DescribeContainerInstances",
      absl::StrCat(R"({"cluster":"prod","containerInstances":[")", arn, R"("],"include":["TAGS"]})"));
  std::string described = control::testing::Json(out.at("containerInstances").at(0));
  EXPECT_THAT(described, HasSubstr(R"({"name":"CPU","type":"INTEGER")"));
  EXPECT_THAT(described, HasSubstr(R"("integerValue":2048)"));
  EXPECT_THAT(described, HasSubstr(R"("integerValue":3900)"));
  EXPECT_THAT(described, HasSubstr(R"("stringSetValue":["53"])"));
  EXPECT_THAT(described, HasSubstr(R"({"name":"berth.cgroup-enforcement","value":"true"})"));
  EXPECT_THAT(described, HasSubstr(R"({"name":"ecs.availability-zone","value":"us-east-1a"})"));
  EXPECT_THAT(described, HasSubstr(R"({"name":"stack","value":"blue"})"));
  EXPECT_THAT(described, HasSubstr(R"("agentVersion":"0.1.0")"));
  EXPECT_THAT(described, HasSubstr(R"({"key":"note","value":"a b: c=d+e/f@g"})"));
}

TEST_F(RegistrationControlTest, ReRegistrationWithTheSavedArnKeepsTheIdentity) {
  std::string arn = Register();
  RegistrationInput input;
  input.container_instance_arn = arn;
  EXPECT_EQ(Register(input), arn);
}

TEST_F(RegistrationControlTest, TaskUsingWhatBerthImplementsIsPlaced) {
  std::string arn = Register();
  h_.Ok("RegisterTaskDefinition", R"({"family":"web","containerDefinitions":[
      {"name":"db","image":"busybox","memory":128,
       "logConfiguration":{"logDriver":"json-file"}},
      {"name":"app","image":"busybox","memory":128,
       "dependsOn":[{"containerName":"db","condition":"START"}],
       "logConfiguration":{"logDriver":"none"}}]})");
  boost::json::object out = h_.Ok("RunTask", R"({"cluster":"prod","taskDefinition":"web"})");
  ASSERT_EQ(out.at("tasks").as_array().size(), 1u) << control::testing::Json(out);
  EXPECT_EQ(out.at("tasks").at(0).at("containerInstanceArn").as_string(), arn);
}

TEST_F(RegistrationControlTest, TaskNeedingAwslogsIsNotPlaced) {
  Register();
  h_.Ok("RegisterTaskDefinition", R"({"family":"logs","containerDefinitions":[
      {"name":"app","image":"busybox","memory":128,
       "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"g"}}}]})");
  absl::StatusOr<boost::json::object> out =
      h_.Call("RunTask", R"({"cluster":"prod","taskDefinition":"logs"})");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->at("tasks").as_array().empty());
  ASSERT_EQ(out->at("failures").as_array().size(), 1u);
  EXPECT_EQ(out->at("failures").at(0).at("reason").as_string(), "ATTRIBUTE");
  EXPECT_EQ(out->at("failures").at(0).at("detail").as_string(),
            "lacks attribute com.amazonaws.ecs.capability.logging-driver.awslogs");
}

}  // namespace
}  // namespace berth::agent::config
