#include "agent/images/digest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace berth::images {
namespace {

constexpr char kEmpty[] = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbc[] = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(DigestTest, Sha256MatchesKnownVectors) {
  EXPECT_EQ(Sha256Of("").str(), kEmpty);
  EXPECT_EQ(Sha256Of("abc").str(), kAbc);
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.bytes(), 3u);
  EXPECT_EQ(h.Finish().str(), kAbc);
}

TEST(DigestTest, ParseAcceptsOnlyLowercaseSha256) {
  absl::StatusOr<Digest> d = Digest::Parse(kAbc);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->hex(), std::string(kAbc).substr(7));

  std::string upper = kAbc;
  upper[10] = 'A';
  EXPECT_EQ(Digest::Parse(upper).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Digest::Parse("sha256:abc").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Digest::Parse("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Digest::Parse(std::string(kAbc) + "0").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status s = Digest::Parse("sha512:" + std::string(128, 'a')).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("unsupported digest algorithm \"sha512\""), absl::string_view::npos)
      << s;
  // A path trick is not a digest.
  EXPECT_FALSE(Digest::Parse("sha256:../../../../etc/passwd").ok());
}

TEST(DigestTest, VerifyBytesNamesTheMismatch) {
  Digest abc = *Digest::Parse(kAbc);
  EXPECT_TRUE(VerifyBytes("abc", abc, 3, "blob").ok());
  EXPECT_TRUE(VerifyBytes("abc", abc, -1, "blob").ok());
  absl::Status s = VerifyBytes("abd", abc, 3, "blob x");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("failed to verify blob x: digest mismatch: expected sha256:ba78"),
            absl::string_view::npos)
      << s;
  s = VerifyBytes("abc", abc, 4, "blob x");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("size mismatch: expected 4 bytes, got 3"), absl::string_view::npos)
      << s;
}

TEST(DigestTest, VerifyFileReadsFromTheStartWithoutMovingTheOffset) {
  char path[] = "/tmp/berth-digest-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  ASSERT_EQ(write(fd, "abc", 3), 3);
  Digest abc = *Digest::Parse(kAbc);
  EXPECT_TRUE(VerifyFile(fd, abc, 3, "f").ok());
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 3);
  ASSERT_EQ(write(fd, "d", 1), 1);
  EXPECT_EQ(VerifyFile(fd, abc, -1, "f").code(), absl::StatusCode::kDataLoss);
  close(fd);
}

}  // namespace
}  // namespace berth::images
