// Property tests over random clusters and requests. Every plan goes through
// the harness, which checks it against its ledger: each task on an instance
// that fits it, with the smallest strategy keys among those that fit; an
// unplaced task only when nothing fits; every failure reason the instance's
// first in pipeline order. Deterministic: the seeds are fixed.

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "io/rng.h"
#include "tests/unit/control/scheduler/harness.h"

namespace berth::scheduler {
namespace {

using testing::Harness;
using testing::IdOf;
using testing::InstanceSpec;
using testing::MakeTaskDefinition;
using testing::TaskDefSpec;

template <typename T>
const T& Pick(io::Rng& rng, const std::vector<T>& items) {
  return items[rng.Uniform(items.size())];
}

bool Chance(io::Rng& rng, double p) { return rng.UniformDouble() < p; }

void BuildCluster(io::Rng& rng, Harness& h) {
  int n = 1 + static_cast<int>(rng.Uniform(24));
  for (int i = 0; i < n; ++i) {
    InstanceSpec spec;
    spec.id = absl::StrCat("i", i);
    spec.cpu = Pick<int>(rng, {512, 1024, 2048, 4096});
    spec.memory = Pick<int>(rng, {512, 1024, 2048, 4096, 8192});
    if (Chance(rng, 0.2)) {
      spec.tcp_reserved.push_back(80);
    }
    if (Chance(rng, 0.2)) {
      spec.udp_reserved.push_back(53);
    }
    if (!Chance(rng, 0.1)) {
      spec.attributes["ecs.availability-zone"] = Pick<std::string>(rng, {"a", "b", "c"});
    }
    spec.attributes["ecs.instance-type"] = Pick<std::string>(rng, {"small", "large", "xl"});
    if (Chance(rng, 0.3)) {
      spec.attributes["ecs.capability.task-eni"] = std::nullopt;
    }
    if (Chance(rng, 0.1)) {
      spec.status = Pick(rng, std::vector<ecs::ContainerInstanceStatus>{
                                  ecs::ContainerInstanceStatus::kDraining,
                                  ecs::ContainerInstanceStatus::kInactive,
                                  ecs::ContainerInstanceStatus::kRegistering});
    }
    spec.connected = !Chance(rng, 0.1);
    ASSERT_TRUE(h.AddInstance(spec).ok());
  }
  // Tasks already running, where they fit.
  int tasks = static_cast<int>(rng.Uniform(3 * n));
  for (int t = 0; t < tasks; ++t) {
    std::string id = absl::StrCat("i", rng.Uniform(n));
    TaskNeeds needs;
    needs.cpu = Pick<int>(rng, {0, 128, 256});
    needs.memory = Pick<int>(rng, {64, 256, 512});
    if (h.ledger().RemainingCpu(id) >= needs.cpu && h.ledger().RemainingMemory(id) >= needs.memory) {
      ASSERT_TRUE(h.AddTask(id, Pick<std::string>(rng, {"family:g1", "family:g2", "service:s"}),
                            needs)
                      .ok());
    }
  }
}

RequestSpec RandomRequest(io::Rng& rng, int instances) {
  RequestSpec spec;
  TaskDefSpec td;
  td.family = Pick<std::string>(rng, {"g1", "g2"});
  // Sizes that divide the instances' ones, so exact fits happen.
  td.cpu = Pick<int>(rng, {0, 128, 256, 512, 1024});
  td.memory = Pick<int>(rng, {64, 128, 512, 1024, 2048});
  if (Chance(rng, 0.2)) {
    td.memory += Pick<int>(rng, {-1, 1});  // and near misses
  }
  if (Chance(rng, 0.3)) {
    td.memory_reservation = td.memory / 2;
  }
  if (Chance(rng, 0.2)) {
    td.tcp_ports.push_back(Pick<int>(rng, {80, 443, 8080}));
  }
  if (Chance(rng, 0.1)) {
    td.udp_ports.push_back(53);
  }
  if (Chance(rng, 0.2)) {
    td.member_of.push_back(Pick<std::string>(
        rng, {"attribute:ecs.instance-type == small", "attribute:ecs.instance-type != xl",
              "attribute:ecs.availability-zone in [a, b]"}));
  }
  if (Chance(rng, 0.1)) {
    td.requires_attributes.push_back("ecs.capability.task-eni");
  }
  spec.task_definition = MakeTaskDefinition(td);
  if (Chance(rng, 0.25)) {
    spec.constraints.push_back(testing::DistinctInstance());
  }
  if (Chance(rng, 0.2)) {
    spec.constraints.push_back(testing::MemberOf(Pick<std::string>(
        rng, {"attribute:ecs.availability-zone exists", "not(task:group == family:g2)",
              "attribute:ecs.instance-type =~ s.*", "runningTasksCount == 0"})));
  }
  int kind = static_cast<int>(rng.Uniform(10));
  if (kind < 6) {
    spec.kind = RequestKind::kRunTask;
    spec.count = 1 + static_cast<int>(rng.Uniform(10));
  } else if (kind < 9) {
    spec.kind = RequestKind::kService;
    spec.group = "service:s";
    spec.count = 1 + static_cast<int>(rng.Uniform(15));
  } else {
    spec.kind = RequestKind::kStartTask;
    int k = 1 + static_cast<int>(rng.Uniform(4));
    for (int i = 0; i < k; ++i) {
      // Now and then an id that does not exist.
      spec.container_instances.push_back(absl::StrCat("i", rng.Uniform(instances + 2)));
    }
    return spec;
  }
  int rules = static_cast<int>(rng.Uniform(4));
  for (int i = 0; i < rules; ++i) {
    spec.strategies.push_back(Pick(rng, std::vector<ecs::PlacementStrategy>{
                                            testing::Spread("attribute:ecs.availability-zone"),
                                            testing::Spread("instanceId"),
                                            testing::Spread("attribute:ecs.instance-type"),
                                            testing::Binpack("cpu"), testing::Binpack("memory"),
                                            testing::Random()}));
  }
  return spec;
}

// Random clusters and requests, both search paths, with changes between
// requests; the harness checks each plan.
TEST(SchedulerPropertyTest, PlansAreFeasibleOptimalAndExplained) {
  for (uint64_t seed = 0; seed < 1500; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    io::Rng rng(seed);
    Harness h;
    BuildCluster(rng, h);
    int instances = static_cast<int>(h.snapshot().instance_count());
    for (int r = 0; r < 6; ++r) {
      h.Run(RandomRequest(rng, instances), rng.Next(), /*prepare=*/seed % 2 == 0);
      // Change the cluster under the indexes.
      std::string id = absl::StrCat("i", rng.Uniform(instances));
      switch (rng.Uniform(5)) {
        case 0:
          if (!h.task_arns().empty()) {
            ASSERT_TRUE(h.RemoveTask(Pick(rng, h.task_arns())).ok());
          }
          break;
        case 1:
          ASSERT_TRUE(h.SetConnected(id, Chance(rng, 0.7)).ok());
          break;
        case 2:
          ASSERT_TRUE(h.SetStatus(id, Chance(rng, 0.7) ? ecs::ContainerInstanceStatus::kActive
                                                       : ecs::ContainerInstanceStatus::kDraining)
                          .ok());
          break;
        case 3:
          ASSERT_TRUE(h.SetAttribute(id, "ecs.availability-zone",
                                     Pick<std::string>(rng, {"a", "b", "c", "d"}))
                          .ok());
          break;
        default:
          break;
      }
    }
    h.ExpectNoOvercommit();
    if (::testing::Test::HasFailure()) {
      return;  // one seed's failures are enough to read
    }
  }
}

TEST(SchedulerPropertyTest, SameSeedSamePlans) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::vector<Plan> runs[2];
    for (std::vector<Plan>& plans : runs) {
      io::Rng rng(seed);
      Harness h;
      BuildCluster(rng, h);
      int instances = static_cast<int>(h.snapshot().instance_count());
      for (int r = 0; r < 4; ++r) {
        plans.push_back(h.Run(RandomRequest(rng, instances), rng.Next(), seed % 2 == 0));
      }
    }
    ASSERT_EQ(runs[0], runs[1]);
  }
}

