#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "control/api/paging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/op_harness.h"

namespace berth::control {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::Json;

class ClusterOpsTest : public ::testing::Test {
 protected:
  testing::OpHarness h_;
};

TEST_F(ClusterOpsTest, CreateClusterDefaultsToDefaultAndRecordsOneWrite) {
  boost::json::object out = h_.Ok("CreateCluster", "{}");
  const boost::json::object& c = out.at("cluster").as_object();
  EXPECT_EQ(c.at("clusterName").as_string(), "default");
  EXPECT_EQ(c.at("clusterArn").as_string(), "arn:aws:ecs:us-east-1:000000000000:cluster/default");
  EXPECT_EQ(c.at("status").as_string(), "ACTIVE");
  EXPECT_EQ(c.at("registeredContainerInstancesCount").as_int64(), 0);
  EXPECT_EQ(Json(c.at("settings")), R"([{"name":"containerInsights","value":"disabled"}])");
  ASSERT_EQ(h_.changes().size(), 1u);
  EXPECT_EQ(h_.changes().mutations()[0].table, "clusters");
  EXPECT_EQ(h_.changes().mutations()[0].key, "default");
}

TEST_F(ClusterOpsTest, CreateClusterIsIdempotentByName) {
  h_.Ok("CreateCluster", R"({"clusterName":"prod","tags":[{"key":"a","value":"1"}]})");
  boost::json::object again =
      h_.Ok("CreateCluster", R"({"clusterName":"prod","tags":[{"key":"b","value":"2"}]})");
  EXPECT_TRUE(h_.changes().empty());
  EXPECT_EQ(Json(again.at("cluster").at("tags")), R"([{"key":"a","value":"1"}])");
  EXPECT_EQ(h_.model().clusters().entries().size(), 1u);
}

TEST_F(ClusterOpsTest, CreateClusterTakesContainerInsightsFromTheAccountSetting) {
  h_.Ok("PutAccountSettingDefault", R"({"name":"containerInsights","value":"enabled"})");
  boost::json::object out = h_.Ok("CreateCluster", R"({"clusterName":"a"})");
  EXPECT_EQ(Json(out.at("cluster").at("settings")),
            R"([{"name":"containerInsights","value":"enabled"}])");
  out = h_.Ok("CreateCluster",
              R"({"clusterName":"b","settings":[{"name":"containerInsights","value":"disabled"}]})");
  EXPECT_EQ(Json(out.at("cluster").at("settings")),
            R"([{"name":"containerInsights","value":"disabled"}])");
}

TEST_F(ClusterOpsTest, CreateClusterValidatesEverythingBeforeWriting) {
  EXPECT_EQ(h_.Error("CreateCluster", R"({"clusterName":"has space"})"),
            "InvalidParameterException: Cluster name must be 1 to 255 characters long and can "
            "contain only letters (uppercase and lowercase), numbers, underscores and hyphens.");
  EXPECT_THAT(h_.Error("CreateCluster", absl::StrCat(R"({"clusterName":")",
                                                     std::string(256, 'a'), "\"}")),
              StartsWith("InvalidParameterException: Cluster name must be 1 to 255"));
  EXPECT_EQ(h_.Error("CreateCluster", R"({"clusterName":""})").substr(0, 26),
            "InvalidParameterException:");
  EXPECT_EQ(h_.Error("CreateCluster", R"({"clusterName":5})"),
            "SerializationException: Invalid type for 'clusterName': expected a string, got an "
            "integer.");
  EXPECT_EQ(h_.Error("CreateCluster",
                     R"({"settings":[{"name":"containerInsights","value":"on"}]})"),
            "InvalidParameterException: Invalid value 'on' for cluster setting "
            "containerInsights. Valid values are enabled and disabled.");
  EXPECT_EQ(h_.Error("CreateCluster", R"({"settings":[{"name":"other","value":"enabled"}]})"),
            "InvalidParameterException: Invalid cluster setting name 'other'. The supported "
            "name is containerInsights.");
  EXPECT_THAT(h_.Error("CreateCluster", R"({"capacityProviders":["FARGATE"]})"),
              HasSubstr("InvalidParameterException: The specified capacity provider 'FARGATE'"));
  EXPECT_THAT(h_.Error("CreateCluster", R"({"serviceConnectDefaults":{"namespace":"x"}})"),
              HasSubstr("Service Connect"));
  EXPECT_THAT(h_.Error("CreateCluster",
                       R"({"configuration":{"executeCommandConfiguration":{"logging":"LOUD"}}})"),
              HasSubstr("Valid values are NONE, DEFAULT and OVERRIDE."));
  EXPECT_THAT(h_.Error("CreateCluster",
                       R"({"configuration":{"executeCommandConfiguration":{"logging":"OVERRIDE"}}})"),
              HasSubstr("is required when logging is OVERRIDE"));
  EXPECT_TRUE(h_.model().clusters().entries().empty());
}

