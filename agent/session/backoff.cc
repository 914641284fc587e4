#include "agent/session/backoff.h"

#include <algorithm>

namespace berth::agent {

absl::Duration Backoff::Next() {
  base_ = base_ == absl::ZeroDuration() ? policy_.initial
                                        : std::min(base_ * policy_.multiplier, policy_.max);
  // Whole microseconds: a clock that counts nanoseconds (FakeTimeSource)
  // never reaches a deadline with a sub-nanosecond part.
  return absl::Trunc(base_ + base_ * (policy_.jitter * rng_.UniformDouble()),
                     absl::Microseconds(1));
}

}  // namespace berth::agent
