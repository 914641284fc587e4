#ifndef BERTH_CONTROL_SCHEDULER_TASK_NEEDS_H_
#define BERTH_CONTROL_SCHEDULER_TASK_NEEDS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "ecs/task_definition.h"

namespace berth::scheduler {

// What one task takes from a container instance while it runs: the ECS
// placement dimensions CPU, MEMORY, PORTS and PORTS_UDP.
struct TaskNeeds {
  int64_t cpu = 0;     // CPU units
  int64_t memory = 0;  // MiB
  // Static host ports, sorted, no duplicates. Dynamic ports (bridge mode
  // hostPort 0 / absent) are not placement resources.
  std::vector<uint16_t> tcp_ports;
  std::vector<uint16_t> udp_ports;

  friend bool operator==(const TaskNeeds&, const TaskNeeds&) = default;
};

// The needs of one task of `definition`:
//  - cpu: the task-level cpu when given, else the sum of container cpu;
//  - memory: the task-level memory when given, else the sum over containers
//    of memoryReservation when set, else memory;
//  - ports: in bridge mode each hostPort > 0; in host mode the hostPort, or
//    the containerPort when hostPort is absent or 0; none in awsvpc / none
//    mode (awsvpc tasks use their own ENI).
// InvalidArgument for an unparsable task size, a port outside 1..65535, a
// host-mode hostPort that differs from its containerPort, or the same host
// port mapped twice.
absl::StatusOr<TaskNeeds> NeedsOf(const ecs::TaskDefinition& definition);

}  // namespace berth::scheduler

#endif  // BERTH_CONTROL_SCHEDULER_TASK_NEEDS_H_
