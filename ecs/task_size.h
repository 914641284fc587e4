#ifndef BERTH_ECS_TASK_SIZE_H_
#define BERTH_ECS_TASK_SIZE_H_

// Task-level cpu and memory are strings in the ECS model: CPU units ("1024")
// or vCPUs ("1 vCPU", "0.25 vcpu"); MiB ("2048") or GB ("2GB", "0.5 GB").
// These convert them to the integers placement counts.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace berth::ecs {

// CPU units (1,024 per vCPU). InvalidArgument for anything else, or for a
// vCPU amount that is not a whole number of units.
absl::StatusOr<int64_t> ParseTaskCpu(std::string_view text);

// MiB (1,024 per GB). InvalidArgument for anything else, or for a GB amount
// that is not a whole number of MiB.
absl::StatusOr<int64_t> ParseTaskMemory(std::string_view text);

}  // namespace berth::ecs

#endif  // BERTH_ECS_TASK_SIZE_H_
