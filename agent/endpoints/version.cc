#include "agent/endpoints/version.h"

#ifndef BERTH_AGENT_VERSION
#define BERTH_AGENT_VERSION "0.0.0"
#endif
#ifndef BERTH_GIT_SHORT_HASH
#define BERTH_GIT_SHORT_HASH ""
#endif

namespace berth::agent::endpoints {
namespace {

constexpr std::string_view kHash = BERTH_GIT_SHORT_HASH;

}  // namespace

std::string_view AgentVersion() { return BERTH_AGENT_VERSION; }

std::string_view GitShortHash() { return kHash; }

std::string_view AgentVersionString() {
  static constexpr std::string_view kWithHash =
      "berth-agent - v" BERTH_AGENT_VERSION " (" BERTH_GIT_SHORT_HASH ")";
  static constexpr std::string_view kWithoutHash = "berth-agent - v" BERTH_AGENT_VERSION;
  return kHash.empty() ? kWithoutHash : kWithHash;
}

}  // namespace berth::agent::endpoints
