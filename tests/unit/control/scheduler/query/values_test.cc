// Typed values: dates, whole numbers, versions, decimals, and which values
// can be written without quotes.

#include <optional>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "control/scheduler/query/lexer.h"
#include "control/scheduler/query/values.h"
#include "gtest/gtest.h"

namespace berth::scheduler::query {
namespace {

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

TEST(QueryParseDate, DocumentedForms) {
  std::optional<TimeRange> day = ParseDate("2018-06-18");
  ASSERT_TRUE(day);
  EXPECT_EQ(day->begin, Utc(2018, 6, 18));
  EXPECT_EQ(day->end, Utc(2018, 6, 19));
  for (const char* text :
       {"2018-06-18T22:28:28", "2018-06-18T22:28:28Z", "2018-06-18T22:28:28+00:00",
        "2018-06-18T22:28:28-00:00", "2018-06-19T00:28:28+02:00"}) {
    std::optional<TimeRange> r = ParseDate(text);
    ASSERT_TRUE(r) << text;
    EXPECT_EQ(r->begin, Utc(2018, 6, 18, 22, 28, 28)) << text;
    EXPECT_EQ(r->end, r->begin + absl::Seconds(1)) << text;
  }
  EXPECT_EQ(ParseDate("2018-06-18T22:28:28-05:30")->begin, Utc(2018, 6, 19, 3, 58, 28));
  EXPECT_TRUE(ParseDate("2020-02-29"));
  EXPECT_TRUE(ParseDate("2018-12-31T23:59:59Z"));
}

TEST(QueryParseDate, RejectsOtherForms) {
  for (const char* text :
       {"", "2018", "2018-6-18", "18-06-18", "2018/06/18", "2018-06-18T", "2018-06-18 22:28:28",
        "2018-06-18t22:28:28", "2018-06-18T22:28", "2018-06-18T22:28:28z",
        "2018-06-18T22:28:28.123Z", "2018-06-18T22:28:28+0000", "2018-06-18T22:28:28+24:00",
        "2018-06-18T22:28:28+00:60", "2018-06-18T22:28:28*00:00", "2019-02-29", "2018-13-01",
        "2018-00-10", "2018-06-31", "2018-06-18T24:00:00", "2018-06-18T23:60:00",
        "2018-06-18T23:59:60", "2018-06-18Z", "+018-06-18", "2018-06-18T22:28:28Zx"}) {
    EXPECT_FALSE(ParseDate(text)) << text;
  }
}

TEST(QueryParseWholeNumber, DigitsThatFit) {
  EXPECT_EQ(ParseWholeNumber("0"), 0);
  EXPECT_EQ(ParseWholeNumber("007"), 7);
  EXPECT_EQ(ParseWholeNumber("9223372036854775807"), INT64_MAX);
  EXPECT_FALSE(ParseWholeNumber("9223372036854775808"));
  EXPECT_FALSE(ParseWholeNumber("99999999999999999999"));
  for (const char* text : {"", "-1", "+1", "1.0", "1e3", " 1", "0x10"}) {
    EXPECT_FALSE(ParseWholeNumber(text)) << text;
  }
}

TEST(QueryVersions, Shape) {
  for (const char* v : {"1", "1.14", "1.14.5", "0.0.0.1", "123456789012345678901234567890"}) {
    EXPECT_TRUE(IsVersion(v)) << v;
  }
  for (const char* v : {"", ".1", "1.", "1..2", "v1", "1.2-rc1", "1.2.x", " 1"}) {
    EXPECT_FALSE(IsVersion(v)) << v;
  }
  EXPECT_EQ(VersionPrefix("1.14.5-rc1"), "1.14.5");
  EXPECT_EQ(VersionPrefix("1.2."), "1.2");
  EXPECT_EQ(VersionPrefix("1.2.x"), "1.2");
  EXPECT_EQ(VersionPrefix("dev"), "");
  EXPECT_EQ(VersionPrefix(""), "");
}

TEST(QueryVersions, CompareComponentwise) {
  EXPECT_LT(CompareVersions("1.9", "1.14"), 0);
  EXPECT_GT(CompareVersions("1.14.10", "1.14.5"), 0);
  EXPECT_EQ(CompareVersions("1.14", "1.14.0.0"), 0);
  EXPECT_EQ(CompareVersions("01.02", "1.2"), 0);
  EXPECT_LT(CompareVersions("1.14", "1.14.0.1"), 0);
  EXPECT_GT(CompareVersions("2", "1.99.99"), 0);
  EXPECT_GT(CompareVersions("1.100000000000000000000000", "1.99999999999999999999999"), 0);
}

TEST(QueryDecimals, ShapeAndExactComparison) {
  for (const char* d : {"0", "-0", "10", "-3", "1.5", "-0.25", "007.100"}) {
    EXPECT_TRUE(IsDecimal(d)) << d;
  }
  for (const char* d : {"", "-", "1.", ".5", "+1", "1e3", "1.2.3", "--1", "1,5"}) {
    EXPECT_FALSE(IsDecimal(d)) << d;
  }
  EXPECT_GT(CompareDecimals("10", "9"), 0);
  EXPECT_EQ(CompareDecimals("-0", "0.000"), 0);
  EXPECT_EQ(CompareDecimals("1.50", "001.5"), 0);
  EXPECT_GT(CompareDecimals("1.5", "1.10"), 0);
  EXPECT_LT(CompareDecimals("0.05", "0.5"), 0);
  EXPECT_LT(CompareDecimals("-2", "-1.5"), 0);
  EXPECT_GT(CompareDecimals("-1", "-1.01"), 0);
  EXPECT_LT(CompareDecimals("-1", "0"), 0);
  // Beyond double precision: 2^53 + 1 vs 2^53.
  EXPECT_GT(CompareDecimals("9007199254740993", "9007199254740992"), 0);
}

TEST(QueryCanBeBare, MatchesTheLexer) {
  for (const char* v : {"t2.small", "g2.*", "service:production", "a&b", "a|b", "!x", "=~"}) {
    EXPECT_TRUE(CanBeBare(v)) << v;
  }
  for (const char* v : {"", "a b", "a,b", "(a)", "[a]", "a&&b", "a||b", "it's", "\"", "a\tb"}) {
    EXPECT_FALSE(CanBeBare(v)) << v;
  }
}

}  // namespace
}  // namespace berth::scheduler::query
