// Place(): ECS placement semantics, one behaviour per test, through the
// harness (which also checks every plan against its ledger).

#include "control/scheduler/place.h"

#include <map>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/scheduler/harness.h"

namespace berth::scheduler {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using testing::Binpack;
using testing::DistinctInstance;
using testing::Harness;
using testing::IdOf;
using testing::InstanceArn;
using testing::InstanceSpec;
using testing::MakeTaskDefinition;
using testing::MemberOf;
using testing::Random;
using testing::Spread;
using testing::TaskDefSpec;

RequestSpec Req(TaskDefSpec td = {}, int count = 1) {
  RequestSpec spec;
  spec.task_definition = MakeTaskDefinition(td);
  spec.count = count;
  return spec;
}

std::vector<std::string> Ids(const Plan& plan) {
  std::vector<std::string> ids;
  for (const Placement& p : plan.placements) {
    ids.push_back(IdOf(p.container_instance_arn));
  }
  return ids;
}

std::map<std::string, std::string> Reasons(const Plan& plan) {
  std::map<std::string, std::string> out;
  for (const ecs::Failure& f : plan.failures) {
    out[IdOf(f.arn.value_or(""))] = f.reason.value_or("");
  }
  return out;
}

class SchedulerPlaceTest : public ::testing::TestWithParam<bool> {
 protected:
  // Each test runs twice: on the index search and on the scan.
  bool prepare() const { return GetParam(); }
  Plan Place(const RequestSpec& spec, uint64_t seed = 1) { return h_.Run(spec, seed, prepare()); }
  void Add(InstanceSpec spec) { ASSERT_TRUE(h_.AddInstance(spec).ok()); }
  Harness h_;
};

INSTANTIATE_TEST_SUITE_P(Paths, SchedulerPlaceTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Index" : "Scan"; });

TEST_P(SchedulerPlaceTest, OnlyActiveConnectedInstancesAreCandidates) {
  Add({.id = "draining", .status = ecs::ContainerInstanceStatus::kDraining});
  Add({.id = "inactive", .status = ecs::ContainerInstanceStatus::kInactive});
  Add({.id = "gone", .connected = false});
  Add({.id = "ok"});
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Plan plan = Place(Req({.cpu = 1, .memory = 1}), seed);
    EXPECT_THAT(Ids(plan), ElementsAre("ok"));
    EXPECT_EQ(plan.placements[0].path, prepare() ? SearchPath::kIndex : SearchPath::kScan);
  }
}

TEST_P(SchedulerPlaceTest, EmptyClusterLeavesEveryTaskUnplaced) {
  Plan plan = Place(Req({}, 3));
  EXPECT_TRUE(plan.placements.empty());
  EXPECT_TRUE(plan.failures.empty());
  ASSERT_EQ(plan.unplaced.size(), 3u);
  EXPECT_EQ(plan.unplaced[2].task_index, 2);
  EXPECT_EQ(plan.unplaced[0].explanation.instances, 0);
  EXPECT_EQ(plan.unplaced[0].explanation.Summary(),
            "0 of 0 instances fit (0 ACTIVE with a connected agent).");
}

TEST_P(SchedulerPlaceTest, AgentAndInactiveReasons) {
  Add({.id = "draining", .status = ecs::ContainerInstanceStatus::kDraining});
  Add({.id = "gone", .connected = false});
  Plan plan = Place(Req());
  EXPECT_TRUE(plan.placements.empty());
  EXPECT_THAT(Reasons(plan), ::testing::UnorderedElementsAre(
                                 ::testing::Pair("draining", "INACTIVE"),
                                 ::testing::Pair("gone", "AGENT")));
  ASSERT_EQ(plan.unplaced.size(), 1u);
  const Explanation& e = plan.unplaced[0].explanation;
  EXPECT_EQ(e.instances, 2);
  EXPECT_EQ(e.candidates, 0);
  EXPECT_EQ(e.Rejected(Rejection::kInactive), 1);
  EXPECT_EQ(e.Rejected(Rejection::kAgent), 1);
}

TEST_P(SchedulerPlaceTest, ResourceReasons) {
  Add({.id = "cpu", .cpu = 100});
  Add({.id = "mem", .memory = 100});
  Add({.id = "tcp", .tcp_reserved = {22, 80}});
  Add({.id = "udp", .udp_reserved = {53}});
  Plan plan = Place(Req({.cpu = 256, .memory = 512, .tcp_ports = {80}, .udp_ports = {53}}));
  EXPECT_TRUE(plan.placements.empty());
  EXPECT_THAT(Reasons(plan),
              UnorderedElementsAre(::testing::Pair("cpu", "RESOURCE:CPU"),
                                   ::testing::Pair("mem", "RESOURCE:MEMORY"),
                                   ::testing::Pair("tcp", "RESOURCE:PORTS"),
                                   ::testing::Pair("udp", "RESOURCE:PORTS_UDP")));
}

TEST_P(SchedulerPlaceTest, ExactFitIsAFit) {
  Add({.id = "cpu-short", .cpu = 255, .memory = 512});
  Add({.id = "mem-short", .cpu = 256, .memory = 511});
  Add({.id = "exact", .cpu = 256, .memory = 512});
  Plan plan = Place(Req({.cpu = 256, .memory = 512}, 2));
  EXPECT_THAT(Ids(plan), ElementsAre("exact"));
  EXPECT_THAT(Reasons(plan),
              UnorderedElementsAre(::testing::Pair("cpu-short", "RESOURCE:CPU"),
                                   ::testing::Pair("mem-short", "RESOURCE:MEMORY"),
                                   ::testing::Pair("exact", "RESOURCE:CPU")));
}

TEST_P(SchedulerPlaceTest, MemoryReservationIsWhatCounts) {
  Add({.id = "a", .memory = 300});
  // Hard limit 1024 but reservation 256: fits in 300 MiB.
  Plan plan = Place(Req({.memory = 1024, .memory_reservation = 256}));
  EXPECT_THAT(Ids(plan), ElementsAre("a"));
  // A second one would need 512 reserved.
  plan = Place(Req({.memory = 1024, .memory_reservation = 256}));
  EXPECT_THAT(Reasons(plan), ElementsAre(::testing::Pair("a", "RESOURCE:MEMORY")));
}

TEST_P(SchedulerPlaceTest, StaticPortsOfPlacedTasksAreTaken) {
  Add({.id = "a"});
  Add({.id = "b"});
  Plan plan = Place(Req({.cpu = 1, .memory = 1, .tcp_ports = {8080}}, 3));
  EXPECT_THAT(Ids(plan), UnorderedElementsAre("a", "b"));
  ASSERT_EQ(plan.unplaced.size(), 1u);
  EXPECT_EQ(plan.unplaced[0].task_index, 2);
  EXPECT_THAT(Reasons(plan), UnorderedElementsAre(::testing::Pair("a", "RESOURCE:PORTS"),
                                                  ::testing::Pair("b", "RESOURCE:PORTS")));
  // UDP 8080 is another port.
  plan = Place(Req({.cpu = 1, .memory = 1, .udp_ports = {8080}}, 2));
  EXPECT_EQ(plan.placements.size(), 2u);
}

TEST_P(SchedulerPlaceTest, AttributeReason) {
  Add({.id = "plain"});
  Add({.id = "eni", .attributes = {{"ecs.capability.task-eni", std::nullopt}}});
  Plan plan = Place(Req({.requires_attributes = {"ecs.capability.task-eni"}}, 2));
  EXPECT_THAT(Ids(plan), ElementsAre("eni", "eni"));
  plan = Place(Req({.requires_attributes = {"com.amazonaws.ecs.capability.logging-driver.awslogs"}}));
  EXPECT_THAT(Reasons(plan), UnorderedElementsAre(::testing::Pair("plain", "ATTRIBUTE"),
                                                  ::testing::Pair("eni", "ATTRIBUTE")));
}

TEST_P(SchedulerPlaceTest, MemberOfFromTaskDefinitionAndRequest) {
  Add({.id = "small-a", .attributes = {{"type", "t2.small"}, {"zone", "a"}}});
  Add({.id = "small-b", .attributes = {{"type", "t2.small"}, {"zone", "b"}}});
  Add({.id = "large-a", .attributes = {{"type", "m5.large"}, {"zone", "a"}}});
  RequestSpec spec = Req({.member_of = {"attribute:type == t2.small"}}, 4);
  spec.constraints = {MemberOf("attribute:zone != b")};
  Plan plan = Place(spec);
  EXPECT_THAT(Ids(plan), ElementsAre("small-a", "small-a", "small-a", "small-a"));
  spec.constraints = {MemberOf("attribute:zone == c")};
  plan = Place(spec);
  EXPECT_THAT(Reasons(plan),
              UnorderedElementsAre(::testing::Pair("small-a", std::string(ecs::kReasonMemberOf)),
                                   ::testing::Pair("small-b", std::string(ecs::kReasonMemberOf)),
                                   ::testing::Pair("large-a", std::string(ecs::kReasonMemberOf))));
  const Explanation& e = plan.unplaced[0].explanation;
  ASSERT_EQ(e.rejected_by_member_of.size(), 2u);
  EXPECT_EQ(e.rejected_by_member_of[0], std::make_pair(std::string("attribute:type == t2.small"), 1));
  EXPECT_EQ(e.rejected_by_member_of[1], std::make_pair(std::string("attribute:zone == c"), 3));
}

TEST_P(SchedulerPlaceTest, DistinctInstanceCountsTasksOfThisRequest) {
  Add({.id = "a"});
  Add({.id = "b"});
  RequestSpec spec = Req({.cpu = 1, .memory = 1}, 3);
  spec.constraints = {DistinctInstance()};
  Plan plan = Place(spec);
  EXPECT_THAT(Ids(plan), UnorderedElementsAre("a", "b"));
  EXPECT_THAT(Reasons(plan),
              UnorderedElementsAre(::testing::Pair("a", std::string(ecs::kReasonDistinctInstance)),
                                   ::testing::Pair("b", std::string(ecs::kReasonDistinctInstance))));
  // Another group is not affected.
  spec.group = "family:other";
  spec.count = 2;
  EXPECT_EQ(Place(spec).placements.size(), 2u);
}

TEST_P(SchedulerPlaceTest, MemberOfOnTaskGroupSeesEarlierPlacements) {
  Add({.id = "a"});
  Add({.id = "b"});
  Add({.id = "c"});
  // Like distinctInstance, written in the query language: it reads tasks, so
  // it is evaluated per placement and sees this request's earlier tasks.
  RequestSpec spec = Req({.cpu = 1, .memory = 1}, 4);
  spec.constraints = {MemberOf("not(task:group == family:web)")};
  Plan plan = Place(spec);
  EXPECT_THAT(Ids(plan), UnorderedElementsAre("a", "b", "c"));
  EXPECT_EQ(plan.unplaced.size(), 1u);
}

TEST_P(SchedulerPlaceTest, BinpackPicksLeastRemainingThatFits) {
  Add({.id = "big", .memory = 8000});
  Add({.id = "snug", .memory = 600});
  Add({.id = "tight", .memory = 400});
  RequestSpec spec = Req({.cpu = 1, .memory = 500});
  spec.strategies = {Binpack("memory")};
  EXPECT_THAT(Ids(Place(spec)), ElementsAre("snug"));
  // snug has 100 left now; the next goes to big.
  EXPECT_THAT(Ids(Place(spec)), ElementsAre("big"));
}

TEST_P(SchedulerPlaceTest, BinpackCpuWithinOneRequest) {
  Add({.id = "a", .cpu = 1024});
  Add({.id = "b", .cpu = 2048});
  RequestSpec spec = Req({.cpu = 512, .memory = 1}, 5);
  spec.strategies = {Binpack("cpu")};
  // a is the fuller one until it is full, then b.
  Plan plan = Place(spec);
  EXPECT_THAT(Ids(plan), ElementsAre("a", "a", "b", "b", "b"));
}

TEST_P(SchedulerPlaceTest, SpreadInstanceBalances) {
  for (int i = 0; i < 4; ++i) {
    Add({.id = "i" + std::to_string(i)});
  }
  RequestSpec spec = Req({.cpu = 1, .memory = 1}, 10);
  spec.strategies = {Spread("instanceId")};
  Plan plan = Place(spec);
  std::map<std::string, int> counts;
  for (const std::string& id : Ids(plan)) {
    ++counts[id];
  }
  ASSERT_EQ(counts.size(), 4u);
  for (const auto& [id, n] : counts) {
    EXPECT_TRUE(n == 2 || n == 3) << id << " " << n;
  }
}

TEST_P(SchedulerPlaceTest, ServiceDefaultSpreadsZonesThenInstances) {
  // Zone a has 3 instances, zone b 1: the zones still get equal shares.
  Add({.id = "a1", .attributes = {{"ecs.availability-zone", "a"}}});
  Add({.id = "a2", .attributes = {{"ecs.availability-zone", "a"}}});
  Add({.id = "a3", .attributes = {{"ecs.availability-zone", "a"}}});
  Add({.id = "b1", .attributes = {{"ecs.availability-zone", "b"}}});
  RequestSpec spec = Req({.cpu = 1, .memory = 1}, 6);
  spec.kind = RequestKind::kService;
  spec.group = "service:web";
  Plan plan = Place(spec);
  std::map<std::string, int> counts;
  for (const std::string& id : Ids(plan)) {
    ++counts[id];
  }
  EXPECT_EQ(counts["b1"], 3);
  EXPECT_EQ(counts["a1"], 1);
  EXPECT_EQ(counts["a2"], 1);
  EXPECT_EQ(counts["a3"], 1);
}

TEST_P(SchedulerPlaceTest, SpreadCountsExistingTasksOfTheGroupOnly) {
  Add({.id = "a", .attributes = {{"zone", "a"}}});
  Add({.id = "b", .attributes = {{"zone", "b"}}});
  RequestSpec other = Req({.family = "other", .cpu = 1, .memory = 1}, 5);
  other.strategies = {Binpack("memory")};
  ASSERT_EQ(Place(other).placements.size(), 5u);  // all on one instance
  RequestSpec spec = Req({.cpu = 1, .memory = 1}, 4);
  spec.strategies = {Spread("attribute:zone")};
  Plan plan = Place(spec);
  std::map<std::string, int> counts;
  for (const std::string& id : Ids(plan)) {
    ++counts[id];
  }
  EXPECT_EQ(counts["a"], 2);
  EXPECT_EQ(counts["b"], 2);
}

TEST_P(SchedulerPlaceTest, LaterStrategiesBreakTies) {
  // spread(zone) then binpack(memory): the emptier zone first, inside it the
  // fullest instance that fits.
  Add({.id = "a-big", .memory = 4000, .attributes = {{"zone", "a"}}});
  Add({.id = "a-small", .memory = 1000, .attributes = {{"zone", "a"}}});
  Add({.id = "b-big", .memory = 4000, .attributes = {{"zone", "b"}}});
  Add({.id = "b-small", .memory = 1000, .attributes = {{"zone", "b"}}});
  RequestSpec spec = Req({.cpu = 1, .memory = 400}, 4);
  spec.strategies = {Spread("attribute:zone"), Binpack("memory")};
  Plan plan = Place(spec);
  std::vector<std::string> ids = Ids(plan);
  ASSERT_EQ(ids.size(), 4u);
  // Zones alternate; each zone fills its small instance (1000 -> 600 -> 200).
  std::map<std::string, int> counts;
  for (const std::string& id : ids) {
    ++counts[id];
  }
  EXPECT_EQ(counts["a-small"], 2);
  EXPECT_EQ(counts["b-small"], 2);
  EXPECT_NE(ids[0].substr(0, 1), ids[1].substr(0, 1));
}

TEST_P(SchedulerPlaceTest, InstancesWithoutTheAttributeFormTheirOwnValue) {
  Add({.id = "a", .attributes = {{"zone", "a"}}});
  Add({.id = "none"});
  RequestSpec spec = Req({.cpu = 1, .memory = 1}, 4);
  spec.strategies = {Spread("attribute:zone")};
  std::map<std::string, int> counts;
  for (const std::string& id : Ids(Place(spec))) {
    ++counts[id];
  }
  EXPECT_EQ(counts["a"], 2);
  EXPECT_EQ(counts["none"], 2);
}

TEST_P(SchedulerPlaceTest, RandomDefaultUsesTheRng) {
  for (int i = 0; i < 5; ++i) {
    Add({.id = "i" + std::to_string(i), .cpu = 100000, .memory = 100000});
  }
  std::map<std::string, int> counts;
  for (uint64_t seed = 0; seed < 500; ++seed) {
    Plan plan = Place(Req({.cpu = 1, .memory = 1}), seed);
    ASSERT_EQ(plan.placements.size(), 1u);
    ++counts[IdOf(plan.placements[0].container_instance_arn)];
  }
  ASSERT_EQ(counts.size(), 5u);
  for (const auto& [id, n] : counts) {
    EXPECT_GT(n, 60) << id;  // expected 100 each
    EXPECT_LT(n, 140) << id;
  }
}

TEST_P(SchedulerPlaceTest, SameSeedSamePlan) {
  for (int i = 0; i < 30; ++i) {
    Add({.id = "i" + std::to_string(i), .attributes = {{"zone", std::string(1, 'a' + i % 3)}}});
  }
  RequestSpec spec = Req({.cpu = 1, .memory = 1}, 10);
  spec.strategies = {Spread("attribute:zone"), Random()};
  io::Rng a(42);
  io::Rng b(42);
  absl::StatusOr<PlacementRequest> request = CompileRequest(spec);
  ASSERT_TRUE(request.ok());
  if (prepare()) {
    h_.snapshot().Prepare(*request);
  }
  Plan first = scheduler::Place(h_.snapshot(), *request, a);
  Plan second = scheduler::Place(h_.snapshot(), *request, b);
  EXPECT_EQ(first, second);
  io::Rng c(43);
  EXPECT_NE(Ids(first), Ids(scheduler::Place(h_.snapshot(), *request, c)));
}

TEST_P(SchedulerPlaceTest, StartTaskChecksOnlyTheNamedInstances) {
  Add({.id = "a", .memory = 600});
  Add({.id = "draining", .status = ecs::ContainerInstanceStatus::kDraining});
  Add({.id = "gone", .connected = false});
  Add({.id = "roomy", .memory = 100000});
  RequestSpec spec = Req({.cpu = 1, .memory = 500, .tcp_ports = {80}});
  spec.kind = RequestKind::kStartTask;
  spec.strategies = {Binpack("memory")};  // ignored by StartTask
  spec.container_instances = {"a", InstanceArn("a"), "missing", InstanceArn("draining"), "gone"};
  Plan plan = Place(spec);
  ASSERT_EQ(plan.placements.size(), 1u);
  EXPECT_EQ(plan.placements[0].container_instance_arn, InstanceArn("a"));
  EXPECT_EQ(plan.placements[0].path, SearchPath::kExplicit);
  std::vector<std::pair<std::string, std::string>> failures;
  for (const ecs::Failure& f : plan.failures) {
    failures.emplace_back(f.arn.value_or(""), f.reason.value_or(""));
  }
  // The second task on "a" lacks memory and port 80: the first reason counts.
  EXPECT_THAT(failures, ElementsAre(::testing::Pair(InstanceArn("a"), "RESOURCE:MEMORY"),
                                    ::testing::Pair("missing", "MISSING"),
                                    ::testing::Pair(InstanceArn("draining"), "INACTIVE"),
                                    ::testing::Pair(InstanceArn("gone"), "AGENT")));
  ASSERT_EQ(plan.unplaced.size(), 4u);
  EXPECT_EQ(plan.unplaced[0].task_index, 1);
  EXPECT_EQ(plan.unplaced[0].explanation.closest[0].lacks.size(), 2u);  // memory and port
  EXPECT_EQ(plan.unplaced[1].explanation.Rejected(Rejection::kMissing), 1);
}

TEST_P(SchedulerPlaceTest, FailuresListClosestFirst) {
  Add({.id = "far", .cpu = 10, .memory = 10});
  Add({.id = "near", .cpu = 4096, .memory = 500});
  Add({.id = "nearer", .cpu = 4096, .memory = 1000});
  Plan plan = Place(Req({.cpu = 256, .memory = 1024}));
  ASSERT_EQ(plan.failures.size(), 3u);
  EXPECT_EQ(plan.failures[0].arn, InstanceArn("nearer"));
  EXPECT_EQ(plan.failures[0].detail, "needs 1024 MiB, 1000 remaining");
  EXPECT_EQ(plan.failures[1].arn, InstanceArn("near"));
  EXPECT_EQ(plan.failures[2].arn, InstanceArn("far"));
  EXPECT_EQ(plan.failures[2].reason, "RESOURCE:CPU");  // first in pipeline order
}

TEST_P(SchedulerPlaceTest, FailuresAreCapped) {
  for (int i = 0; i < 150; ++i) {
    Add({.id = "i" + std::to_string(i), .memory = 10});
  }
  Plan plan = Place(Req({}, 3));
  EXPECT_EQ(plan.failures.size(), kMaxFailures);
  EXPECT_EQ(plan.unplaced.size(), 3u);
  EXPECT_EQ(plan.unplaced[2].explanation.Rejected(Rejection::kMemory), 150);
}

TEST_P(SchedulerPlaceTest, ExplainSuccessfulPlacements) {
  Add({.id = "a"});
  Add({.id = "b", .memory = 10});
  RequestSpec spec = Req({}, 2);
  spec.explain = true;
  Plan plan = Place(spec);
  ASSERT_EQ(plan.explanations.size(), 2u);
  EXPECT_EQ(plan.explanations[0].feasible, 1);
  EXPECT_EQ(plan.explanations[0].Rejected(Rejection::kMemory), 1);
}

TEST_P(SchedulerPlaceTest, ChangesAfterPrepareAreSeen) {
  Add({.id = "a", .attributes = {{"type", "small"}}});
  Add({.id = "b", .attributes = {{"type", "large"}}});
  RequestSpec spec = Req({.cpu = 1, .memory = 1});
  spec.constraints = {MemberOf("attribute:type == large")};
  EXPECT_THAT(Ids(Place(spec)), ElementsAre("b"));
  ASSERT_TRUE(h_.snapshot()
                  .SetAttributes(InstanceArn("a"), {{"type", "large", std::nullopt, std::nullopt}})
                  .ok());
  ASSERT_TRUE(h_.snapshot().SetStatus(InstanceArn("b"), ecs::ContainerInstanceStatus::kDraining).ok());
  // The harness's ledger does not see these two changes; check directly.
  absl::StatusOr<PlacementRequest> request = CompileRequest(spec);
  ASSERT_TRUE(request.ok());
  if (prepare()) {
    h_.snapshot().Prepare(*request);
  }
  io::Rng rng(1);
  Plan plan = scheduler::Place(h_.snapshot(), *request, rng);
  EXPECT_THAT(Ids(plan), ElementsAre("a"));
}

}  // namespace
}  // namespace berth::scheduler
