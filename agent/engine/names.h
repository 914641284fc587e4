#ifndef BERTH_AGENT_ENGINE_NAMES_H_
#define BERTH_AGENT_ENGINE_NAMES_H_

// The names the engine gives a container, as Amazon's agent names its Docker
// containers: every one drawn from the engine's seeded Rng, so a test with a
// fixed seed sees fixed names.

#include <string>
#include <string_view>

#include "io/rng.h"

namespace berth::agent {

// "DockerId": 64 lowercase hex characters.
std::string NewRuntimeId(io::Rng& rng);

// "DockerName": ecs-<family>-<revision>-<container name>-<20 hex>, the
// pattern of Amazon's agent (task.go: "ecs-" + family + "-" + version + "-" +
// name + "-" + random hex).
std::string NewRuntimeName(std::string_view family, int revision, std::string_view container,
                           io::Rng& rng);

// A random (version 4, RFC 4122 variant) UUID in its 36-character form: the
// container's id in the task metadata endpoint's URI.
std::string NewUuidV4(io::Rng& rng);

}  // namespace berth::agent

#endif  // BERTH_AGENT_ENGINE_NAMES_H_
