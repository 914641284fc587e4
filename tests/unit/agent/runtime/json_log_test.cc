#include "agent/runtime/json_log.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::agent::runtime {
namespace {

using ::testing::ElementsAre;

absl::Time At(int64_t unix_nanos) { return absl::FromUnixNanos(unix_nanos); }

std::string Line(std::string_view log, std::string_view stream = "stdout",
                 absl::Time t = At(1763722093123456789)) {
  std::string out;
  AppendJsonLogLine(out, log, stream, t);
  return out;
}

TEST(JsonLog, DockersShape) {
  EXPECT_EQ(Line("hello\n"),
            "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2025-11-21T10:48:13.123456789Z\"}\n");
  EXPECT_EQ(Line("oops\n", "stderr"),
            "{\"log\":\"oops\\n\",\"stream\":\"stderr\",\"time\":\"2025-11-21T10:48:13.123456789Z\"}\n");
}

TEST(JsonLog, TimeTrimsTrailingZerosAsGoDoes) {
  EXPECT_EQ(FormatRfc3339Nano(At(1763722093000000000)), "2025-11-21T10:48:13Z");
  EXPECT_EQ(FormatRfc3339Nano(At(1763722093100000000)), "2025-11-21T10:48:13.1Z");
  EXPECT_EQ(FormatRfc3339Nano(At(1763722093000000010)), "2025-11-21T10:48:13.00000001Z");
}

TEST(JsonLog, EscapesAsDocker) {
  EXPECT_EQ(Line("a\"b\\c\td\re<f>&\x01\x7f\n"),
            "{\"log\":\"a\\\"b\\\\c\\u0009d\\re\\u003cf\\u003e\\u0026\\u0001\x7f\\n\","
            "\"stream\":\"stdout\",\"time\":\"2025-11-21T10:48:13.123456789Z\"}\n");
}

TEST(JsonLog, Utf8KeptInvalidBytesReplacedLineSeparatorsEscaped) {
  std::string out = Line("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xff \xc0\xaf \xed\xa0\x80 \xe2\x80\xa8\n");
  EXPECT_EQ(out.substr(0, out.find(",\"stream\"")),
            "{\"log\":\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \\ufffd \\ufffd\\ufffd "
            "\\ufffd\\ufffd\\ufffd \\u2028\\n\"");
}

TEST(JsonLog, EmptyPartialIsStillALine) {
  EXPECT_EQ(Line("x"), "{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"2025-11-21T10:48:13.123456789Z\"}\n");
}

TEST(LineSplitter, LinesAcrossReads) {
  LineSplitter s;
  std::vector<std::string> e;
  s.Feed("one\ntw", e);
  s.Feed("o\n\nthr", e);
  EXPECT_THAT(e, ElementsAre("one\n", "two\n", "\n"));
  s.Finish(e);
  EXPECT_THAT(e, ElementsAre("one\n", "two\n", "\n", "thr"));
  s.Finish(e);
  EXPECT_EQ(e.size(), 4u);
}

TEST(LineSplitter, LongLinesAreCutAt16KiB) {
  LineSplitter s;
  std::vector<std::string> e;
  std::string big(40000, 'x');
  s.Feed(big.substr(0, 10000), e);
  s.Feed(big.substr(10000) + "\nnext\n", e);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0], std::string(16384, 'x'));
  EXPECT_EQ(e[1], std::string(16384, 'x'));
  EXPECT_EQ(e[2], std::string(40000 - 2 * 16384, 'x') + "\n");
  EXPECT_EQ(e[3], "next\n");
}

TEST(LineSplitter, ExactlyFullBufferThenNewline) {
  LineSplitter s;
  std::vector<std::string> e;
  s.Feed(std::string(16383, 'y') + "\n", e);
  s.Feed(std::string(16384, 'z') + "\n", e);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].size(), 16384u);
  EXPECT_EQ(e[1], std::string(16384, 'z'));
  EXPECT_EQ(e[2], "\n");
}

}  // namespace
}  // namespace berth::agent::runtime
