#include "io/backoff.h"

#include "gtest/gtest.h"

namespace berth::io {
namespace {

TEST(BackoffDelayTest, AttemptNIsTheNthDelayOfABackoff) {
  const BackoffPolicy policy{absl::Milliseconds(250), absl::Minutes(2), 1.5, 0.2};
  Rng a(3);
  Rng b(3);
  Backoff backoff(policy, a);
  for (int attempt = 1; attempt <= 30; ++attempt) {
    EXPECT_EQ(backoff.Next(), BackoffDelay(policy, attempt, b)) << attempt;
  }
}

TEST(BackoffDelayTest, GrowsToTheMaximumWithJitterInWholeMicroseconds) {
  const BackoffPolicy policy{absl::Seconds(1), absl::Seconds(10), 2.0, 0.2};
  Rng rng(11);
  const absl::Duration bases[] = {absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                                  absl::Seconds(8), absl::Seconds(10), absl::Seconds(10)};
  for (int attempt = 1; attempt <= 6; ++attempt) {
    absl::Duration d = BackoffDelay(policy, attempt, rng);
    EXPECT_GE(d, bases[attempt - 1]) << attempt;
    EXPECT_LT(d, bases[attempt - 1] * 1.2) << attempt;
    EXPECT_EQ(d, absl::Trunc(d, absl::Microseconds(1))) << attempt;
  }
  // Far past the cap: still the cap (no overflow).
  absl::Duration far = BackoffDelay(policy, 1'000'000, rng);
  EXPECT_GE(far, absl::Seconds(10));
  EXPECT_LT(far, absl::Seconds(12));
}

}  // namespace
}  // namespace berth::io
