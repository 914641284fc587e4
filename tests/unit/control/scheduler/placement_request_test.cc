#include "control/scheduler/placement_request.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/scheduler/harness.h"

namespace berth::scheduler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Binpack;
using testing::DistinctInstance;
using testing::MakeTaskDefinition;
using testing::MemberOf;
using testing::Random;
using testing::Spread;

RequestSpec Spec(RequestKind kind = RequestKind::kRunTask) {
  RequestSpec spec;
  spec.kind = kind;
  spec.task_definition = MakeTaskDefinition({});
  return spec;
}

std::string ErrorOf(const RequestSpec& spec) {
  absl::StatusOr<PlacementRequest> r = CompileRequest(spec);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

Strategy S(Strategy::Kind kind, std::string attribute = "") { return {kind, attribute}; }

TEST(SchedulerRequestTest, RunTaskDefaultsToRandomAndFamilyGroup) {
  absl::StatusOr<PlacementRequest> r = CompileRequest(Spec());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->strategies, ElementsAre(S(Strategy::Kind::kRandom)));
  EXPECT_EQ(r->group, "family:web");
  EXPECT_EQ(r->needs.cpu, 256);
  EXPECT_EQ(r->needs.memory, 512);
}

TEST(SchedulerRequestTest, ServiceDefaultsToAzThenInstanceSpread) {
  RequestSpec spec = Spec(RequestKind::kService);
  spec.group = "service:web";
  absl::StatusOr<PlacementRequest> r = CompileRequest(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->strategies, ElementsAre(S(Strategy::Kind::kSpreadAttribute, "ecs.availability-zone"),
                                         S(Strategy::Kind::kSpreadInstance)));
  EXPECT_EQ(r->group, "service:web");
}

TEST(SchedulerRequestTest, ResolvesFieldsAndDropsRulesAfterRandom) {
  RequestSpec spec = Spec();
  spec.strategies = {Spread("host"), Binpack("MEMORY"), Spread("attribute:stack"), Random(),
                     Binpack("cpu")};
  absl::StatusOr<PlacementRequest> r = CompileRequest(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->strategies,
              ElementsAre(S(Strategy::Kind::kSpreadInstance), S(Strategy::Kind::kBinpackMemory),
                          S(Strategy::Kind::kSpreadAttribute, "stack"), S(Strategy::Kind::kRandom)));
}

TEST(SchedulerRequestTest, Limits) {
  RequestSpec spec = Spec();
  spec.strategies = {Random(), Random(), Random(), Random(), Random(), Random()};
  EXPECT_EQ(ErrorOf(spec), "placementStrategy: at most 5 strategies are allowed; got 6");

  spec = Spec();
  testing::TaskDefSpec td;
  td.member_of = {"attribute:a exists", "attribute:b exists", "attribute:c exists"};
  spec.task_definition = MakeTaskDefinition(td);
  for (int i = 0; i < 7; ++i) {
    spec.constraints.push_back(MemberOf("attribute:d exists"));
  }
  EXPECT_TRUE(CompileRequest(spec).ok());
  spec.constraints.push_back(DistinctInstance());
  EXPECT_EQ(ErrorOf(spec),
            "placementConstraints: at most 10 constraints are allowed, counting the task "
            "definition's; got 11");
}

TEST(SchedulerRequestTest, BadStrategyFields) {
  RequestSpec spec = Spec();
  spec.strategies = {Binpack("disk")};
  EXPECT_EQ(ErrorOf(spec), "placementStrategy[0]: binpack field must be cpu or memory, got \"disk\"");
  spec.strategies = {Random(), Spread("attribute:")};
  EXPECT_THAT(ErrorOf(spec), HasSubstr("placementStrategy[1]: spread field must be instanceId"));
  spec.strategies = {Spread("")};
  EXPECT_THAT(ErrorOf(spec), HasSubstr("spread field must be"));
}

TEST(SchedulerRequestTest, BadConstraints) {
  RequestSpec spec = Spec();
  spec.constraints = {{ecs::PlacementConstraintType::kDistinctInstance, "attribute:a exists"}};
  EXPECT_EQ(ErrorOf(spec), "placementConstraints[0]: distinctInstance takes no expression");
  spec.constraints = {{ecs::PlacementConstraintType::kMemberOf, std::nullopt}};
  EXPECT_EQ(ErrorOf(spec), "placementConstraints[0]: memberOf needs an expression");
  spec.constraints = {MemberOf("attribute:ecs.instance-type =")};
  EXPECT_THAT(ErrorOf(spec), HasSubstr("placementConstraints[0].expression: invalid expression at "
                                       "position"));
  spec.constraints = {};
  testing::TaskDefSpec td;
  td.member_of = {"attribute:ecs.instance-type == t2.small and"};
  spec.task_definition = MakeTaskDefinition(td);
  EXPECT_THAT(ErrorOf(spec), HasSubstr("taskDefinition.placementConstraints[0].expression"));
}

TEST(SchedulerRequestTest, DistinctInstanceAndMemberOfCombine) {
  RequestSpec spec = Spec();
  testing::TaskDefSpec td;
  td.member_of = {"attribute:ecs.os-type == linux"};
  spec.task_definition = MakeTaskDefinition(td);
  spec.constraints = {DistinctInstance(), MemberOf("task:group != family:db")};
  absl::StatusOr<PlacementRequest> r = CompileRequest(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->distinct_instance);
  ASSERT_EQ(r->member_of.size(), 2u);
  EXPECT_EQ(r->member_of[0]->text(), "attribute:ecs.os-type == linux");
  // Only the expression that reads no tasks is part of the cached filter.
  EXPECT_THAT(r->FilterKey(), HasSubstr("attribute:ecs.os-type == linux"));
  EXPECT_THAT(r->FilterKey(), ::testing::Not(HasSubstr("task:group")));
}

TEST(SchedulerRequestTest, CountsAndInstances) {
  RequestSpec spec = Spec();
  spec.count = 11;
  EXPECT_EQ(ErrorOf(spec), "count: must be between 1 and 10");
  spec.count = 0;
  EXPECT_EQ(ErrorOf(spec), "count: must be between 1 and 10");
  spec = Spec(RequestKind::kService);
  spec.count = 500;
  EXPECT_TRUE(CompileRequest(spec).ok());
  spec = Spec(RequestKind::kStartTask);
  EXPECT_EQ(ErrorOf(spec), "containerInstances: between 1 and 10 are required");
  spec.container_instances = {"a", "b"};
  spec.strategies = {Binpack("memory")};
  absl::StatusOr<PlacementRequest> r = CompileRequest(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->count, 2);
  EXPECT_TRUE(r->strategies.empty());
  spec = Spec();
  spec.container_instances = {"a"};
  EXPECT_EQ(ErrorOf(spec), "containerInstances: only StartTask names instances");
}

TEST(SchedulerRequestTest, GroupLength) {
  RequestSpec spec = Spec();
  spec.group = std::string(256, 'g');
  EXPECT_EQ(ErrorOf(spec), "group: at most 255 characters are allowed");
}

TEST(SchedulerRequestTest, InjectedParserIsUsed) {
  RequestSpec spec = Spec();
  spec.constraints = {MemberOf("anything")};
  int calls = 0;
  absl::StatusOr<PlacementRequest> r =
      CompileRequest(spec, [&](std::string_view text) -> absl::StatusOr<std::shared_ptr<const query::Expression>> {
        ++calls;
        return absl::InvalidArgumentError(std::string("nope: ") + std::string(text));
      });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.status().message(), "placementConstraints[0].expression: nope: anything");
}

}  // namespace
}  // namespace berth::scheduler