// spread over identical instances: after every request, the group's task
// counts differ by at most one between instances.
TEST(SchedulerPropertyTest, SpreadOverIdenticalInstancesStaysBalanced) {
  for (uint64_t seed = 0; seed < 300; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    io::Rng rng(seed);
    Harness h;
    int n = 2 + static_cast<int>(rng.Uniform(12));
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(h.AddInstance({.id = absl::StrCat("i", i), .cpu = 1 << 20, .memory = 1 << 20,
                                 .attributes = {{"ecs.availability-zone", "a"}}})
                      .ok());
    }
    bool by_zone_then_instance = seed % 2 == 1;  // the service default
    for (int r = 0; r < 8; ++r) {
      RequestSpec spec;
      spec.task_definition = MakeTaskDefinition({.cpu = 10, .memory = 10});
      spec.count = 1 + static_cast<int>(rng.Uniform(10));
      if (by_zone_then_instance) {
        spec.kind = RequestKind::kService;
        spec.group = "service:s";
      } else {
        spec.strategies = {testing::Spread("instanceId")};
      }
      Plan plan = h.Run(spec, rng.Next(), r % 2 == 0);
      ASSERT_TRUE(plan.unplaced.empty());
      std::string group = by_zone_then_instance ? "service:s" : "family:web";
      int lo = 1 << 30;
      int hi = 0;
      for (const auto& [id, unused] : h.ledger().instances()) {
        lo = std::min(lo, h.ledger().GroupCount(id, group));
        hi = std::max(hi, h.ledger().GroupCount(id, group));
      }
      ASSERT_LE(hi - lo, 1) << "after request " << r;
    }
  }
}

