#include "agent/config/go_duration.h"

#include <string>

#include "gtest/gtest.h"

namespace berth::agent::config {
namespace {

absl::Duration Parse(std::string_view text) {
  absl::Duration d = absl::Seconds(-12345);
  EXPECT_TRUE(ParseGoDuration(text, &d)) << text;
  return d;
}

bool Fails(std::string_view text) {
  absl::Duration d = absl::Seconds(7);
  bool ok = ParseGoDuration(text, &d);
  EXPECT_EQ(d, absl::Seconds(7)) << "output changed for " << text;
  return !ok;
}

// The cases of Go's time.ParseDuration tests that matter here.
TEST(GoDurationTest, ParsesWhatGoParses) {
  EXPECT_EQ(Parse("0"), absl::ZeroDuration());
  EXPECT_EQ(Parse("+0"), absl::ZeroDuration());
  EXPECT_EQ(Parse("-0"), absl::ZeroDuration());
  EXPECT_EQ(Parse("5s"), absl::Seconds(5));
  EXPECT_EQ(Parse("30s"), absl::Seconds(30));
  EXPECT_EQ(Parse("1478s"), absl::Seconds(1478));
  EXPECT_EQ(Parse("-5s"), absl::Seconds(-5));
  EXPECT_EQ(Parse("+5s"), absl::Seconds(5));
  EXPECT_EQ(Parse("5.0s"), absl::Seconds(5));
  EXPECT_EQ(Parse("5.6s"), absl::Milliseconds(5600));
  EXPECT_EQ(Parse("5.s"), absl::Seconds(5));
  EXPECT_EQ(Parse(".5s"), absl::Milliseconds(500));
  EXPECT_EQ(Parse("1.004s"), absl::Milliseconds(1004));
  EXPECT_EQ(Parse("100.00100s"), absl::Milliseconds(100001));
  EXPECT_EQ(Parse("10ns"), absl::Nanoseconds(10));
  EXPECT_EQ(Parse("11us"), absl::Microseconds(11));
  EXPECT_EQ(Parse("12\xC2\xB5s"), absl::Microseconds(12));  // U+00B5
  EXPECT_EQ(Parse("12\xCE\xBCs"), absl::Microseconds(12));  // U+03BC
  EXPECT_EQ(Parse("13ms"), absl::Milliseconds(13));
  EXPECT_EQ(Parse("14s"), absl::Seconds(14));
  EXPECT_EQ(Parse("15m"), absl::Minutes(15));
  EXPECT_EQ(Parse("16h"), absl::Hours(16));
  EXPECT_EQ(Parse("3h30m"), absl::Hours(3) + absl::Minutes(30));
  EXPECT_EQ(Parse("1m30s"), absl::Seconds(90));
  EXPECT_EQ(Parse("10.5s4m"), absl::Minutes(4) + absl::Milliseconds(10500));
  EXPECT_EQ(Parse("-2m3.4s"), -(absl::Minutes(2) + absl::Milliseconds(3400)));
  EXPECT_EQ(Parse("1h2m3s4ms5us6ns"), absl::Hours(1) + absl::Minutes(2) + absl::Seconds(3) +
                                          absl::Milliseconds(4) + absl::Microseconds(5) +
                                          absl::Nanoseconds(6));
  EXPECT_EQ(Parse("39h9m14.425s"), absl::Hours(39) + absl::Minutes(9) + absl::Milliseconds(14425));
  EXPECT_EQ(Parse("52763797000ns"), absl::Nanoseconds(52763797000));
  EXPECT_EQ(Parse("0.3333333333333333333h"), absl::Minutes(20));
  EXPECT_EQ(Parse("9007199254740993ns"), absl::Nanoseconds(9007199254740993));
  EXPECT_EQ(Parse("9223372036854775807ns"), absl::Nanoseconds(INT64_MAX));
  EXPECT_EQ(Parse("9223372036854775.807us"), absl::Nanoseconds(INT64_MAX));
  EXPECT_EQ(Parse("-9223372036854775808ns"), absl::Nanoseconds(INT64_MIN));
  EXPECT_EQ(Parse("0.100000000000000000000h"), absl::Minutes(6));
  EXPECT_EQ(Parse("0.830103483285477580700h"), absl::Nanoseconds(2988372539827));
}

TEST(GoDurationTest, RefusesWhatGoRefuses) {
  EXPECT_TRUE(Fails(""));
  EXPECT_TRUE(Fails("3"));
  EXPECT_TRUE(Fails("-"));
  EXPECT_TRUE(Fails("s"));
  EXPECT_TRUE(Fails("."));
  EXPECT_TRUE(Fails("-."));
  EXPECT_TRUE(Fails(".s"));
  EXPECT_TRUE(Fails("+.s"));
  EXPECT_TRUE(Fails("1d"));
  EXPECT_TRUE(Fails("30 s"));
  EXPECT_TRUE(Fails(" 30s"));
  EXPECT_TRUE(Fails("1e3s"));
  EXPECT_TRUE(Fails("3000000h"));
  EXPECT_TRUE(Fails("9223372036854775808ns"));
  EXPECT_TRUE(Fails("9223372036854775.808us"));
  EXPECT_TRUE(Fails("9223372036854ms775us808ns"));
  EXPECT_TRUE(Fails("-9223372036854775809ns"));
  EXPECT_TRUE(Fails("1h-30m"));
}

TEST(GoDurationTest, FormatForMessages) {
  EXPECT_EQ(FormatGoDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(45)), "45s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(8)), "8ms");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(90)), "1h30m");
}

}  // namespace
}  // namespace berth::agent::config
