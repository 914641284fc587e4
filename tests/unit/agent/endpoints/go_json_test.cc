#include "agent/endpoints/go_json.h"

#include "boost/json/object.hpp"
#include "gtest/gtest.h"

namespace berth::agent::endpoints {
namespace {

absl::Time At(int64_t seconds, int64_t nanos) {
  return absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
}

// 2024-05-01T10:00:01Z
constexpr int64_t kSecond = 1714557601;

TEST(GoTimeTest, FormatsAsGoMarshalsTimeInUtc) {
  struct Case {
    absl::Time t;
    const char* want;
  };
  const Case cases[] = {
      {At(kSecond, 0), "2024-05-01T10:00:01Z"},                    // no fraction at all
      {At(kSecond, 100'000'000), "2024-05-01T10:00:01.1Z"},        // trailing zeros trimmed
      {At(kSecond, 120'000'000), "2024-05-01T10:00:01.12Z"},
      {At(kSecond, 123'456'789), "2024-05-01T10:00:01.123456789Z"},
      {At(kSecond, 1'500), "2024-05-01T10:00:01.0000015Z"},        // leading zeros kept
      {At(kSecond, 1), "2024-05-01T10:00:01.000000001Z"},
      {At(0, 0), "1970-01-01T00:00:00Z"},
      {At(-1, 500'000'000), "1969-12-31T23:59:59.5Z"},             // before the epoch
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GoTime(c.t), c.want) << c.want;
  }
}

TEST(GoTimeTest, TruncatesBelowANanosecond) {
  absl::Time t = At(kSecond, 7) + absl::Nanoseconds(1) / 4 * 3;
  EXPECT_EQ(GoTime(t), "2024-05-01T10:00:01.000000007Z");
}

TEST(GoJsonTest, EscapesLikeEncodingJson) {
  boost::json::object o;
  o["a"] = "<b>&\xE2\x80\xA8\xE2\x80\xA9\"\\";
  o["n"] = 5;
  EXPECT_EQ(GoJson(o), R"({"a":"\u003cb\u003e\u0026\u2028\u2029\"\\","n":5})");
}

TEST(GoJsonTest, LeavesOtherMultibyteCharactersAlone) {
  boost::json::object o;
  o["a"] = "\xE2\x80\xA7 \xC3\xA9";  // U+2027 (a neighbour of U+2028), é
  EXPECT_EQ(GoJson(o), "{\"a\":\"\xE2\x80\xA7 \xC3\xA9\"}");
}

}  // namespace
}  // namespace berth::agent::endpoints
