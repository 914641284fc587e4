#ifndef BERTH_IO_RNG_H_
#define BERTH_IO_RNG_H_

#include <cstdint>
#include <random>

namespace berth::io {

// A seeded pseudo-random generator that business code receives instead of
// drawing its own randomness. std::mt19937_64 is fully specified by the
// standard, so the same seed gives the same sequence on every machine; and
// Uniform() below is our own (std::uniform_int_distribution is not), so the
// same seed gives the same placement plan everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : seed_(seed), engine_(seed) {}

  // A seed from the kernel's entropy, for production use.
  static uint64_t RandomSeed();

  uint64_t seed() const { return seed_; }

  // 64 uniformly random bits.
  uint64_t Next() { return engine_(); }

  // A uniform integer in [0, n); n must be > 0. Unbiased (Lemire's method).
  uint64_t Uniform(uint64_t n);

  // A uniform double in [0, 1).
  double UniformDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Full-jitter backoff helper: a uniform value in [lo, hi]; lo <= hi.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Uniform(static_cast<uint64_t>(hi - lo) + 1));
  }

 private:
  uint64_t seed_;
  std::mt19937_64 engine_;
};

}  // namespace berth::io

#endif  // BERTH_IO_RNG_H_
