#ifndef BERTH_IO_BACKOFF_H_
#define BERTH_IO_BACKOFF_H_

// Exponential backoff with Amazon's agent's jitter (ecs-agent retry
// package): the n-th delay is min(initial × multiplier^(n-1), max) plus a
// uniform extra in [0, jitter × that), in whole microseconds (a clock that
// counts nanoseconds, FakeTimeSource, never reaches a deadline with a
// sub-nanosecond part). Randomness is injected.

#include "absl/time/time.h"
#include "io/rng.h"

namespace berth::io {

struct BackoffPolicy {
  absl::Duration initial = absl::Seconds(1);
  absl::Duration max = absl::Seconds(30);
  double multiplier = 2.0;
  double jitter = 0.2;
};

// The delay before retry number `attempt` (1 for the first).
absl::Duration BackoffDelay(const BackoffPolicy& policy, int attempt, Rng& rng);

// The same, counting the attempts itself.
class Backoff {
 public:
  Backoff(BackoffPolicy policy, Rng& rng) : policy_(policy), rng_(rng) {}

  // The next delay; each call grows the base towards max.
  absl::Duration Next() { return BackoffDelay(policy_, ++attempts_, rng_); }
  // Back to `initial`.
  void Reset() { attempts_ = 0; }

 private:
  BackoffPolicy policy_;
  Rng& rng_;
  int attempts_ = 0;
};

}  // namespace berth::io

#endif  // BERTH_IO_BACKOFF_H_
