#ifndef BERTH_AGENT_CONFIG_CONFIG_VALUES_H_
#define BERTH_AGENT_CONFIG_CONFIG_VALUES_H_

// Parsers for the kinds of value the config variables hold. Each returns
// InvalidArgument "invalid <NAME> '<value>': <what is allowed>", so the
// agent's start-up error says which variable to fix and how. Used by
// agent_config.cc; exposed for its tests.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/config/agent_config.h"

namespace berth::agent::config {

absl::Status InvalidValue(std::string_view name, std::string_view value, std::string_view allowed);

// Go's strconv.ParseBool words: 1 t T TRUE true True, 0 f F FALSE false False.
absl::StatusOr<bool> ParseBoolValue(std::string_view name, std::string_view value);
// Decimal digits only, within [min, max].
absl::StatusOr<int64_t> ParseIntValue(std::string_view name, std::string_view value, int64_t min,
                                      int64_t max);
// A Go duration within [min, max].
absl::StatusOr<absl::Duration> ParseDurationValue(std::string_view name, std::string_view value,
                                                  absl::Duration min, absl::Duration max);
// A JSON array of ports 1–65535 ("[22, 2375]"); duplicates are dropped.
absl::StatusOr<std::vector<int>> ParsePortList(std::string_view name, std::string_view value);
// "first-last", 1 <= first <= last <= 65535.
absl::StatusOr<PortRange> ParsePortRange(std::string_view name, std::string_view value);
// A JSON object whose values are all strings.
absl::StatusOr<std::map<std::string, std::string>> ParseStringMap(std::string_view name,
                                                                  std::string_view value);
// A JSON array of strings.
absl::StatusOr<std::vector<std::string>> ParseStringList(std::string_view name,
                                                         std::string_view value);
// "host:port" with a numeric IPv4 host or "[IPv6]", port 0–65535.
absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view name, std::string_view value);
// "http(s)://host[:port][/]" → "http(s)://host[:port]".
absl::StatusOr<std::string> ParseBackendUrl(std::string_view name, std::string_view value);
// A cluster name (1–255 of letters, digits, '-', '_') or a cluster ARN.
absl::Status CheckClusterValue(std::string_view name, std::string_view value);
// An AWS region name: 1–64 of lowercase letters, digits and hyphens.
absl::Status CheckRegionValue(std::string_view name, std::string_view value);
// An absolute path.
absl::Status CheckAbsolutePath(std::string_view name, std::string_view value);

}  // namespace berth::agent::config

#endif  // BERTH_AGENT_CONFIG_CONFIG_VALUES_H_