TEST_F(ClusterOpsTest, TagLimitsOnCreate) {
  auto tags = [](int n, const std::string& key_prefix = "k") {
    std::string list;
    for (int i = 0; i < n; ++i) {
      absl::StrAppend(&list, i ? "," : "", R"({"key":")", key_prefix, i, R"(","value":"v"})");
    }
    return absl::StrCat(R"({"clusterName":"t","tags":[)", list, "]}");
  };
  EXPECT_EQ(h_.Error("CreateCluster", tags(51)),
            "InvalidParameterException: A request can have at most 50 tags; this one has 51.");
  EXPECT_THAT(h_.Error("CreateCluster", tags(1, "aws:")),
              HasSubstr("uses the prefix 'aws:', which is reserved"));
  EXPECT_THAT(h_.Error("CreateCluster", tags(1, "AWS:")), HasSubstr("reserved"));
  EXPECT_THAT(h_.Error("CreateCluster", tags(1, std::string(128, 'k'))),
              HasSubstr("Tag keys must be between 1 and 128 characters long"));
  EXPECT_THAT(h_.Error("CreateCluster", R"({"tags":[{"key":"a","value":"x"},{"key":"a"}]})"),
              HasSubstr("appears more than once"));
  EXPECT_THAT(h_.Error("CreateCluster", R"({"tags":[{"key":"a*b"}]})"),
              HasSubstr("characters that are not allowed"));
  EXPECT_THAT(h_.Error("CreateCluster", R"({"tags":[{"value":"v"}]})"),
              HasSubstr("Missing required parameter 'tags[0].key'."));
  std::string long_value = absl::StrCat(R"({"tags":[{"key":"k","value":")",
                                        std::string(257, 'v'), "\"}]}");
  EXPECT_THAT(h_.Error("CreateCluster", long_value), HasSubstr("at most 256 characters"));
  EXPECT_EQ(h_.Error("CreateCluster", tags(50)), "OK");
  // Unicode letters count as one character each and are allowed.
  std::string unicode = absl::StrCat(R"({"clusterName":"u","tags":[{"key":")",
                                     std::string(50, 'x'), "\xc3\xa9\xc3\xa9",
                                     R"(","value":"caf\u00e9 \u65e5\u672c"}]})");
  EXPECT_EQ(h_.Error("CreateCluster", unicode), "OK");
}

