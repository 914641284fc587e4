#ifndef BERTH_AGENT_CONFIG_SMALL_FILE_H_
#define BERTH_AGENT_CONFIG_SMALL_FILE_H_

// ReadSmallFile: the whole of a file the agent reads at start-up (ecs.config,
// the AWS credentials and config files, procfs and sysfs facts), refusing
// one larger than kMaxSmallFileBytes.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace berth::agent::config {

inline constexpr size_t kMaxSmallFileBytes = 1 << 20;

// The file's bytes. Errors name the file as `name` ("config file
// /etc/ecs/ecs.config") and keep the errno (ErrnoOf; a missing file is
// NotFound with ENOENT): "failed to open <name>: ...", "failed to read
// <name>: ...", and InvalidArgument "failed to read <name>: larger than
// 1 MiB".
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, std::string_view name);
// The same, naming the file by its path.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);

}  // namespace berth::agent::config

#endif  // BERTH_AGENT_CONFIG_SMALL_FILE_H_
