#include "control/scheduler/explanation.h"

#include "gtest/gtest.h"

namespace berth::scheduler {
namespace {

TEST(SchedulerExplanationTest, SummaryNamesCountsAndClosest) {
  Explanation e;
  e.instances = 40;
  e.candidates = 38;
  e.feasible = 0;
  e.rejected[static_cast<int>(Rejection::kAgent)] = 2;
  e.rejected[static_cast<int>(Rejection::kMemory)] = 30;
  e.rejected[static_cast<int>(Rejection::kMemberOf)] = 20;
  e.rejected_by_member_of = {{"attribute:ecs.instance-type == m5.large", 20}, {"x", 0}};
  e.closest = {{"arn:1", {{Rejection::kMemory, "needs 2048 MiB, 1024 remaining"}}},
               {"arn:2",
                {{Rejection::kPorts, "tcp host ports taken: 80"},
                 {Rejection::kDistinctInstance, "already runs a task of group family:web"}}}};
  EXPECT_EQ(e.Summary(),
            "0 of 40 instances fit (38 ACTIVE with a connected agent). Rejected: AGENT 2, "
            "RESOURCE:MEMORY 30, memberOf(attribute:ecs.instance-type == m5.large) 20. Closest: "
            "arn:1 lacks RESOURCE:MEMORY (needs 2048 MiB, 1024 remaining); arn:2 lacks "
            "RESOURCE:PORTS (tcp host ports taken: 80), distinctInstance (already runs a task "
            "of group family:web).");
}

TEST(SchedulerExplanationTest, EcsReasons) {
  EXPECT_EQ(EcsReason(Rejection::kMissing), "MISSING");
  EXPECT_EQ(EcsReason(Rejection::kInactive), "INACTIVE");
  EXPECT_EQ(EcsReason(Rejection::kAgent), "AGENT");
  EXPECT_EQ(EcsReason(Rejection::kAttribute), "ATTRIBUTE");
  EXPECT_EQ(EcsReason(Rejection::kCpu), "RESOURCE:CPU");
  EXPECT_EQ(EcsReason(Rejection::kMemory), "RESOURCE:MEMORY");
  EXPECT_EQ(EcsReason(Rejection::kPorts), "RESOURCE:PORTS");
  EXPECT_EQ(EcsReason(Rejection::kPortsUdp), "RESOURCE:PORTS_UDP");
  EXPECT_EQ(EcsReason(Rejection::kMemberOf), "MemberOf placement constraint unsatisfied.");
  EXPECT_EQ(EcsReason(Rejection::kDistinctInstance),
            "DistinctInstance placement constraint unsatisfied.");
}

}  // namespace
}  // namespace berth::scheduler
