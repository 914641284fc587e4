#include "agent/images/unpack_report.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::images {

namespace {

constexpr int kMaxCode = static_cast<int>(absl::StatusCode::kUnauthenticated);
constexpr uint64_t kMaxErrno = 4095;  // the kernel's -MAX_ERRNO
constexpr int kFields = 7;            // code, errno and the five counters

absl::Status Invalid(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid unpack report: ", Absl(why)));
}

// A decimal field: digits only, no sign, no leading zero, fits in 64 bits.
bool ParseField(std::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0')) {
    return false;
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return absl::SimpleAtoi(Absl(text), out);
}

// `status` with the errno payload ErrnoStatus gives `err`, so that ErrnoOf
// answers on this side of the pipe as it did on the other.
absl::Status WithErrno(absl::Status status, int err) {
  ErrnoStatus(err, "").ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { status.SetPayload(url, payload); });
  return status;
}

}  // namespace

std::string EncodeUnpackReport(const absl::Status& status, const UnpackStats& stats) {
  int code = static_cast<int>(status.code());
  if (code < 0 || code > kMaxCode) {
    code = static_cast<int>(absl::StatusCode::kUnknown);
  }
  int err = status.ok() ? 0 : ErrnoOf(status);
  if (err < 0 || static_cast<uint64_t>(err) > kMaxErrno) {
    err = 0;
  }
  std::string_view message = Std(status.message());
  std::string cut;
  if (message.size() > kMaxUnpackMessage) {
    cut = absl::StrCat(Absl(message.substr(0, kMaxUnpackMessage - 3)), "...");
    message = cut;
  }
  return absl::StrCat(Absl(kUnpackReportMagic), " ", code, " ", err, " ", stats.entries, " ",
                      stats.bytes, " ", stats.whiteouts, " ", stats.opaque_dirs, " ",
                      stats.dropped_xattrs, "\n", Absl(message));
}

absl::StatusOr<UnpackReport> ParseUnpackReport(std::string_view text) {
  size_t newline = text.find('\n');
  if (newline == std::string_view::npos) {
    return Invalid("no header line");
  }
  std::string_view header = text.substr(0, newline);
  std::string_view message = text.substr(newline + 1);
  if (header.substr(0, kUnpackReportMagic.size()) != kUnpackReportMagic ||
      header.substr(kUnpackReportMagic.size(), 1) != " ") {
    return Invalid(absl::StrCat("it does not start with \"", Absl(kUnpackReportMagic), " \""));
  }
  header.remove_prefix(kUnpackReportMagic.size() + 1);
  uint64_t fields[kFields];
  for (int i = 0; i < kFields; ++i) {
    size_t end = header.find(' ');
    if ((end == std::string_view::npos) != (i == kFields - 1)) {
      return Invalid(absl::StrCat("the header does not have ", kFields, " fields after the magic"));
    }
    if (!ParseField(header.substr(0, end), &fields[i])) {
      return Invalid(absl::StrCat("field ", i + 1, " is not a decimal number"));
    }
    header.remove_prefix(end == std::string_view::npos ? header.size() : end + 1);
  }
  uint64_t code = fields[0];
  uint64_t err = fields[1];
  if (code > kMaxCode) {
    return Invalid(absl::StrCat("no status code ", code));
  }
  if (err > kMaxErrno) {
    return Invalid(absl::StrCat("no errno ", err));
  }
  if (message.size() > kMaxUnpackMessage) {
    return Invalid(absl::StrCat("the message is longer than ", kMaxUnpackMessage, " bytes"));
  }
  if (code == 0 && (err != 0 || !message.empty())) {
    return Invalid("an OK report with an errno or a message");
  }
  UnpackReport report;
  report.status = absl::Status(static_cast<absl::StatusCode>(code), Absl(message));
  if (err != 0) {
    report.status = WithErrno(std::move(report.status), static_cast<int>(err));
  }
  report.stats = UnpackStats{.entries = fields[2],
                             .bytes = fields[3],
                             .whiteouts = fields[4],
                             .opaque_dirs = fields[5],
                             .dropped_xattrs = fields[6]};
  return report;
}

}  // namespace berth::images
