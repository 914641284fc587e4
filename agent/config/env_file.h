#ifndef BERTH_AGENT_CONFIG_ENV_FILE_H_
#define BERTH_AGENT_CONFIG_ENV_FILE_H_

// /etc/ecs/ecs.config: KEY=VALUE lines, as ecs-init and systemd's
// EnvironmentFile= read them, with the quoting a shell user expects.
//
//   # a comment line (only at the start of a line)
//   ECS_CLUSTER=prod                       value verbatim, trailing blanks cut
//   export ECS_LOGLEVEL=debug              optional "export "
//   ECS_INSTANCE_ATTRIBUTES={"team":"a"}   unquoted: quotes inside are kept
//   ECS_CLUSTER = "prod"   # comment       double quotes: \" \\ \$ \` escape,
//                                          backslash-newline joins lines,
//                                          any other backslash is kept
//   ECS_DATADIR='/srv/ecs data'            single quotes: everything literal
//
// Blank lines are skipped, surrounding blanks are cut, CRLF line ends and a
// UTF-8 byte order mark are accepted, a quoted value may span lines, and a
// later line overrides an earlier one with the same key. Unquoted values have
// no escapes and no trailing comments (ecs-init passes them on verbatim, and
// JSON values are commonly written unquoted). A line that is none of these is
// an error naming its line number; ecs-init silently skips such lines.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::agent::config {

// Variables by name: a parsed file, the process environment, or both layered.
using EnvMap = std::map<std::string, std::string, std::less<>>;

struct EnvFileEntry {
  std::string key = {};
  std::string value = {};
  int line = 0;  // 1-based line the entry starts on

  friend bool operator==(const EnvFileEntry&, const EnvFileEntry&) = default;
};

// Parses the text of an env file, entries in file order. InvalidArgument
// "invalid config line <n>: <what>" for a malformed line.
absl::StatusOr<std::vector<EnvFileEntry>> ParseEnvFile(std::string_view text);

// The entries as a map, later entries winning.
EnvMap ToEnvMap(const std::vector<EnvFileEntry>& entries);

// Reads and parses the file at `path`. A missing file is an empty map when
// `must_exist` is false (the default path) and NotFound when true (a path
// given with --config). Errors name the path.
absl::StatusOr<EnvMap> ReadEnvFile(const std::string& path, bool must_exist);

// The process environment (environ).
EnvMap ProcessEnvironment();

// `file` with `environment` on top: a variable set in the environment wins,
// even when it is set to "" (which then means "use the default").
EnvMap LayerEnvironment(const EnvMap& file, const EnvMap& environment);

}  // namespace berth::agent::config

#endif  // BERTH_AGENT_CONFIG_ENV_FILE_H_