TEST_F(ClusterOpsTest, DescribeClustersReportsMissingAndCountsFromTheModel) {
  h_.Ok("CreateCluster", R"({"clusterName":"prod","tags":[{"key":"a","value":"1"}]})");
  state::ClusterCounts& counts = h_.model().clusters().MutableCounts("prod");
  counts.registered_instances = 2;
  counts.running_tasks[0] = 3;  // EC2
  counts.running_tasks[1] = 1;  // FARGATE
  counts.pending_tasks[0] = 4;
  counts.active_services[0] = 5;
  counts.draining_services[1] = 6;
  boost::json::object out = h_.Ok(
      "DescribeClusters",
      R"({"clusters":["prod","arn:aws:ecs:us-east-1:000000000000:cluster/prod","nope",
          "arn:aws:ecs:eu-west-1:000000000000:cluster/prod"],"include":["STATISTICS","TAGS"]})");
  EXPECT_TRUE(h_.changes().empty());
  ASSERT_EQ(out.at("clusters").as_array().size(), 1u);
  const boost::json::object& c = out.at("clusters").as_array()[0].as_object();
  EXPECT_EQ(c.at("registeredContainerInstancesCount").as_int64(), 2);
  EXPECT_EQ(c.at("runningTasksCount").as_int64(), 4);
  EXPECT_EQ(c.at("pendingTasksCount").as_int64(), 4);
  EXPECT_EQ(c.at("activeServicesCount").as_int64(), 5);
  EXPECT_EQ(Json(c.at("statistics")),
            R"([{"name":"runningEC2TasksCount","value":"3"},)"
            R"({"name":"runningFargateTasksCount","value":"1"},)"
            R"({"name":"pendingEC2TasksCount","value":"4"},)"
            R"({"name":"pendingFargateTasksCount","value":"0"},)"
            R"({"name":"activeEC2ServiceCount","value":"5"},)"
            R"({"name":"activeFargateServiceCount","value":"0"},)"
            R"({"name":"drainingEC2ServiceCount","value":"0"},)"
            R"({"name":"drainingFargateServiceCount","value":"6"}])");
  EXPECT_EQ(Json(c.at("tags")), R"([{"key":"a","value":"1"}])");
  EXPECT_FALSE(c.contains("settings"));
  EXPECT_EQ(Json(out.at("failures")),
            R"([{"arn":"arn:aws:ecs:us-east-1:000000000000:cluster/nope","reason":"MISSING"},)"
            R"({"arn":"arn:aws:ecs:eu-west-1:000000000000:cluster/prod","reason":"MISSING"}])");
}

TEST_F(ClusterOpsTest, DescribeClustersDefaultsAndLimits) {
  boost::json::object out = h_.Ok("DescribeClusters", "{}");
  EXPECT_EQ(Json(out.at("failures")),
            R"([{"arn":"arn:aws:ecs:us-east-1:000000000000:cluster/default","reason":"MISSING"}])");
  h_.Ok("CreateCluster", "{}");
  out = h_.Ok("DescribeClusters", "{}");
  ASSERT_EQ(out.at("clusters").as_array().size(), 1u);
  // Without include: empty statistics and tags, no settings.
  const boost::json::object& c = out.at("clusters").as_array()[0].as_object();
  EXPECT_EQ(Json(c.at("statistics")), "[]");
  EXPECT_EQ(Json(c.at("tags")), "[]");
  EXPECT_FALSE(c.contains("settings"));
  out = h_.Ok("DescribeClusters", R"({"include":["SETTINGS"]})");
  EXPECT_TRUE(out.at("clusters").as_array()[0].as_object().contains("settings"));
  EXPECT_THAT(h_.Error("DescribeClusters", R"({"include":["EVERYTHING"]})"),
              StartsWith("InvalidParameterException: Invalid value 'EVERYTHING' in include."));
  std::string many = "[";
  for (int i = 0; i < 101; ++i) {
    absl::StrAppend(&many, i ? "," : "", "\"c", i, "\"");
  }
  EXPECT_EQ(h_.Error("DescribeClusters", absl::StrCat(R"({"clusters":)", many, "]}")),
            "InvalidParameterException: clusters can have at most 100 items; the request has "
            "101.");
  EXPECT_EQ(h_.Error("DescribeClusters", R"({"clusters":["arn:aws:ecs:bad"]})"), "OK");
}

