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

constexpr char kArn[] = "arn:aws:ecs:us-east-1:000000000000:cluster/t";

class TagOpsTest : public ::testing::Test {
 protected:
  void SetUp() override { h_.Ok("CreateCluster", R"({"clusterName":"t"})"); }
  std::string Tags() {
    return Json(h_.Ok("ListTagsForResource", absl::StrCat(R"({"resourceArn":")", kArn, "\"}"))
                    .at("tags"));
  }
  std::string Body(const std::string& rest) {
    return absl::StrCat(R"({"resourceArn":")", kArn, "\",", rest, "}");
  }
  testing::OpHarness h_;
};

TEST_F(TagOpsTest, TagMergesAndUntagRemoves) {
  EXPECT_EQ(Tags(), "[]");
  h_.Ok("TagResource", Body(R"("tags":[{"key":"a","value":"1"},{"key":"b","value":"2"}])"));
  EXPECT_EQ(h_.changes().size(), 1u);
  h_.Ok("TagResource", Body(R"("tags":[{"key":"a","value":"3"},{"key":"c"}])"));
  EXPECT_EQ(Tags(), R"([{"key":"a","value":"3"},{"key":"b","value":"2"},{"key":"c","value":""}])");
  h_.Ok("UntagResource", Body(R"("tagKeys":["b","not-there"])"));
  EXPECT_EQ(h_.changes().size(), 1u);
  EXPECT_EQ(Tags(), R"([{"key":"a","value":"3"},{"key":"c","value":""}])");
  // Nothing to change: nothing written.
  h_.Ok("UntagResource", Body(R"("tagKeys":["zzz"])"));
  EXPECT_TRUE(h_.changes().empty());
  h_.Ok("TagResource", Body(R"("tags":[{"key":"a","value":"3"}])"));
  EXPECT_TRUE(h_.changes().empty());
  // DescribeClusters shows the same tags.
  boost::json::object d = h_.Ok("DescribeClusters", R"({"clusters":["t"],"include":["TAGS"]})");
  EXPECT_EQ(Json(d.at("clusters").as_array()[0].at("tags")),
            R"([{"key":"a","value":"3"},{"key":"c","value":""}])");
}

TEST_F(TagOpsTest, FiftyTagsPerResource) {
  std::string list;
  for (int i = 0; i < 49; ++i) {
    absl::StrAppend(&list, i ? "," : "", R"({"key":"k)", i, R"(","value":"v"})");
  }
  h_.Ok("TagResource", Body(absl::StrCat(R"("tags":[)", list, "]")));
  h_.Ok("TagResource", Body(R"("tags":[{"key":"k0","value":"new"},{"key":"k49"}])"));
  EXPECT_EQ(h_.Error("TagResource", Body(R"("tags":[{"key":"k50"}])")),
            "InvalidParameterException: A resource can have at most 50 tags; this request "
            "would leave it with 51.");
}

TEST_F(TagOpsTest, ErrorsNameTheProblem) {
  EXPECT_THAT(h_.Error("TagResource", Body(R"("tags":[{"key":"aws:x","value":"1"}])")),
              HasSubstr("reserved"));
  EXPECT_THAT(h_.Error("UntagResource", Body(R"("tagKeys":["aws:created"])")),
              HasSubstr("reserved"));
  EXPECT_EQ(h_.Error("TagResource", absl::StrCat(R"({"resourceArn":")", kArn, "\"}")),
            "InvalidParameterException: Missing required parameter 'tags'.");
  EXPECT_EQ(h_.Error("UntagResource", absl::StrCat(R"({"resourceArn":")", kArn, "\"}")),
            "InvalidParameterException: Missing required parameter 'tagKeys'.");
  EXPECT_EQ(h_.Error("ListTagsForResource", "{}"),
            "InvalidParameterException: Missing required parameter 'resourceArn'.");
  EXPECT_EQ(h_.Error("ListTagsForResource", R"({"resourceArn":"t"})"),
            "InvalidParameterException: 't' is not a valid ECS resource ARN.");
  EXPECT_EQ(h_.Error("ListTagsForResource",
                     R"({"resourceArn":"arn:aws:ecs:us-east-1:000000000000:cluster/none"})"),
            "ClusterNotFoundException: Cluster not found.");
  EXPECT_EQ(h_.Error("ListTagsForResource",
                     R"({"resourceArn":"arn:aws:ecs:us-west-2:000000000000:cluster/t"})"),
            "ClusterNotFoundException: Cluster not found.");
  EXPECT_THAT(
      h_.Error("TagResource",
               R"({"resourceArn":"arn:aws:ecs:us-east-1:000000000000:task/t/0123","tags":[]})"),
      StartsWith("ResourceNotFoundException: "));
}

TEST_F(TagOpsTest, InactiveClustersCannotBeTaggedButCanBeListed) {
  h_.Ok("TagResource", Body(R"("tags":[{"key":"a","value":"1"}])"));
  h_.Ok("DeleteCluster", R"({"cluster":"t"})");
  EXPECT_EQ(Tags(), "[]");
  EXPECT_EQ(h_.Error("TagResource", Body(R"("tags":[{"key":"a","value":"1"}])")),
            "InvalidParameterException: The specified cluster is inactive. Specify an active "
            "cluster and try again.");
}

}  // namespace
}  // namespace berth::control
