#include "bench/scheduler/synthetic_cluster.h"

#include "absl/strings/str_cat.h"
#include "ecs/arn.h"
#include "io/log.h"
#include "io/rng.h"

namespace berth::scheduler::bench {
namespace {

struct InstanceType {
  const char* name;
  int weight;
  int vcpu;
  int gib;
};

constexpr InstanceType kTypes[] = {
    {"m5.large", 30, 2, 8},
    {"m5.xlarge", 30, 4, 16},
    {"m5.2xlarge", 20, 8, 32},
    {"c5.2xlarge", 20, 8, 16},
};

const InstanceType& PickType(io::Rng& rng) {
  int r = static_cast<int>(rng.Uniform(100));
  for (const InstanceType& t : kTypes) {
    if (r < t.weight) {
      return t;
    }
    r -= t.weight;
  }
  return kTypes[0];
}

}  // namespace

void BuildCluster(const ClusterShape& shape, ClusterSnapshot* snapshot) {
  io::Rng rng(shape.seed);
  ecs::ArnScope scope;
  std::vector<std::string> arns;
  for (int i = 0; i < shape.instances; ++i) {
    const InstanceType& type = PickType(rng);
    ecs::ContainerInstance ci;
    ci.container_instance_arn = ecs::ContainerInstanceArn(scope, "bench", ecs::NewResourceId(rng));
    ci.ec2_instance_id = absl::StrCat("i-", absl::Hex(rng.Next(), absl::kZeroPad16));
    ci.version_info = ecs::VersionInfo{"1.70.2", std::nullopt, std::nullopt};
    // The agent keeps some memory back, as the Amazon agent does.
    ci.registered_resources = {ecs::IntegerResource("CPU", type.vcpu * 1024),
                               ecs::IntegerResource("MEMORY", type.gib * 1024 - 256),
                               ecs::PortsResource("PORTS", {22, 2375, 2376, 51678, 51679}),
                               ecs::PortsResource("PORTS_UDP", {})};
    ci.status = ecs::ContainerInstanceStatus::kActive;
    ci.agent_connected = true;
    static constexpr const char* kZones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
    ci.attributes = {
        {"ecs.availability-zone", kZones[i % 3], std::nullopt, std::nullopt},
        {"ecs.instance-type", type.name, std::nullopt, std::nullopt},
        {"ecs.os-type", "linux", std::nullopt, std::nullopt},
        {"ecs.cpu-architecture", "x86_64", std::nullopt, std::nullopt},
        {"stack", rng.Uniform(4) == 0 ? "dev" : "prod", std::nullopt, std::nullopt},
    };
    for (int c = 17; c < 27; ++c) {
      ci.attributes.push_back({absl::StrCat("com.amazonaws.ecs.capability.docker-remote-api.1.", c),
                               std::nullopt, std::nullopt, std::nullopt});
    }
    ci.registered_at = absl::FromUnixSeconds(1700000000 + i);
    CHECK_OK(snapshot->AddInstance(ci));
    arns.push_back(ci.container_instance_arn);
  }
  int64_t tasks = int64_t{shape.instances} * shape.tasks_per_instance;
  for (int64_t t = 0; t < tasks; ++t) {
    TaskRecord task;
    task.task_arn = ecs::TaskArn(scope, "bench", absl::StrCat("pre", t));
    task.container_instance = arns[rng.Uniform(arns.size())];
    int g = static_cast<int>(rng.Uniform(200));
    task.group = g < 120 ? absl::StrCat("service:svc", g) : absl::StrCat("family:job", g);
    task.needs.cpu = 64 << rng.Uniform(3);
    task.needs.memory = 128 << rng.Uniform(4);
    task.running = true;
    // Where it fits: the snapshot itself would accept an over-commit.
    absl::StatusOr<std::vector<ecs::Resource>> left =
        snapshot->RemainingResources(task.container_instance);
    if ((*left)[0].integer_value >= task.needs.cpu &&
        (*left)[1].integer_value >= task.needs.memory) {
      CHECK_OK(snapshot->AddTask(task));
    }
  }
}

RequestSpec BenchRequest(int count, Shape shape) {
  RequestSpec spec;
  spec.kind = RequestKind::kService;
  spec.group = "service:bench";
  ecs::ContainerDefinition c;
  c.name = "app";
  c.image = "app:1";
  c.cpu = 32;
  c.memory = 512;
  c.memory_reservation = 256;
  spec.task_definition.family = "bench";
  spec.task_definition.container_definitions = {c};
  spec.strategies = {{ecs::PlacementStrategyType::kSpread, "attribute:ecs.availability-zone"},
                     {ecs::PlacementStrategyType::kBinpack, "memory"}};
  spec.constraints = {
      {ecs::PlacementConstraintType::kMemberOf, "attribute:ecs.instance-type != m5.large"}};
  spec.count = count;
  if (shape == Shape::kServiceDefault) {
    spec.strategies.clear();
    spec.constraints.clear();
  } else if (shape == Shape::kRunTaskDefault) {
    spec.kind = RequestKind::kRunTask;
    spec.group.clear();
    spec.strategies.clear();
    spec.constraints.clear();
  }
  return spec;
}

}  // namespace berth::scheduler::bench
