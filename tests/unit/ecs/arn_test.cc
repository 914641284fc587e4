#include "ecs/arn.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::ecs {
namespace {

using ::testing::HasSubstr;

TEST(EcsArnTest, MintsLongFormatArns) {
  ArnScope scope{"eu-west-1", "123456789012"};
  EXPECT_EQ(ClusterArn(scope, "prod"), "arn:aws:ecs:eu-west-1:123456789012:cluster/prod");
  EXPECT_EQ(ContainerInstanceArn(scope, "prod", "abc"),
            "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/abc");
  EXPECT_EQ(TaskArn(scope, "prod", "t1"), "arn:aws:ecs:eu-west-1:123456789012:task/prod/t1");
  EXPECT_EQ(ServiceArn(scope, "prod", "web"),
            "arn:aws:ecs:eu-west-1:123456789012:service/prod/web");
  EXPECT_EQ(TaskDefinitionArn(scope, "web", 12),
            "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:12");
}

TEST(EcsArnTest, DefaultScopeIsTheDocumentedDefault) {
  EXPECT_EQ(ClusterArn(ArnScope{}, "default"), "arn:aws:ecs:us-east-1:000000000000:cluster/default");
}

TEST(EcsArnTest, ParsesLongFormat) {
  absl::StatusOr<Arn> arn =
      ParseArn("arn:aws:ecs:us-east-1:012345678910:container-instance/prod/f2756532");
  ASSERT_TRUE(arn.ok()) << arn.status();
  EXPECT_EQ(arn->partition, "aws");
  EXPECT_EQ(arn->service, "ecs");
  EXPECT_EQ(arn->region, "us-east-1");
  EXPECT_EQ(arn->account, "012345678910");
  EXPECT_EQ(arn->kind, "container-instance");
  EXPECT_EQ(arn->resource, "prod/f2756532");
  EXPECT_EQ(arn->Id(), "f2756532");
  EXPECT_EQ(arn->Cluster(), "prod");
  EXPECT_EQ(arn->ToString(), "arn:aws:ecs:us-east-1:012345678910:container-instance/prod/f2756532");
}

TEST(EcsArnTest, ShortFormatHasNoCluster) {
  absl::StatusOr<Arn> arn = ParseArn("arn:aws:ecs:us-east-1:012345678910:task/a9f21ea7-c9f5");
  ASSERT_TRUE(arn.ok()) << arn.status();
  EXPECT_EQ(arn->Id(), "a9f21ea7-c9f5");
  EXPECT_EQ(arn->Cluster(), "");
}

TEST(EcsArnTest, TaskDefinitionIsNotClusterScoped) {
  absl::StatusOr<Arn> arn = ParseArn("arn:aws:ecs:us-east-1:0:task-definition/web:3");
  ASSERT_TRUE(arn.ok()) << arn.status();
  EXPECT_EQ(arn->Cluster(), "");
  EXPECT_EQ(arn->Id(), "web:3");
}

TEST(EcsArnTest, RejectsMalformed) {
  for (const char* bad : {"", "arn:aws:ecs", "xrn:aws:ecs:r:a:task/x", "arn:aws:ecs:r:a:task",
                          "arn:aws:ecs:r:a:task/", "arn::ecs:r:a:task/x", "arn:aws:ecs:r:a:/x"}) {
    absl::StatusOr<Arn> arn = ParseArn(bad);
    EXPECT_EQ(arn.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(arn.status().message()), HasSubstr("invalid ARN")) << bad;
  }
}

TEST(EcsArnTest, NewResourceIdIs32HexAndSeeded) {
  io::Rng a(7);
  io::Rng b(7);
  std::string id = NewResourceId(a);
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(id, NewResourceId(b));
  EXPECT_NE(id, NewResourceId(a));
}

TEST(EcsArnTest, IdOfArnOrId) {
  EXPECT_EQ(IdOfArnOrId("arn:aws:ecs:us-east-1:0:container-instance/prod/abc"), "abc");
  EXPECT_EQ(IdOfArnOrId("abc"), "abc");
}

}  // namespace
}  // namespace berth::ecs