// binpack: each task goes to the instance with the least remaining amount
// among those it fits on.
TEST(SchedulerPropertyTest, BinpackFillsTheFullestFittingInstanceFirst) {
  for (uint64_t seed = 0; seed < 300; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    io::Rng rng(seed);
    Harness h;
    int n = 1 + static_cast<int>(rng.Uniform(15));
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(h.AddInstance({.id = absl::StrCat("i", i),
                                 .cpu = static_cast<int>(512 + rng.Uniform(4096)),
                                 .memory = static_cast<int>(512 + rng.Uniform(8192))})
                      .ok());
    }
    bool memory = seed % 2 == 0;
    for (int r = 0; r < 10; ++r) {
      RequestSpec spec;
      spec.task_definition = MakeTaskDefinition(
          {.cpu = static_cast<int>(rng.Uniform(700)), .memory = static_cast<int>(1 + rng.Uniform(1500))});
      spec.strategies = {testing::Binpack(memory ? "memory" : "cpu")};
      absl::StatusOr<PlacementRequest> request = CompileRequest(spec);
      ASSERT_TRUE(request.ok());
      // Before placing: the least remaining among the instances that fit.
      std::optional<int64_t> least;
      for (const auto& [id, unused] : h.ledger().instances()) {
        if (h.ledger().Rejections(id, *request).empty()) {
          int64_t left = memory ? h.ledger().RemainingMemory(id) : h.ledger().RemainingCpu(id);
          least = least.has_value() ? std::min(*least, left) : left;
        }
      }
      Plan plan = h.Run(*request, rng.Next(), r % 2 == 0);
      ASSERT_EQ(plan.placements.empty(), !least.has_value());
      if (least.has_value()) {
        std::string id = IdOf(plan.placements[0].container_instance_arn);
        int64_t after = memory ? h.ledger().RemainingMemory(id) : h.ledger().RemainingCpu(id);
        int64_t need = memory ? request->needs.memory : request->needs.cpu;
        EXPECT_EQ(after + need, *least);
      }
    }
  }
}

}  // namespace
}  // namespace berth::scheduler
