#ifndef BERTH_AGENT_SESSION_BACKOFF_H_
#define BERTH_AGENT_SESSION_BACKOFF_H_

// The agent's backoff figures for its conversation with berth-control
// (../shared/reference/ecs-agent.md §4, §8); the mechanism is io/backoff.h.

#include "io/backoff.h"

namespace berth::agent {

using io::Backoff;
using io::BackoffPolicy;

inline constexpr BackoffPolicy kRegistrationBackoff{absl::Seconds(3), absl::Seconds(192), 2.0, 0.2};
inline constexpr BackoffPolicy kPollBackoff{absl::Milliseconds(250), absl::Minutes(2), 1.5, 0.2};
inline constexpr BackoffPolicy kReportBackoff{absl::Seconds(1), absl::Seconds(30), 1.3, 0.2};

}  // namespace berth::agent

#endif  // BERTH_AGENT_SESSION_BACKOFF_H_
