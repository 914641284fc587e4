#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/op_harness.h"

namespace berth::control {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing::Json;

constexpr char kRegister[] = R"({"cluster":"prod",
  "totalResources":[{"name":"CPU","type":"INTEGER","integerValue":2048},
                    {"name":"MEMORY","type":"INTEGER","integerValue":3900},
                    {"name":"PORTS","type":"STRINGSET","stringSetValue":["22","2375"]},
                    {"name":"PORTS_UDP","type":"STRINGSET","stringSetValue":[]}],
  "versionInfo":{"agentVersion":"1.70.2","dockerVersion":"20.10.25"},
  "attributes":[{"name":"ecs.instance-type","value":"t3.small"},
                {"name":"com.amazonaws.ecs.capability.docker-remote-api.1.17"}],
  "instanceIdentityDocument":"{\"instanceId\":\"i-0123\",\"availabilityZone\":\"us-east-1a\"}"})";

class ContainerInstanceOpsTest : public ::testing::Test {
 protected:
  void SetUp() override { h_.Ok("CreateCluster", R"({"clusterName":"prod"})"); }

  // Registers kRegister (with `type` as instance type); returns the ARN.
  std::string Register(std::string_view type = "t3.small") {
    std::string body = kRegister;
    body.replace(body.find("t3.small"), 8, type);
    boost::json::object out = h_.Ok("RegisterContainerInstance", body);
    return std::string(out.at("containerInstance").at("containerInstanceArn").as_string());
  }

  testing::OpHarness h_;
};

TEST_F(ContainerInstanceOpsTest, RegisterAssignsALongArnAndCountsTheInstance) {
  boost::json::object out = h_.Ok("RegisterContainerInstance", kRegister);
  const boost::json::object& ci = out.at("containerInstance").as_object();
  std::string arn(ci.at("containerInstanceArn").as_string());
  EXPECT_THAT(arn, StartsWith("arn:aws:ecs:us-east-1:000000000000:container-instance/prod/"));
  EXPECT_EQ(arn.size(), std::string("arn:aws:ecs:us-east-1:000000000000:container-instance/prod/")
                                .size() + 32);
  EXPECT_EQ(ci.at("status").as_string(), "ACTIVE");
  EXPECT_TRUE(ci.at("agentConnected").as_bool());
  EXPECT_EQ(ci.at("ec2InstanceId").as_string(), "i-0123");
  EXPECT_EQ(Json(ci.at("remainingResources")), Json(ci.at("registeredResources")));
  EXPECT_THAT(Json(ci.at("attributes")), HasSubstr("us-east-1a"));
  ASSERT_EQ(h_.changes().size(), 1u);
  EXPECT_EQ(h_.changes().mutations()[0].table, "container_instances");
  EXPECT_EQ(h_.model().clusters().counts("prod").registered_instances, 1);
  boost::json::object clusters = h_.Ok("DescribeClusters", R"({"clusters":["prod"]})");
  EXPECT_EQ(clusters.at("clusters").at(0).at("registeredContainerInstancesCount").as_int64(), 1);
}

TEST_F(ContainerInstanceOpsTest, ReRegistrationKeepsTheIdentity) {
  std::string arn = Register();
  boost::json::object out = h_.Ok(
      "RegisterContainerInstance",
      absl::StrCat(R"({"cluster":"prod","containerInstanceArn":")", arn, R"("})"));
  EXPECT_EQ(out.at("containerInstance").at("containerInstanceArn").as_string(), arn);
  EXPECT_EQ(h_.model().container_instances().entries().size(), 1u);
  EXPECT_EQ(h_.model().clusters().counts("prod").registered_instances, 1);
  EXPECT_THAT(h_.Error("RegisterContainerInstance",
                       R"({"cluster":"prod","containerInstanceArn":"0123456789abcdef0123456789abcdef"})"),
              StartsWith("ClientException"));
  EXPECT_THAT(h_.Error("RegisterContainerInstance", R"({"cluster":"nope"})"),
              StartsWith("ClusterNotFoundException"));
}