TEST_F(ClusterOpsTest, ListClustersPagesInNameOrderSkippingInactive) {
  for (int i = 0; i < 250; ++i) {
    h_.Ok("CreateCluster", absl::StrFormat(R"({"clusterName":"c%03d"})", i));
  }
  h_.Ok("DeleteCluster", R"({"cluster":"c005"})");
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    std::string body = token.empty() ? "{}" : absl::StrCat(R"({"nextToken":")", token, "\"}");
    boost::json::object out = h_.Ok("ListClusters", body);
    ++pages;
    for (const auto& arn : out.at("clusterArns").as_array()) {
      seen.emplace_back(arn.as_string());
    }
    token = out.contains("nextToken") ? std::string(out.at("nextToken").as_string()) : "";
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 249u);
  EXPECT_EQ(seen[0], "arn:aws:ecs:us-east-1:000000000000:cluster/c000");
  EXPECT_EQ(seen[5], "arn:aws:ecs:us-east-1:000000000000:cluster/c006");
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  boost::json::object first = h_.Ok("ListClusters", R"({"maxResults":2})");
  EXPECT_EQ(first.at("clusterArns").as_array().size(), 2u);
  // The token survives the deletion of the cluster it points at.
  h_.Ok("DeleteCluster", R"({"cluster":"c001"})");
  boost::json::object next = h_.Ok(
      "ListClusters", absl::StrCat(R"({"maxResults":2,"nextToken":")",
                                   std::string(first.at("nextToken").as_string()), "\"}"));
  EXPECT_EQ(Json(next.at("clusterArns")),
            R"(["arn:aws:ecs:us-east-1:000000000000:cluster/c002",)"
            R"("arn:aws:ecs:us-east-1:000000000000:cluster/c003"])");
  EXPECT_EQ(h_.Error("ListClusters", R"({"nextToken":"garbage"})"),
            "InvalidParameterException: The nextToken provided is not valid.");
  // The last page has no token.
  boost::json::object all = h_.Ok("ListClusters", R"({"maxResults":100,"nextToken":")" +
                                                       EncodeNextToken("ListClusters", "c200") +
                                                       "\"}");
  EXPECT_EQ(all.at("clusterArns").as_array().size(), 49u);
  EXPECT_FALSE(all.contains("nextToken"));
}

TEST_F(ClusterOpsTest, DeleteClusterRefusesWhileTheModelHoldsResources) {
  h_.Ok("CreateCluster", R"({"clusterName":"busy"})");
  state::ClusterCounts& counts = h_.model().clusters().MutableCounts("busy");
  counts.registered_instances = 1;
  counts.active_services[0] = 1;
  counts.unstopped_tasks = 1;
  EXPECT_EQ(h_.Error("DeleteCluster", R"({"cluster":"busy"})"),
            "ClusterContainsContainerInstancesException: The Cluster cannot be deleted while "
            "Container Instances are active or draining.");
  counts.registered_instances = 0;
  EXPECT_EQ(h_.Error("DeleteCluster", R"({"cluster":"busy"})"),
            "ClusterContainsServicesException: The Cluster cannot be deleted while Services are "
            "active.");
  counts.active_services[0] = 0;
  counts.draining_services[0] = 1;
  EXPECT_THAT(h_.Error("DeleteCluster", R"({"cluster":"busy"})"),
              StartsWith("ClusterContainsServicesException"));
  counts.draining_services[0] = 0;
  EXPECT_EQ(h_.Error("DeleteCluster", R"({"cluster":"busy"})"),
            "ClusterContainsTasksException: The Cluster cannot be deleted while Tasks are "
            "active.");
  counts.unstopped_tasks = 0;
  EXPECT_EQ(h_.Error("DeleteCluster", R"({"cluster":"busy"})"), "OK");
}

