#include "io/backoff.h"

#include <algorithm>

namespace berth::io {

absl::Duration BackoffDelay(const BackoffPolicy& policy, int attempt, Rng& rng) {
  absl::Duration base = policy.initial;
  for (int i = 1; i < attempt && base < policy.max; ++i) {
    base = std::min(base * policy.multiplier, policy.max);
  }
  base = std::min(base, policy.max);
  return absl::Trunc(base + base * (policy.jitter * rng.UniformDouble()), absl::Microseconds(1));
}

}  // namespace berth::io
