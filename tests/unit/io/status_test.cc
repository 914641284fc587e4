#include "io/status.h"

#include <cerrno>

#include "gtest/gtest.h"
#include "io/log.h"

namespace berth {
namespace {

TEST(StatusTest, ErrnoStatusKeepsTheErrnoAndWordsTheMessage) {
  absl::Status s = ErrnoStatus(EBUSY, "write cgroup.procs");
  EXPECT_EQ(ErrnoOf(s), EBUSY);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "failed to write cgroup.procs: Device or resource busy [EBUSY]");
  EXPECT_EQ(ErrnoStatus(ENOENT, "open x").code(), absl::StatusCode::kNotFound);
}

TEST(StatusTest, ErrnoOfOtherStatusesIsZero) {
  EXPECT_EQ(ErrnoOf(absl::OkStatus()), 0);
  EXPECT_EQ(ErrnoOf(absl::InvalidArgumentError("x")), 0);
}

absl::StatusOr<int> Half(int x) {
  if (x % 2) {
    return absl::InvalidArgumentError("odd");
  }
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

absl::Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST(StatusTest, Macros) {
  EXPECT_EQ(*Quarter(12), 3);
  EXPECT_EQ(Quarter(6).status().message(), "odd");
  EXPECT_TRUE(CheckEven(2).ok());
  EXPECT_FALSE(CheckEven(3).ok());
}

TEST(LogTest, ParsesEcsLogLevels) {
  log::Severity s;
  ASSERT_TRUE(log::ParseSeverity("WARN", &s));
  EXPECT_EQ(s, log::Severity::kWarning);
  ASSERT_TRUE(log::ParseSeverity("crit", &s));
  EXPECT_EQ(s, log::Severity::kFatal);
  EXPECT_FALSE(log::ParseSeverity("loud", &s));
}

TEST(LogDeathTest, CheckFailureAbortsWithTheCondition) {
  EXPECT_DEATH({ CHECK(1 + 1 == 3) << "math"; }, "Check failed: 1 \\+ 1 == 3 math");
}

}  // namespace
}  // namespace berth