TEST_F(ClusterOpsTest, DeleteClusterLeavesItInactiveAndNameReusable) {
  h_.Ok("CreateCluster", R"({"clusterName":"x","tags":[{"key":"a","value":"1"}]})");
  boost::json::object out =
      h_.Ok("DeleteCluster", R"({"cluster":"arn:aws:ecs:us-east-1:000000000000:cluster/x"})");
  EXPECT_EQ(out.at("cluster").at("status").as_string(), "INACTIVE");
  EXPECT_EQ(Json(out.at("cluster").at("tags")), "[]");
  ASSERT_EQ(h_.changes().size(), 1u);
  boost::json::object described = h_.Ok("DescribeClusters", R"({"clusters":["x"]})");
  EXPECT_EQ(described.at("clusters").as_array()[0].at("status").as_string(), "INACTIVE");
  EXPECT_EQ(h_.Error("DeleteCluster", R"({"cluster":"x"})"),
            "ClusterNotFoundException: Cluster not found.");
  EXPECT_EQ(h_.Error("DeleteCluster", R"({"cluster":"never"})"),
            "ClusterNotFoundException: Cluster not found.");
  EXPECT_EQ(h_.Error("DeleteCluster", "{}"),
            "InvalidParameterException: Missing required parameter 'cluster'.");
  EXPECT_THAT(h_.Error("DeleteCluster", R"({"cluster":"arn:aws:ecs:us-east-1:0:task/x/y"})"),
              StartsWith("InvalidParameterException: "));
  out = h_.Ok("CreateCluster", R"({"clusterName":"x"})");
  EXPECT_EQ(out.at("cluster").at("status").as_string(), "ACTIVE");
  EXPECT_EQ(h_.changes().size(), 1u);
}

TEST_F(ClusterOpsTest, UpdateClusterAndSettings) {
  h_.Ok("CreateCluster", R"({"clusterName":"u"})");
  boost::json::object out = h_.Ok(
      "UpdateClusterSettings",
      R"({"cluster":"u","settings":[{"name":"containerInsights","value":"enabled"}]})");
  EXPECT_EQ(Json(out.at("cluster").at("settings")),
            R"([{"name":"containerInsights","value":"enabled"}])");
  EXPECT_EQ(h_.changes().size(), 1u);
  out = h_.Ok("UpdateCluster",
              R"({"cluster":"u","configuration":{"executeCommandConfiguration":)"
              R"({"logging":"OVERRIDE","kmsKeyId":"k","logConfiguration":)"
              R"({"s3BucketName":"b","s3EncryptionEnabled":true,"extra":1}}}})");
  EXPECT_EQ(Json(out.at("cluster").at("configuration")),
            R"({"executeCommandConfiguration":{"kmsKeyId":"k","logging":"OVERRIDE",)"
            R"("logConfiguration":{"s3BucketName":"b","s3EncryptionEnabled":true}}})");
  EXPECT_EQ(Json(out.at("cluster").at("settings")),
            R"([{"name":"containerInsights","value":"enabled"}])");
  boost::json::object described =
      h_.Ok("DescribeClusters", R"({"clusters":["u"],"include":["CONFIGURATIONS"]})");
  EXPECT_TRUE(described.at("clusters").as_array()[0].as_object().contains("configuration"));
  EXPECT_EQ(h_.Error("UpdateClusterSettings", R"({"cluster":"u"})"),
            "InvalidParameterException: Missing required parameter 'settings'.");
  EXPECT_EQ(h_.Error("UpdateCluster", R"({"cluster":"zz","settings":[]})"),
            "ClusterNotFoundException: Cluster not found.");
  EXPECT_THAT(h_.Error("UpdateCluster", R"({"cluster":"u","configuration":[]})"),
              StartsWith("SerializationException: Invalid type for 'configuration'"));
  h_.Ok("UpdateCluster", R"({"cluster":"u"})");
  EXPECT_TRUE(h_.changes().empty());
}

}  // namespace
}  // namespace berth::control
