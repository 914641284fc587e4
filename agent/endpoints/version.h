#ifndef BERTH_AGENT_ENDPOINTS_VERSION_H_
#define BERTH_AGENT_ENDPOINTS_VERSION_H_

// The agent's version as /v1/metadata shows it, in the Amazon agent's shape
// ("Amazon ECS Agent - v1.105.1 (8dfceca6)"):
//   "berth-agent - v<project version> (<8-hex git hash>)"
// e.g. "berth-agent - v0.1.0 (d41996a0)". The version is CMake's
// PROJECT_VERSION; the hash is HEAD's when CMake configured the build (the
// parenthesis is left out when the tree was not a git checkout).

#include <string_view>

namespace berth::agent::endpoints {

std::string_view AgentVersion();   // "0.1.0"
std::string_view GitShortHash();   // "d41996a0", or "" when unknown
std::string_view AgentVersionString();

}  // namespace berth::agent::endpoints

#endif  // BERTH_AGENT_ENDPOINTS_VERSION_H_
