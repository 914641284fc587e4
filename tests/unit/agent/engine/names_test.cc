#include "agent/engine/names.h"

#include <set>

#include "gtest/gtest.h"
#include "re2/re2.h"

namespace berth::agent {
namespace {

TEST(NamesTest, RuntimeIdIs64LowercaseHexAndDiffers) {
  io::Rng rng(7);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = NewRuntimeId(rng);
    EXPECT_TRUE(RE2::FullMatch(id, "[0-9a-f]{64}")) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(NamesTest, RuntimeNameFollowsAmazonsDockerNames) {
  io::Rng rng(7);
  std::string name = NewRuntimeName("web", 3, "app", rng);
  EXPECT_TRUE(RE2::FullMatch(name, "ecs-web-3-app-[0-9a-f]{20}")) << name;
}

TEST(NamesTest, MetadataIdIsAUuidV4) {
  io::Rng rng(7);
  for (int i = 0; i < 100; ++i) {
    std::string id = NewUuidV4(rng);
    EXPECT_TRUE(
        RE2::FullMatch(id, "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"))
        << id;
  }
}

TEST(NamesTest, SameSeedSameNames) {
  io::Rng a(99);
  io::Rng b(99);
  EXPECT_EQ(NewRuntimeId(a), NewRuntimeId(b));
  EXPECT_EQ(NewUuidV4(a), NewUuidV4(b));
}

}  // namespace
}  // namespace berth::agent
