#include "agent/runtime/docker_rules.h"

#include <string_view>

#include "absl/status/status.h"

namespace berth::agent::runtime {
namespace {

std::string_view NameOf(std::string_view entry) {
  size_t eq = entry.find('=');
  return eq == std::string_view::npos ? entry : entry.substr(0, eq);
}

// Replaces the entry with the same name, or appends.
void ReplaceOrAppend(std::vector<std::string>& env, std::string entry) {
  std::string_view name = NameOf(entry);
  for (std::string& e : env) {
    if (NameOf(e) == name) {
      e = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> MergeCommand(
    const std::vector<std::string>& image_entrypoint, const std::vector<std::string>& image_cmd,
    const std::optional<std::vector<std::string>>& entry_point,
    const std::optional<std::vector<std::string>>& command) {
  std::vector<std::string> argv;
  if (entry_point.has_value()) {
    // Docker: setting the entrypoint clears the image's default command.
    argv = *entry_point;
    if (command.has_value()) {
      argv.insert(argv.end(), command->begin(), command->end());
    }
  } else {
    argv = image_entrypoint;
    const std::vector<std::string>& cmd = command.has_value() ? *command : image_cmd;
    argv.insert(argv.end(), cmd.begin(), cmd.end());
  }
  if (argv.empty()) {
    return absl::InvalidArgumentError("no command specified");
  }
  return argv;
}

std::vector<std::string> MergeEnvironment(
    const std::vector<std::string>& image_env,
    const std::vector<std::pair<std::string, std::string>>& task_env,
    const std::string& hostname) {
  // The container's own list: the task's, then the image's it does not set.
  std::vector<std::string> own;
  for (const auto& [name, value] : task_env) {
    ReplaceOrAppend(own, name + "=" + value);
  }
  size_t task_count = own.size();
  for (const std::string& e : image_env) {
    std::string_view name = NameOf(e);
    bool set_by_task = false;
    for (size_t i = 0; i < task_count; ++i) {
      if (NameOf(own[i]) == name) {
        set_by_task = true;
        break;
      }
    }
    if (!set_by_task) {
      ReplaceOrAppend(own, e);
    }
  }
  // The daemon's defaults, overridden in place.
  std::vector<std::string> env;
  env.push_back(std::string("PATH=") + kDefaultPath);
  if (!hostname.empty()) {
    env.push_back("HOSTNAME=" + hostname);
  }
  for (std::string& e : own) {
    ReplaceOrAppend(env, std::move(e));
  }
  return env;
}

UserSpec ParseUserSpec(const std::string& spec) {
  size_t colon = spec.find(':');
  if (colon == std::string::npos) {
    return UserSpec{spec, ""};
  }
  return UserSpec{spec.substr(0, colon), spec.substr(colon + 1)};
}

}  // namespace berth::agent::runtime
