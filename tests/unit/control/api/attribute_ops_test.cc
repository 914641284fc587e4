#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/op_harness.h"

namespace berth::control {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::Json;

class AttributeOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.Ok("CreateCluster", R"({"clusterName":"prod"})");
    boost::json::object out = h_.Ok(
        "RegisterContainerInstance",
        R"({"cluster":"prod","attributes":[{"name":"ecs.instance-type","value":"t3.small"},)"
        R"({"name":"berth.cgroup-enforcement","value":"false"}]})");
    arn_ = std::string(out.at("containerInstance").at("containerInstanceArn").as_string());
    id_ = arn_.substr(arn_.rfind('/') + 1);
  }

  std::string Put(const std::string& name, const std::string& value, const std::string& target) {
    return absl::StrCat(R"({"cluster":"prod","attributes":[{"name":")", name, R"(","value":")",
                        value, R"(","targetType":"container-instance","targetId":")", target,
                        R"("}]})");
  }

  testing::OpHarness h_;
  std::string arn_, id_;
};

TEST_F(AttributeOpsTest, PutListDelete) {
  boost::json::object out = h_.Ok("PutAttributes", Put("stack", "prod", id_));
  EXPECT_EQ(out.at("attributes").at(0).at("targetId").as_string(), arn_);
  EXPECT_EQ(h_.changes().size(), 1u);
  h_.Ok("PutAttributes", Put("stack", "prod", arn_));
  EXPECT_TRUE(h_.changes().empty()) << "same value, no write";
  out = h_.Ok("ListAttributes",
              R"({"cluster":"prod","targetType":"container-instance","attributeName":"stack"})");
  EXPECT_EQ(Json(out.at("attributes")),
            absl::StrCat(R"([{"name":"stack","value":"prod","targetType":"container-instance",)",
                         R"("targetId":")", arn_, R"("}])"));
  out = h_.Ok("ListContainerInstances", R"({"cluster":"prod","filter":"attribute:stack == prod"})");
  EXPECT_EQ(out.at("containerInstanceArns").as_array().size(), 1u);
  out = h_.Ok("ListAttributes", R"({"cluster":"prod","targetType":"container-instance","maxResults":1})");
  EXPECT_EQ(out.at("attributes").as_array().size(), 1u);
  EXPECT_TRUE(out.contains("nextToken"));
  h_.Ok("DeleteAttributes", absl::StrCat(R"({"cluster":"prod","attributes":[{"name":"stack","targetId":")",
                                         id_, R"("}]})"));
  out = h_.Ok("ListAttributes",
              R"({"cluster":"prod","targetType":"container-instance","attributeName":"stack"})");
  EXPECT_TRUE(out.at("attributes").as_array().empty());
}

TEST_F(AttributeOpsTest, RulesLimitsAndUnknownTargets) {
  EXPECT_THAT(h_.Error("PutAttributes", Put("stack", "prod", "ffffffffffffffffffffffffffffffff")),
              StartsWith("TargetNotFoundException"));
  EXPECT_THAT(h_.Error("PutAttributes", Put("bad name", "x", id_)),
              StartsWith("InvalidParameterException"));
  EXPECT_THAT(h_.Error("PutAttributes", Put("ok", " lead", id_)),
              StartsWith("InvalidParameterException"));
  EXPECT_THAT(h_.Error("PutAttributes", Put("ecs.mine", "x", id_)),
              StartsWith("InvalidParameterException"));
  EXPECT_THAT(h_.Error("ListAttributes", R"({"cluster":"prod","targetType":"task"})"),
              StartsWith("InvalidParameterException"));
  // The agent's ecs.* and berth.* attributes do not count against the ten.
  for (int i = 0; i < 10; ++i) {
    h_.Ok("PutAttributes", Put(absl::StrCat("a", i), "v", id_));
  }
  EXPECT_THAT(h_.Error("PutAttributes", Put("a10", "v", id_)),
              StartsWith("AttributeLimitExceededException"));
  std::string eleven = R"({"cluster":"prod","attributes":[)";
  for (int i = 0; i < 11; ++i) {
    absl::StrAppend(&eleven, i ? "," : "", R"({"name":"a1","targetId":")", id_, R"("})");
  }
  absl::StrAppend(&eleven, "]}");
  EXPECT_THAT(h_.Error("PutAttributes", eleven), HasSubstr("at most 10"));
}

}  // namespace
}  // namespace berth::control
