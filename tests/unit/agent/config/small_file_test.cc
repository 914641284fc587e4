#include "agent/config/small_file.h"

#include <cerrno>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/status.h"
#include "tests/testing/temp_dir.h"

namespace berth::agent::config {
namespace {

using ::testing::StartsWith;

TEST(SmallFileTest, ReadsEveryByte) {
  test::TempDir dir;
  std::string text(3 * 8192 + 17, 'a');  // more than one read
  text[0] = '\0';
  text.back() = '\n';
  std::string path = dir.WriteFile("f", text);
  absl::StatusOr<std::string> read = ReadSmallFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, text);
}

TEST(SmallFileTest, ExactlyTheLimitIsRead) {
  test::TempDir dir;
  std::string path = dir.WriteFile("f", std::string(kMaxSmallFileBytes, 'x'));
  absl::StatusOr<std::string> read = ReadSmallFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->size(), kMaxSmallFileBytes);
}

TEST(SmallFileTest, LargerThanTheLimitIsRefusedNamingTheFile) {
  test::TempDir dir;
  std::string path = dir.WriteFile("f", std::string(kMaxSmallFileBytes + 1, 'x'));
  absl::StatusOr<std::string> read = ReadSmallFile(path, "config file " + path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(read.status().message(), "failed to read config file " + path + ": larger than 1 MiB");
}

TEST(SmallFileTest, MissingFileIsNotFoundKeepingTheErrno) {
  test::TempDir dir;
  std::string path = dir.path() + "/missing";
  absl::StatusOr<std::string> read = ReadSmallFile(path, "config file " + path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrnoOf(read.status()), ENOENT);
  EXPECT_THAT(std::string(read.status().message()),
              StartsWith("failed to open config file " + path + ": "));
}

TEST(SmallFileTest, ADirectoryFailsToReadKeepingTheErrno) {
  test::TempDir dir;
  absl::StatusOr<std::string> read = ReadSmallFile(dir.path());
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(ErrnoOf(read.status()), EISDIR);
  EXPECT_THAT(std::string(read.status().message()),
              StartsWith("failed to read " + dir.path() + ": "));
}

}  // namespace
}  // namespace berth::agent::config
