#include "io/rng.h"

#include <sys/random.h>

#include "io/log.h"
#include "absl/numeric/int128.h"

namespace berth::io {

uint64_t Rng::RandomSeed() {
  uint64_t seed = 0;
  ssize_t n = getrandom(&seed, sizeof(seed), 0);
  CHECK_EQ(n, static_cast<ssize_t>(sizeof(seed))) << "getrandom failed";
  return seed;
}

uint64_t Rng::Uniform(uint64_t n) {
  CHECK_GT(n, 0u);
  // Lemire, "Fast Random Integer Generation in an Interval" (2019).
  absl::uint128 m = absl::uint128(Next()) * n;
  uint64_t low = absl::Uint128Low64(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = absl::uint128(Next()) * n;
      low = absl::Uint128Low64(m);
    }
  }
  return absl::Uint128High64(m);
}

}  // namespace berth::io
