#ifndef BERTH_AGENT_SESSION_BACKOFF_H_
#define BERTH_AGENT_SESSION_BACKOFF_H_

// Exponential backoff with Amazon's agent's jitter (ecs-agent retry
// package): the n-th delay is min(initial × multiplier^(n-1), max) plus a
// uniform extra in [0, jitter × that). Randomness is injected.

#include "absl/time/time.h"
#include "io/rng.h"

namespace berth::agent {

struct BackoffPolicy {
  absl::Duration initial = absl::Seconds(1);
  absl::Duration max = absl::Seconds(30);
  double multiplier = 2.0;
  double jitter = 0.2;
};

// The agent's figures (../shared/reference/ecs-agent.md §4, §8).
inline constexpr BackoffPolicy kRegistrationBackoff{absl::Seconds(3), absl::Seconds(192), 2.0, 0.2};
inline constexpr BackoffPolicy kPollBackoff{absl::Milliseconds(250), absl::Minutes(2), 1.5, 0.2};
inline constexpr BackoffPolicy kReportBackoff{absl::Seconds(1), absl::Seconds(30), 1.3, 0.2};

class Backoff {
 public:
  Backoff(BackoffPolicy policy, io::Rng& rng) : policy_(policy), rng_(rng) {}

  // The next delay; each call grows the base towards max.
  absl::Duration Next();
  // Back to `initial`.
  void Reset() { base_ = absl::ZeroDuration(); }

 private:
  BackoffPolicy policy_;
  io::Rng& rng_;
  absl::Duration base_ = absl::ZeroDuration();
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_SESSION_BACKOFF_H_
