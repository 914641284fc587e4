#ifndef BERTH_AGENT_RUNTIME_DOCKER_RULES_H_
#define BERTH_AGENT_RUNTIME_DOCKER_RULES_H_

// Docker's rules for what a container runs and with which environment, as
// pure functions: the image's config (Entrypoint, Cmd, Env) meets the task
// definition's (entryPoint, command, environment).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::agent::runtime {

// The default PATH Docker gives a Linux container whose image sets none.
inline constexpr char kDefaultPath[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The container's argv. A task entryPoint (present, even empty) replaces the
// image's Entrypoint and drops the image's Cmd; a task command replaces Cmd;
// both absent keep the image's. InvalidArgument "no command specified" when
// the result is empty.
absl::StatusOr<std::vector<std::string>> MergeCommand(
    const std::vector<std::string>& image_entrypoint, const std::vector<std::string>& image_cmd,
    const std::optional<std::vector<std::string>>& entry_point,
    const std::optional<std::vector<std::string>>& command);

// The container's environment ("NAME=value"), built as Docker builds it:
// PATH (the default) and HOSTNAME first, replaced in place by the task's or
// image's value; then the task's variables (a later entry for a name wins,
// at the place of the first); then the image's variables the task does not
// set. `hostname` empty leaves HOSTNAME out.
std::vector<std::string> MergeEnvironment(
    const std::vector<std::string>& image_env,
    const std::vector<std::pair<std::string, std::string>>& task_env,
    const std::string& hostname);

// A user string split at its first ':' ("name:group" → {"name", "group"}).
struct UserSpec {
  std::string user;   // empty means root (uid 0)
  std::string group;  // empty means the user's primary group
  friend bool operator==(const UserSpec&, const UserSpec&) = default;
};
UserSpec ParseUserSpec(const std::string& spec);

}  // namespace berth::agent::runtime

#endif  // BERTH_AGENT_RUNTIME_DOCKER_RULES_H_
