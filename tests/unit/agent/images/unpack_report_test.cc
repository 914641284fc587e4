#include "agent/images/unpack_report.h"

#include <cerrno>
#include <string>

#include "gtest/gtest.h"
#include "io/status.h"

namespace berth::images {
namespace {

TEST(UnpackReportTest, AnOkReportCarriesTheStats) {
  UnpackStats stats{
      .entries = 12, .bytes = 4096, .whiteouts = 2, .opaque_dirs = 1, .dropped_xattrs = 3};
  std::string text = EncodeUnpackReport(absl::OkStatus(), stats);
  EXPECT_EQ(text, "berth-unpack/1 0 0 12 4096 2 1 3\n");
  absl::StatusOr<UnpackReport> r = ParseUnpackReport(text);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->status.ok());
  EXPECT_EQ(r->stats.entries, 12u);
  EXPECT_EQ(r->stats.bytes, 4096u);
  EXPECT_EQ(r->stats.whiteouts, 2u);
  EXPECT_EQ(r->stats.opaque_dirs, 1u);
  EXPECT_EQ(r->stats.dropped_xattrs, 3u);
}

TEST(UnpackReportTest, CodeMessageAndErrnoSurvive) {
  // Any byte may be in a message: it names the tar entry.
  std::string name("a\nb\0c \"d\"", 10);
  absl::Status refused = absl::InvalidArgumentError("refused layer entry \"" + name + "\"");
  absl::StatusOr<UnpackReport> r = ParseUnpackReport(EncodeUnpackReport(refused, {}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, refused);
  EXPECT_EQ(ErrnoOf(r->status), 0);

  absl::Status missing = ErrnoStatus(ENOENT, "find the hard link target of layer entry \"h\"");
  std::string text = EncodeUnpackReport(missing, {});
  EXPECT_EQ(text.substr(0, text.find('\n')), "berth-unpack/1 5 2 0 0 0 0 0");
  r = ParseUnpackReport(text);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r->status.message(), missing.message());
  EXPECT_EQ(ErrnoOf(r->status), ENOENT);
}

TEST(UnpackReportTest, ALongMessageIsCut) {
  absl::Status s = absl::DataLossError(std::string(3 * kMaxUnpackMessage, 'x'));
  std::string text = EncodeUnpackReport(s, {});
  EXPECT_LE(text.size(), kMaxUnpackReport);
  absl::StatusOr<UnpackReport> r = ParseUnpackReport(text);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(r->status.message().size(), kMaxUnpackMessage);
  EXPECT_EQ(r->status.message().substr(kMaxUnpackMessage - 4), "x...");
}

TEST(UnpackReportTest, RefusesWhatIsNotAReport) {
  for (std::string bad : {
           std::string(""),
           std::string("berth-unpack/1 0 0 0 0 0 0 0"),    // no newline
           std::string("berth-unpack/2 0 0 0 0 0 0 0\n"),  // another version
           std::string("hello\n"),
           std::string("berth-unpack/1 0 0 0 0 0 0\n"),      // six fields
           std::string("berth-unpack/1 0 0 0 0 0 0 0 0\n"),  // eight
           std::string("berth-unpack/1  0 0 0 0 0 0 0\n"),   // two spaces
           std::string("berth-unpack/1 0 0 0 0 0 0 0 \n"),   // trailing space
           std::string("berth-unpack/1 +0 0 0 0 0 0 0\n"),
           std::string("berth-unpack/1 03 0 0 0 0 0 0\n"),    // a leading zero
           std::string("berth-unpack/1 17 0 0 0 0 0 0\n"),    // no such code
           std::string("berth-unpack/1 3 4096 0 0 0 0 0\n"),  // no such errno
           std::string("berth-unpack/1 0 0 18446744073709551616 0 0 0 0\n"),
           std::string("berth-unpack/1 0 2 0 0 0 0 0\n"),  // OK with an errno
           std::string("berth-unpack/1 0 0 0 0 0 0 0\nOK with a message"),
           "berth-unpack/1 2 0 0 0 0 0 0\n" + std::string(kMaxUnpackMessage + 1, 'm'),
       }) {
    SCOPED_TRACE(bad);
    absl::StatusOr<UnpackReport> r = ParseUnpackReport(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().substr(0, 23), "invalid unpack report: ");
  }
  // The largest counter fits.
  absl::StatusOr<UnpackReport> r =
      ParseUnpackReport("berth-unpack/1 0 0 18446744073709551615 0 0 0 0\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stats.entries, UINT64_MAX);
}

}  // namespace
}  // namespace berth::images
