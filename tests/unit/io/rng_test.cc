#include "io/rng.h"

#include <vector>

#include "gtest/gtest.h"

namespace berth::io {
namespace {

TEST(RngTest, SameSeedSameSequence) {
  Rng a(42), b(42), c(43);
  std::vector<uint64_t> sa, sb, sc;
  for (int i = 0; i < 100; ++i) {
    sa.push_back(a.Uniform(1000));
    sb.push_back(b.Uniform(1000));
    sc.push_back(c.Uniform(1000));
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
}

// The sequence is part of the contract (same seed → same placement plan on
// every machine); pin the first values of a seed.
TEST(RngTest, SequenceIsStableAcrossBuilds) {
  Rng r(1);
  EXPECT_EQ(r.Next(), 2469588189546311528ull);
  Rng u(7);
  std::vector<uint64_t> got;
  for (int i = 0; i < 5; ++i) {
    got.push_back(u.Uniform(10));
  }
  EXPECT_EQ(got, (std::vector<uint64_t>{7, 9, 1, 8, 1}));
}

TEST(RngTest, UniformStaysInRangeAndCoversIt) {
  Rng r(5);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    uint64_t v = r.Uniform(7);
    ASSERT_LT(v, 7u);
    ++counts[v];
  }
  for (int c : counts) {
    EXPECT_NEAR(c, 10000, 600);
  }
  EXPECT_EQ(r.Uniform(1), 0u);
}

TEST(RngTest, BetweenIsInclusive) {
  Rng r(9);
  bool lo = false, hi = false;
  for (int i = 0; i < 1000; ++i) {
    int64_t v = r.Between(-2, 2);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 2);
    lo |= v == -2;
    hi |= v == 2;
  }
  EXPECT_TRUE(lo && hi);
}

TEST(RngTest, UniformDoubleInUnitInterval) {
  Rng r(3);
  for (int i = 0; i < 10000; ++i) {
    double d = r.UniformDouble();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
  }
}

}  // namespace
}  // namespace berth::io
