// Struct -> JSON -> struct round trips, and the exact JSON each codec writes.

#include "ecs/container_instance_json.h"
#include "ecs/json_text.h"
#include "ecs/placement_json.h"
#include "ecs/task_definition_json.h"
#include "ecs/task_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/ecs/fixtures.h"

namespace berth::ecs {
namespace {

template <typename T, typename Decode>
T RoundTrip(const T& value, Decode decode) {
  // Through text, as on the wire.
  std::string text = ToJsonText(ToJson(value));
  absl::StatusOr<boost::json::value> parsed = ParseJson(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  absl::StatusOr<T> back = decode(*parsed, "");
  EXPECT_TRUE(back.ok()) << back.status() << " in " << text;
  return back.ok() ? *back : T{};
}

TEST(EcsCodecRoundTripTest, ContainerInstance) {
  ContainerInstance ci = testing::FullContainerInstance();
  EXPECT_EQ(RoundTrip(ci, ContainerInstanceFromJson), ci);
}

TEST(EcsCodecRoundTripTest, TaskDefinition) {
  TaskDefinition td = testing::FullTaskDefinition();
  EXPECT_EQ(RoundTrip(td, TaskDefinitionFromJson), td);
}

TEST(EcsCodecRoundTripTest, Task) {
  Task t = testing::FullTask();
  EXPECT_EQ(RoundTrip(t, TaskFromJson), t);
}

TEST(EcsCodecRoundTripTest, PlacementShapes) {
  PlacementStrategy s{PlacementStrategyType::kSpread, "attribute:ecs.availability-zone"};
  EXPECT_EQ(RoundTrip(s, PlacementStrategyFromJson), s);
  PlacementStrategy r{PlacementStrategyType::kRandom, std::nullopt};
  EXPECT_EQ(RoundTrip(r, PlacementStrategyFromJson), r);
  PlacementConstraint c{PlacementConstraintType::kDistinctInstance, std::nullopt};
  EXPECT_EQ(RoundTrip(c, PlacementConstraintFromJson), c);
  Failure f{"arn:x", "RESOURCE:MEMORY", "needs 512 MiB"};
  EXPECT_EQ(RoundTrip(f, FailureFromJson), f);
}

TEST(EcsCodecRoundTripTest, UnmodeledMembersSurvive) {
  const char* text = R"({"name":"web","image":"nginx","cpu":0,"portMappings":[],)"
                     R"("command":["sleep","1"],"environment":[{"name":"A","value":"1"}],)"
                     R"("logConfiguration":{"logDriver":"json-file"}})";
  absl::StatusOr<boost::json::value> json = ParseJson(text);
  ASSERT_TRUE(json.ok());
  absl::StatusOr<ContainerDefinition> c = ContainerDefinitionFromJson(*json);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->other.size(), 3u);
  EXPECT_TRUE(c->other.contains("logConfiguration"));
  EXPECT_EQ(ToJson(*c), *json);
}

TEST(EcsCodecRoundTripTest, ExactTextForASmallInstance) {
  ContainerInstance ci;
  ci.container_instance_arn = "a";
  ci.registered_resources = {IntegerResource("CPU", 1024), PortsResource("PORTS", {22})};
  ci.agent_connected = true;
  ci.registered_at = absl::FromUnixMillis(1500);
  EXPECT_EQ(ToJsonText(ToJson(ci)),
            R"({"containerInstanceArn":"a","remainingResources":[],"registeredResources":[)"
            R"({"name":"CPU","type":"INTEGER","doubleValue":0E0,"longValue":0,"integerValue":1024},)"
            R"({"name":"PORTS","type":"STRINGSET","doubleValue":0E0,"longValue":0,)"
            R"("integerValue":0,"stringSetValue":["22"]}],"status":"ACTIVE","agentConnected":true,)"
            R"("runningTasksCount":0,"pendingTasksCount":0,"registeredAt":1.5E0})");
}

TEST(EcsCodecRoundTripTest, TimestampsKeepMilliseconds) {
  absl::StatusOr<boost::json::value> json =
      ParseJson(R"({"taskArn":"t","createdAt":1594652935.281,"startedAt":1594652935})");
  ASSERT_TRUE(json.ok());
  absl::StatusOr<Task> t = TaskFromJson(*json);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t->created_at, absl::FromUnixMillis(1594652935281));
  EXPECT_EQ(*t->started_at, absl::FromUnixSeconds(1594652935));
}

TEST(EcsCodecRoundTripTest, NullMeansAbsent) {
  absl::StatusOr<boost::json::value> json =
      ParseJson(R"({"containerPort":80,"hostPort":null,"protocol":null})");
  ASSERT_TRUE(json.ok());
  absl::StatusOr<PortMapping> p = PortMappingFromJson(*json);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->container_port, 80);
  EXPECT_FALSE(p->host_port.has_value());
  EXPECT_EQ(p->EffectiveProtocol(), TransportProtocol::kTcp);
}

TEST(EcsCodecRoundTripTest, ServiceOfGroup) {
  EXPECT_EQ(ServiceOfGroup("service:web"), "web");
  EXPECT_EQ(ServiceOfGroup("family:web"), "");
  EXPECT_EQ(FamilyGroup("web"), "family:web");
}

}  // namespace
}  // namespace berth::ecs
