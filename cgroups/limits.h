#ifndef BERTH_CGROUPS_LIMITS_H_
#define BERTH_CGROUPS_LIMITS_H_

// ECS resource units → cgroup v2 files, as pure functions, and Apply(),
// which writes them into a cgroup before any process enters it. The
// conversions and their sources are tabled in cgroups/README.md.
//
//   container cpu units  → cpu.weight   shares clamp[2, 262144], 0/unset → 2,
//                                       weight = 1 + (shares − 2) × 9999 / 262142
//   container memory MiB → memory.max   bytes, at least 4 MiB; 0/unset → "max"
//   memoryReservation    → memory.low   bytes (0/unset: not written)
//   task cpu units       → cpu.max      "<units × period / 1024> <period>" (µs)
//   task cpu unset       → cpu.weight   of Σ max(container cpu, 2), capped at 262144
//   task memory MiB      → memory.max   bytes
//   Σ memoryReservation  → memory.low   of the task (berth's own: see README)
//   ECS_TASK_PIDS_LIMIT  → pids.max     on the task cgroup

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cgroups/cgroup.h"
#include "cgroups/controllers.h"

namespace berth::cgroups {

inline constexpr int64_t kMinCpuShares = 2;
inline constexpr int64_t kMaxCpuShares = 262144;
inline constexpr int64_t kMinContainerMemoryBytes = 4 * 1024 * 1024;
// ECS_CGROUP_CPU_PERIOD: default and allowed range.
inline constexpr absl::Duration kDefaultCpuPeriod = absl::Milliseconds(100);
inline constexpr absl::Duration kMinCpuPeriod = absl::Milliseconds(8);
inline constexpr absl::Duration kMaxCpuPeriod = absl::Milliseconds(100);
// The kernel refuses a cpu.max quota below 1 ms.
inline constexpr int64_t kMinCpuQuotaUsec = 1000;

// One container's limits as the task definition gives them.
struct ContainerLimits {
  int64_t cpu_units = 0;                              // 0 = unset
  std::optional<int64_t> memory_mib = {};             // hard limit
  std::optional<int64_t> memory_reservation_mib = {}; // soft limit
};

// The task's own limits and the agent's settings that shape them.
struct TaskLimits {
  std::optional<int64_t> cpu_units = {};    // task-level cpu (1024 = one vCPU)
  std::optional<int64_t> memory_mib = {};   // task-level memory
  std::optional<int64_t> pids_max = {};     // ECS_TASK_PIDS_LIMIT
  absl::Duration cpu_period = kDefaultCpuPeriod;  // ECS_CGROUP_CPU_PERIOD
};

// A control file to write, and the controller that must be enabled for the
// cgroup to have it.
struct CgroupFile {
  Controller controller = Controller::kCpu;
  std::string name;   // "cpu.weight"
  std::string value;  // "39"
  friend bool operator==(const CgroupFile&, const CgroupFile&) = default;
};

// Container cpu units → Docker's CPUShares: clamped to [2, 262144], ≤ 0 → 2.
int64_t CpuShares(int64_t cpu_units);
// cgroup v1 shares → v2 weight (containerd's ToResources): 2→1, 1024→39,
// 262144→10000. `shares` is clamped to [2, 262144] first.
int64_t SharesToWeight(int64_t shares);
// The task cgroup's implicit shares when task cpu is unset (Amazon's agent):
// Σ max(container cpu, 2), capped at 262144.
int64_t ImplicitTaskShares(absl::Span<const ContainerLimits> containers);
// "<quota> <period>" in µs for task cpu units; quota = units × period / 1024,
// at least 1 ms.
std::string CpuMax(int64_t cpu_units, absl::Duration period);
// InvalidArgument naming ECS_CGROUP_CPU_PERIOD unless 8 ms ≤ period ≤ 100 ms
// (and a whole number of µs).
absl::Status ValidateCpuPeriod(absl::Duration period);

// The files of a container cgroup: cpu.weight, memory.max, memory.low.
std::vector<CgroupFile> ContainerFiles(const ContainerLimits& limits);
// The files of a task cgroup: cpu.max or cpu.weight, memory.max, memory.low
// (the sum of the containers' reservations), pids.max.
// InvalidArgument for a bad period, or a container whose memory exceeds the
// task's (Amazon's agent refuses that task too).
absl::StatusOr<std::vector<CgroupFile>> TaskFiles(const TaskLimits& task,
                                                  absl::Span<const ContainerLimits> containers);

struct ApplyResult {
  std::vector<CgroupFile> written = {};
  // Not written: their controller is not in the cgroup's cgroup.controllers.
  std::vector<CgroupFile> skipped = {};
};
// Writes each file whose controller the cgroup has (its cgroup.controllers)
// and returns what it wrote and skipped, so the caller can warn once. Call
// it before any process enters the cgroup. Stops at the first failed write.
absl::StatusOr<ApplyResult> Apply(const Cgroup& cgroup, absl::Span<const CgroupFile> files);

}  // namespace berth::cgroups

#endif  // BERTH_CGROUPS_LIMITS_H_
