#include "agent/runtime/records.h"

#include <sys/wait.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace berth::agent::runtime {
namespace {

TEST(Records, IdentityRoundTrip) {
  char buf[kMaxRecordSize];
  size_t n = FormatIdentityRecord(buf, ProcessId{4242, 18446744073709551615ull});
  std::string text(buf, n);
  EXPECT_EQ(text, "4242 18446744073709551615\n");
  auto id = ParseIdentityRecord(text);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, (ProcessId{4242, 18446744073709551615ull}));
}

TEST(Records, ExitRoundTrip) {
  char buf[kMaxRecordSize];
  std::string text(buf, FormatExitRecord(buf, CLD_EXITED, 3, 1700000000123456789));
  EXPECT_EQ(text, "exited 3 1700000000123456789\n");
  auto r = ParseExitRecord(text);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->si_code, CLD_EXITED);
  EXPECT_EQ(r->status, 3);
  EXPECT_EQ(r->time, absl::FromUnixNanos(1700000000123456789));

  text.assign(buf, FormatExitRecord(buf, CLD_KILLED, 9, 5));
  EXPECT_EQ(text, "killed 9 5\n");
  r = ParseExitRecord(text);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->si_code, CLD_KILLED);
  EXPECT_EQ(r->status, 9);
  text.assign(buf, FormatExitRecord(buf, CLD_DUMPED, 11, 5));
  EXPECT_EQ(text, "dumped 11 5\n");
  EXPECT_EQ(ParseExitRecord(text)->si_code, CLD_DUMPED);
}

TEST(Records, MalformedRecordsAreDataLoss) {
  for (const char* bad : {"", "exited 3 5", "exited 3\n", "exited x 5\n", "exited 256 5\n",
                          "killed 0 5\n", "killed 65 5\n", "stopped 1 5\n", "exited -1 5\n",
                          "exited 3 5 6\n", "exited  3 5\n"}) {
    EXPECT_EQ(ParseExitRecord(bad).status().code(), absl::StatusCode::kDataLoss) << bad;
  }
  for (const char* bad : {"", "1 2", "0 2\n", "a 2\n", "1\n", "1 2 3\n", "-1 2\n"}) {
    EXPECT_EQ(ParseIdentityRecord(bad).status().code(), absl::StatusCode::kDataLoss) << bad;
  }
}

TEST(Records, StatStartTimeCountsFromTheLastParenthesis) {
  // A command name with spaces and ")" in it must not shift the fields.
  std::string stat =
      "1234 (a) b (c) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 "
      "18446744073709551615\n";
  uint64_t start = 0;
  ASSERT_TRUE(ParseStatStartTime(stat.data(), stat.size(), &start));
  EXPECT_EQ(start, 987654u);
}

TEST(Records, StatStartTimeRejectsShortOrBrokenLines) {
  uint64_t start = 0;
  std::string no_paren = "1234 a S 1 2 3";
  EXPECT_FALSE(ParseStatStartTime(no_paren.data(), no_paren.size(), &start));
  std::string short_line = "1234 (a) S 1 1234 1234 0 -1";
  EXPECT_FALSE(ParseStatStartTime(short_line.data(), short_line.size(), &start));
  std::string bad = "1234 (a) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98x 1";
  EXPECT_FALSE(ParseStatStartTime(bad.data(), bad.size(), &start));
}

TEST(Records, StatStartTimeOfThisProcess) {
  char buf[1024];
  FILE* f = fopen("/proc/self/stat", "r");
  ASSERT_NE(f, nullptr);
  size_t n = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  uint64_t start = 0;
  ASSERT_TRUE(ParseStatStartTime(buf, n, &start));
  EXPECT_GT(start, 0u);
}

}  // namespace
}  // namespace berth::agent::runtime
