#include "control/scheduler/cluster_snapshot.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/scheduler/harness.h"

namespace berth::scheduler {
namespace {

using ::testing::ElementsAre;
using testing::InstanceArn;
using testing::InstanceSpec;
using testing::MakeInstance;

TaskNeeds Needs(int cpu, int memory, std::vector<uint16_t> tcp = {}, std::vector<uint16_t> udp = {}) {
  TaskNeeds n;
  n.cpu = cpu;
  n.memory = memory;
  n.tcp_ports = std::move(tcp);
  n.udp_ports = std::move(udp);
  return n;
}

const ecs::Resource& Find(const std::vector<ecs::Resource>& rs, std::string_view name) {
  const ecs::Resource* r = ecs::FindResource(rs, name);
  EXPECT_NE(r, nullptr) << name;
  static const ecs::Resource kNone;
  return r != nullptr ? *r : kNone;
}

TEST(SchedulerSnapshotTest, AddInstanceValidates) {
  ClusterSnapshot s;
  ecs::ContainerInstance ci = MakeInstance({.id = "a"});
  EXPECT_TRUE(s.AddInstance(ci).ok());
  EXPECT_EQ(s.AddInstance(ci).code(), absl::StatusCode::kAlreadyExists);
  ecs::ContainerInstance no_memory = MakeInstance({.id = "b"});
  no_memory.registered_resources.erase(no_memory.registered_resources.begin() + 1);
  EXPECT_EQ(s.AddInstance(no_memory).code(), absl::StatusCode::kInvalidArgument);
  ecs::ContainerInstance bad_port = MakeInstance({.id = "c"});
  bad_port.registered_resources[2].string_set_value.push_back("http");
  EXPECT_EQ(s.AddInstance(bad_port).code(), absl::StatusCode::kInvalidArgument);
  ecs::ContainerInstance no_arn;
  EXPECT_EQ(s.AddInstance(no_arn).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.instance_count(), 1u);
  EXPECT_TRUE(s.HasInstance("a"));
  EXPECT_TRUE(s.HasInstance(InstanceArn("a")));
  EXPECT_FALSE(s.HasInstance("arn:aws:ecs:us-east-1:0:container-instance/other/a"));
}

TEST(SchedulerSnapshotTest, RemainingResourcesLikeEcs) {
  ClusterSnapshot s;
  ASSERT_TRUE(s.AddInstance(MakeInstance({.id = "a", .cpu = 2048, .memory = 3768,
                                          .tcp_reserved = {22, 2376}, .udp_reserved = {}}))
                  .ok());
  ASSERT_TRUE(s.AddTask({"t1", "a", "family:web", Needs(100, 100, {80}, {53}), true}).ok());
  absl::StatusOr<std::vector<ecs::Resource>> r = s.RemainingResources(InstanceArn("a"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Find(*r, "CPU").integer_value, 1948);
  EXPECT_EQ(Find(*r, "MEMORY").integer_value, 3668);
  // PORTS lists the taken ports: reserved plus the tasks' static ones.
  EXPECT_THAT(Find(*r, "PORTS").string_set_value, ElementsAre("22", "80", "2376"));
  EXPECT_THAT(Find(*r, "PORTS_UDP").string_set_value, ElementsAre("53"));
  ASSERT_TRUE(s.RemoveTask("t1").ok());
  r = s.RemainingResources("a");
  EXPECT_EQ(Find(*r, "CPU").integer_value, 2048);
  EXPECT_THAT(Find(*r, "PORTS").string_set_value, ElementsAre("22", "2376"));
}

TEST(SchedulerSnapshotTest, TaskBookkeeping) {
  ClusterSnapshot s;
  ASSERT_TRUE(s.AddInstance(MakeInstance({.id = "a"})).ok());
  EXPECT_EQ(s.AddTask({"t1", "nope", "g", Needs(1, 1), false}).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(s.AddTask({"t1", "a", "g", Needs(1, 1), false}).ok());
  EXPECT_EQ(s.AddTask({"t1", "a", "g", Needs(1, 1), false}).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.state().nodes[0].pending, 1);
  ASSERT_TRUE(s.SetTaskRunning("t1", true).ok());
  EXPECT_EQ(s.state().nodes[0].pending, 0);
  EXPECT_EQ(s.state().nodes[0].running, 1);
  EXPECT_EQ(s.RemoveTask("t2").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.SetTaskRunning("t2", true).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(s.RemoveTask("t1").ok());
  EXPECT_EQ(s.state().nodes[0].running, 0);
  EXPECT_EQ(s.task_count(), 0u);
}

TEST(SchedulerSnapshotTest, RemoveInstanceDropsItsTasksAndReusesTheSlot) {
  ClusterSnapshot s;
  ASSERT_TRUE(s.AddInstance(MakeInstance({.id = "a"})).ok());
  ASSERT_TRUE(s.AddInstance(MakeInstance({.id = "b"})).ok());
  ASSERT_TRUE(s.AddTask({"t1", "a", "g", Needs(1, 1), false}).ok());
  ASSERT_TRUE(s.AddTask({"t2", "b", "g", Needs(1, 1), false}).ok());
  ASSERT_TRUE(s.RemoveInstance(InstanceArn("a")).ok());
  EXPECT_EQ(s.instance_count(), 1u);
  EXPECT_EQ(s.task_count(), 1u);
  EXPECT_FALSE(s.HasInstance("a"));
  EXPECT_EQ(s.RemoveInstance("a").code(), absl::StatusCode::kNotFound);
  uint32_t id = 0;
  const internal::GroupState* g = s.state().FindGroup("g", &id);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->total, 1);
  ASSERT_TRUE(s.AddInstance(MakeInstance({.id = "c"})).ok());
  EXPECT_EQ(s.state().nodes.size(), 2u);  // a's slot reused
}

TEST(SchedulerSnapshotTest, UpdateInstanceKeepsTasks) {
  ClusterSnapshot s;
  ASSERT_TRUE(s.AddInstance(MakeInstance({.id = "a", .cpu = 1024})).ok());
  ASSERT_TRUE(s.AddTask({"t1", "a", "g", Needs(512, 1), false}).ok());
  ASSERT_TRUE(s.UpdateInstance(MakeInstance({.id = "a", .cpu = 2048})).ok());
  absl::StatusOr<std::vector<ecs::Resource>> r = s.RemainingResources("a");
  EXPECT_EQ(Find(*r, "CPU").integer_value, 1536);
  EXPECT_EQ(s.UpdateInstance(MakeInstance({.id = "z"})).code(), absl::StatusCode::kNotFound);
}

TEST(SchedulerSnapshotTest, CommitIsAllOrNothing) {
  ClusterSnapshot s;
  ASSERT_TRUE(s.AddInstance(MakeInstance({.id = "a"})).ok());
  ASSERT_TRUE(s.AddInstance(MakeInstance({.id = "b"})).ok());
  ASSERT_TRUE(s.AddTask({"t0", "a", "g", Needs(1, 1), false}).ok());
  PlacementRequest request;
  request.group = "g";
  request.needs = Needs(10, 10);
  Plan plan;
  plan.placements = {{0, InstanceArn("a"), SearchPath::kIndex, 1},
                     {1, InstanceArn("b"), SearchPath::kIndex, 1}};
  EXPECT_EQ(s.Commit(plan, request, {"t1"}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Commit(plan, request, {"t1", "t0"}).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.Commit(plan, request, {"t1", "t1"}).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(s.RemoveInstance(InstanceArn("b")).ok());
  EXPECT_EQ(s.Commit(plan, request, {"t1", "t2"}).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.task_count(), 1u);
  plan.placements.pop_back();
  ASSERT_TRUE(s.Commit(plan, request, {"t1"}).ok());
  EXPECT_EQ(s.task_count(), 2u);
  EXPECT_EQ(s.state().nodes[0].pending, 2);
}

// The indexes must agree with the nodes after any sequence of updates.
TEST(SchedulerSnapshotTest, IndexesFollowUpdates) {
  ClusterSnapshot s;
  for (int i = 0; i < 6; ++i) {
    InstanceSpec spec{.id = "i" + std::to_string(i), .memory = 1000 + i * 100};
    spec.attributes["zone"] = i % 2 == 0 ? "a" : "b";
    ASSERT_TRUE(s.AddInstance(MakeInstance(spec)).ok());
  }
  RequestSpec spec;
  spec.task_definition = testing::MakeTaskDefinition({});
  spec.strategies = {testing::Spread("attribute:zone"), testing::Binpack("memory")};
  absl::StatusOr<PlacementRequest> request = CompileRequest(spec);
  ASSERT_TRUE(request.ok());
  s.Prepare(*request);
  ASSERT_TRUE(s.AddTask({"t1", "i0", "family:web", Needs(1, 300), false}).ok());
  ASSERT_TRUE(s.SetAttributes(InstanceArn("i1"), {{"zone", "a", std::nullopt, std::nullopt}}).ok());
  ASSERT_TRUE(s.SetStatus(InstanceArn("i2"), ecs::ContainerInstanceStatus::kDraining).ok());
  ASSERT_TRUE(s.SetAgentConnected(InstanceArn("i3"), false).ok());
  ASSERT_TRUE(s.AddTask({"t2", "i1", "family:web", Needs(1, 50), false}).ok());
  ASSERT_TRUE(s.RemoveInstance(InstanceArn("i4")).ok());

  const internal::SnapshotState& st = s.state();
  int p = st.FindPartition("zone");
  ASSERT_GE(p, 0);
  const internal::Partition& zone = st.partitions[p];
  // i0, i1 in zone a; i3, i5 in b (i2 DRAINING is still a member).
  EXPECT_EQ(zone.members(zone.ValueOf(0)).size(), 3u);
  EXPECT_EQ(zone.ValueOf(0), zone.ValueOf(1));
  const internal::Filter* f = st.FindFilter(request->FilterKey());
  ASSERT_NE(f, nullptr);
  // Eligible: i0, i1 (zone a) and i5 (zone b); i2 is DRAINING, i3
  // disconnected.
  EXPECT_EQ(f->eligible(), 3);
  EXPECT_THAT(f->Members(p, zone.ValueOf(0)), ::testing::UnorderedElementsAre(0u, 1u));
  EXPECT_THAT(f->Members(-1, 0), ::testing::UnorderedElementsAre(0u, 1u, 5u));
  const internal::ResourceOrder* order = f->FindOrder(p, internal::Dimension::kMemory);
  ASSERT_NE(order, nullptr);
  ASSERT_EQ(order->keys().size(), 3u);
  for (const auto& k : order->keys()) {
    EXPECT_TRUE(f->Ok(k.slot));
    EXPECT_EQ(k.value, zone.ValueOf(k.slot));
    EXPECT_EQ(k.remaining, st.nodes[k.slot].RemainingMemory());
  }
  EXPECT_TRUE(std::is_sorted(order->keys().begin(), order->keys().end()));
  uint32_t g = 0;
  ASSERT_NE(st.FindGroup("family:web", &g), nullptr);
  EXPECT_EQ(st.groups[g].CountIn(p, zone.ValueOf(0)), 2);
}

}  // namespace
}  // namespace berth::scheduler
