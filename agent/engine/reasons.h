#ifndef BERTH_AGENT_ENGINE_REASONS_H_
#define BERTH_AGENT_ENGINE_REASONS_H_

// The reasons the engine writes on containers and tasks, in the Amazon
// agent's "<ErrorName>: <message>" form (../shared/reference/ecs-agent.md §6),
// so what users grep for in ECS still matches.

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"

namespace berth::agent::reasons {

inline constexpr std::string_view kOutOfMemory =
    "OutOfMemoryError: Container killed due to memory usage";
inline constexpr std::string_view kCgroupError =
    "CgroupError: Agent could not create task's platform resources";

// The exit code Amazon's agent gives a container it stops for a terminal
// dependency error without ever starting it (SIGTERM's 128 + 15).
inline constexpr int kDependencyErrorExitCode = 143;

inline std::string CannotPull(std::string_view message) {
  return absl::StrCat("CannotPullContainerError: ", Absl(message));
}
inline std::string CannotCreate(std::string_view message) {
  return absl::StrCat("CannotCreateContainerError: ", Absl(message));
}
// Also the name Amazon's agent gives terminal dependency errors.
inline std::string CannotStart(std::string_view message) {
  return absl::StrCat("CannotStartContainerError: ", Absl(message));
}

}  // namespace berth::agent::reasons

#endif  // BERTH_AGENT_ENGINE_REASONS_H_
