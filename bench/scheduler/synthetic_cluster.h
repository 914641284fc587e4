#ifndef BERTH_BENCH_SCHEDULER_SYNTHETIC_CLUSTER_H_
#define BERTH_BENCH_SCHEDULER_SYNTHETIC_CLUSTER_H_

// A synthetic ECS cluster for the scheduler benchmarks: instances over three
// availability zones with mixed sizes and attributes, and running tasks of
// many groups.

#include <string>
#include <vector>

#include "control/scheduler/cluster_snapshot.h"
#include "control/scheduler/placement_request.h"

namespace berth::scheduler::bench {

struct ClusterShape {
  int instances = 5000;
  int tasks_per_instance = 10;  // running tasks, on average
  uint64_t seed = 1;
};

// Fills `snapshot`. Instance types (weight: vCPU, GiB): m5.large (30%: 2, 8),
// m5.xlarge (30%: 4, 16), m5.2xlarge (20%: 8, 32), c5.2xlarge (20%: 8, 16);
// zones us-east-1a/b/c round robin; attributes ecs.availability-zone,
// ecs.instance-type, ecs.os-type, ecs.cpu-architecture, stack (prod/dev)
// and ten agent capabilities. Running tasks: 64..256 CPU units,
// 128..1024 MiB, in 200 groups (services and families), put where they fit.
void BuildCluster(const ClusterShape& shape, ClusterSnapshot* snapshot);

enum class Shape {
  // The request: a service's tasks (32 CPU units, 256 MiB) with
  // spread(attribute:ecs.availability-zone), binpack(memory) and
  // memberOf(attribute:ecs.instance-type != m5.large) (70% of instances).
  kSpreadBinpackMemberOf,
  // The same task as a service with the default strategies:
  // spread(attribute:ecs.availability-zone), spread(instanceId).
  kServiceDefault,
  // The same task by RunTask with no strategy (random).
  kRunTaskDefault,
};

RequestSpec BenchRequest(int count, Shape shape = Shape::kSpreadBinpackMemberOf);

}  // namespace berth::scheduler::bench

#endif  // BERTH_BENCH_SCHEDULER_SYNTHETIC_CLUSTER_H_
