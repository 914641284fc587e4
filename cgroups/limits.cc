#include "cgroups/limits.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "io/status.h"

namespace berth::cgroups {
namespace {
constexpr int64_t kMiB = 1024 * 1024;

// MiB → bytes, saturating (a value that large is "no limit" in practice).
int64_t MiBToBytes(int64_t mib) {
  if (mib > INT64_MAX / kMiB) {
    return INT64_MAX / kMiB * kMiB;
  }
  return mib * kMiB;
}
}  // namespace

int64_t CpuShares(int64_t cpu_units) {
  return std::clamp<int64_t>(cpu_units, kMinCpuShares, kMaxCpuShares);
}

int64_t SharesToWeight(int64_t shares) {
  shares = CpuShares(shares);
  return 1 + ((shares - 2) * 9999) / 262142;
}

int64_t ImplicitTaskShares(absl::Span<const ContainerLimits> containers) {
  int64_t sum = 0;
  for (const ContainerLimits& c : containers) {
    sum += std::max<int64_t>(c.cpu_units, kMinCpuShares);
    sum = std::min(sum, kMaxCpuShares);
  }
  return std::clamp(sum, kMinCpuShares, kMaxCpuShares);
}

std::string CpuMax(int64_t cpu_units, absl::Duration period) {
  const int64_t period_us = absl::ToInt64Microseconds(period);
  // Units beyond 2^32 (4 million vCPUs) are capped to keep the product in range.
  int64_t quota_us = std::clamp<int64_t>(cpu_units, 0, int64_t{1} << 32) * period_us / 1024;
  quota_us = std::max(quota_us, kMinCpuQuotaUsec);
  return absl::StrCat(quota_us, " ", period_us);
}

absl::Status ValidateCpuPeriod(absl::Duration period) {
  if (period < kMinCpuPeriod || period > kMaxCpuPeriod ||
      period != absl::Microseconds(absl::ToInt64Microseconds(period))) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ECS_CGROUP_CPU_PERIOD ", absl::FormatDuration(period),
                     ": want a whole number of microseconds between 8ms and 100ms"));
  }
  return absl::OkStatus();
}

std::vector<CgroupFile> ContainerFiles(const ContainerLimits& limits) {
  std::vector<CgroupFile> files;
  files.push_back({Controller::kCpu, "cpu.weight",
                   absl::StrCat(SharesToWeight(CpuShares(limits.cpu_units)))});
  std::string max = "max";
  if (limits.memory_mib && *limits.memory_mib > 0) {
    max = absl::StrCat(std::max(MiBToBytes(*limits.memory_mib), kMinContainerMemoryBytes));
  }
  files.push_back({Controller::kMemory, "memory.max", max});
  if (limits.memory_reservation_mib && *limits.memory_reservation_mib > 0) {
    files.push_back({Controller::kMemory, "memory.low",
                     absl::StrCat(MiBToBytes(*limits.memory_reservation_mib))});
  }
  return files;
}

absl::StatusOr<std::vector<CgroupFile>> TaskFiles(const TaskLimits& task,
                                                  absl::Span<const ContainerLimits> containers) {
  RETURN_IF_ERROR(ValidateCpuPeriod(task.cpu_period));
  std::vector<CgroupFile> files;
  if (task.cpu_units && *task.cpu_units > 0) {
    files.push_back({Controller::kCpu, "cpu.max", CpuMax(*task.cpu_units, task.cpu_period)});
  } else {
    files.push_back({Controller::kCpu, "cpu.weight",
                     absl::StrCat(SharesToWeight(ImplicitTaskShares(containers)))});
  }
  if (task.memory_mib && *task.memory_mib > 0) {
    for (size_t i = 0; i < containers.size(); ++i) {
      const auto& mem = containers[i].memory_mib;
      if (mem && *mem > *task.memory_mib) {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid task limits: container ", i, " memory ", *mem,
            " MiB exceeds the task memory ", *task.memory_mib, " MiB"));
      }
    }
    files.push_back({Controller::kMemory, "memory.max", absl::StrCat(MiBToBytes(*task.memory_mib))});
  }
  // The containers' reservations, summed, protect the task as a whole too:
  // without memory_recursiveprot a child's memory.low counts under global
  // pressure only as far as its parent's allows.
  int64_t reserved_mib = 0;
  for (const ContainerLimits& c : containers) {
    if (c.memory_reservation_mib && *c.memory_reservation_mib > 0) {
      reserved_mib += std::min<int64_t>(*c.memory_reservation_mib, INT64_MAX / kMiB);
      reserved_mib = std::min(reserved_mib, INT64_MAX / kMiB);
    }
  }
  if (reserved_mib > 0) {
    files.push_back({Controller::kMemory, "memory.low", absl::StrCat(MiBToBytes(reserved_mib))});
  }
  if (task.pids_max && *task.pids_max > 0) {
    files.push_back({Controller::kPids, "pids.max", absl::StrCat(*task.pids_max)});
  }
  return files;
}

absl::StatusOr<ApplyResult> Apply(const Cgroup& cgroup, absl::Span<const CgroupFile> files) {
  ASSIGN_OR_RETURN(ControllerSet available, cgroup.Controllers());
  ApplyResult result;
  for (const CgroupFile& file : files) {
    if (!available.Has(file.controller)) {
      result.skipped.push_back(file);
      continue;
    }
    RETURN_IF_ERROR(cgroup.WriteFile(file.name, file.value));
    result.written.push_back(file);
  }
  return result;
}

}  // namespace berth::cgroups