TEST_F(ContainerInstanceOpsTest, ReRegistrationReplacesTheAgentsAttributesAndKeepsCustomOnes) {
  std::string arn = Register();
  h_.Ok("PutAttributes", absl::StrCat(R"({"cluster":"prod","attributes":[{"name":"stack",)",
                                      R"("value":"blue","targetId":")", arn, R"("}]})"));
  boost::json::object out = h_.Ok(
      "RegisterContainerInstance",
      absl::StrCat(R"({"cluster":"prod","containerInstanceArn":")", arn,
                   R"(","attributes":[{"name":"ecs.os-type","value":"linux"},)"
                   R"({"name":"berth.cgroup-enforcement","value":"true"},)"
                   R"({"name":"rack","value":"r2"}]})"));
  std::string attributes = Json(out.at("containerInstance").at("attributes"));
  EXPECT_THAT(attributes, HasSubstr(R"({"name":"stack","value":"blue"})"))
      << "PutAttributes' attribute survives the agent's re-registration";
  EXPECT_THAT(attributes, HasSubstr(R"({"name":"rack","value":"r2"})"));
  EXPECT_THAT(attributes, HasSubstr(R"("berth.cgroup-enforcement","value":"true")"));
  EXPECT_THAT(attributes, Not(HasSubstr("us-east-1a")))
      << "the first registration's agent attributes are replaced";
}

TEST_F(ContainerInstanceOpsTest, DescribeByIdOrArnAndReportsMissing) {
  std::string arn = Register();
  std::string id = arn.substr(arn.rfind('/') + 1);
  boost::json::object out = h_.Ok(
      "DescribeContainerInstances",
      absl::StrCat(R"({"cluster":"prod","containerInstances":[")", id, R"(",")", arn,
                   R"(","ffffffffffffffffffffffffffffffff"],"include":["TAGS"]})"));
  ASSERT_EQ(out.at("containerInstances").as_array().size(), 1u);
  EXPECT_EQ(Json(out.at("containerInstances").at(0).at("tags")), "[]");
  ASSERT_EQ(out.at("failures").as_array().size(), 1u);
  EXPECT_EQ(out.at("failures").at(0).at("reason").as_string(), "MISSING");
  EXPECT_THAT(h_.Error("DescribeContainerInstances", R"({"cluster":"prod"})"),
              StartsWith("InvalidParameterException"));
}

TEST_F(ContainerInstanceOpsTest, ListFiltersWithTheQueryLanguageAndPages) {
  std::string small = Register("t3.small");
  Register("t3.large");
  Register("t3.large");
  boost::json::object out = h_.Ok(
      "ListContainerInstances",
      R"({"cluster":"prod","filter":"attribute:ecs.instance-type == t3.small"})");
  EXPECT_EQ(Json(out.at("containerInstanceArns")), Json(boost::json::array{boost::json::value(small)}));
  EXPECT_THAT(h_.Error("ListContainerInstances", R"({"cluster":"prod","filter":"attribute:x =="})"),
              AllOf(StartsWith("InvalidParameterException"), HasSubstr("position")));
  out = h_.Ok("ListContainerInstances", R"({"cluster":"prod","maxResults":2})");
  ASSERT_EQ(out.at("containerInstanceArns").as_array().size(), 2u);
  std::string token(out.at("nextToken").as_string());
  out = h_.Ok("ListContainerInstances",
              absl::StrCat(R"({"cluster":"prod","maxResults":2,"nextToken":")", token, R"("})"));
  EXPECT_EQ(out.at("containerInstanceArns").as_array().size(), 1u);
  EXPECT_FALSE(out.contains("nextToken"));
  // A token from a cluster that sorts before this one starts at its beginning.
  h_.Ok("CreateCluster", R"({"clusterName":"zz"})");
  out = h_.Ok("ListContainerInstances",
              absl::StrCat(R"({"cluster":"zz","nextToken":")", token, R"("})"));
  EXPECT_TRUE(out.at("containerInstanceArns").as_array().empty());
  h_.Ok("RegisterContainerInstance", R"({"cluster":"zz"})");
  out = h_.Ok("ListContainerInstances",
              absl::StrCat(R"({"cluster":"zz","nextToken":")", token, R"("})"));
  EXPECT_EQ(out.at("containerInstanceArns").as_array().size(), 1u);
}

TEST_F(ContainerInstanceOpsTest, DrainReactivateDeregisterAndDeleteCluster) {
  std::string arn = Register();
  boost::json::object out = h_.Ok(
      "UpdateContainerInstancesState",
      absl::StrCat(R"({"cluster":"prod","status":"DRAINING","containerInstances":[")", arn,
                   R"(","ffffffffffffffffffffffffffffffff"]})"));
  EXPECT_EQ(out.at("containerInstances").at(0).at("status").as_string(), "DRAINING");
  EXPECT_EQ(out.at("failures").at(0).at("reason").as_string(), "MISSING");
  EXPECT_THAT(h_.Error("UpdateContainerInstancesState",
                       absl::StrCat(R"({"cluster":"prod","status":"INACTIVE","containerInstances":[")",
                                    arn, R"("]})")),
              StartsWith("InvalidParameterException"));
  out = h_.Ok("UpdateContainerInstancesState",
              absl::StrCat(R"({"cluster":"prod","status":"ACTIVE","containerInstances":[")", arn,
                           R"("]})"));
  EXPECT_EQ(out.at("containerInstances").at(0).at("status").as_string(), "ACTIVE");
  EXPECT_THAT(h_.Error("DeleteCluster", R"({"cluster":"prod"})"),
              StartsWith("ClusterContainsContainerInstancesException"));
  out = h_.Ok("DeregisterContainerInstance",
              absl::StrCat(R"({"cluster":"prod","containerInstance":")", arn, R"("})"));
  EXPECT_EQ(out.at("containerInstance").at("status").as_string(), "INACTIVE");
  EXPECT_EQ(h_.model().clusters().counts("prod").registered_instances, 0);
  out = h_.Ok("ListContainerInstances", R"({"cluster":"prod"})");
  EXPECT_TRUE(out.at("containerInstanceArns").as_array().empty());
  out = h_.Ok("ListContainerInstances", R"({"cluster":"prod","status":"INACTIVE"})");
  EXPECT_EQ(out.at("containerInstanceArns").as_array().size(), 1u);
  h_.Ok("DeleteCluster", R"({"cluster":"prod"})");
}

TEST_F(ContainerInstanceOpsTest, TagsThroughTagResourceAndDescribe) {
  std::string arn = Register();
  h_.Ok("TagResource", absl::StrCat(R"({"resourceArn":")", arn,
                                    R"(","tags":[{"key":"team","value":"core"}]})"));
  EXPECT_EQ(h_.changes().size(), 1u);
  boost::json::object out =
      h_.Ok("ListTagsForResource", absl::StrCat(R"({"resourceArn":")", arn, R"("})"));
  EXPECT_EQ(Json(out.at("tags")), R"([{"key":"team","value":"core"}])");
  out = h_.Ok("DescribeContainerInstances",
              absl::StrCat(R"({"cluster":"prod","include":["TAGS"],"containerInstances":[")", arn,
                           R"("]})"));
  EXPECT_EQ(Json(out.at("containerInstances").at(0).at("tags")),
            R"([{"key":"team","value":"core"}])");
  h_.Ok("UntagResource", absl::StrCat(R"({"resourceArn":")", arn, R"(","tagKeys":["team"]})"));
  EXPECT_TRUE(h_.model().container_instances().entries().begin()->second.tags.empty());
  std::string other = arn;
  other.replace(other.find("/prod/"), 6, "/test/");
  EXPECT_THAT(h_.Error("ListTagsForResource", absl::StrCat(R"({"resourceArn":")", other, R"("})")),
              StartsWith("ResourceNotFoundException"));
}

}  // namespace
}  // namespace berth::control
