// Fuzzes ParseUnpackReport, the agent's reader of what berth-unpack writes
// on its fd 1 (agent/images/unpack_report.h), with every input:
// - it fails with InvalidArgument "invalid unpack report: ...", or parses
//   into a report whose encoding is the input, byte for byte;
// - the input used as a message (and its first bytes as a code and an
//   errno) survives EncodeUnpackReport → ParseUnpackReport, cut to
//   kMaxUnpackMessage bytes.
// The seeds in corpus/ are reports berth-unpack writes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "agent/images/unpack_report.h"
#include "io/log.h"
#include "io/status.h"

namespace {

using berth::images::EncodeUnpackReport;
using berth::images::kMaxUnpackMessage;
using berth::images::ParseUnpackReport;
using berth::images::UnpackReport;
using berth::images::UnpackStats;

void CheckParse(std::string_view text) {
  absl::StatusOr<UnpackReport> r = ParseUnpackReport(text);
  if (!r.ok()) {
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument) << r.status();
    CHECK(r.status().message().substr(0, 23) == "invalid unpack report: ") << r.status();
    return;
  }
  CHECK(EncodeUnpackReport(r->status, r->stats) == text) << r->status;
}

void CheckRoundTrip(std::string_view data) {
  if (data.size() < 2) {
    return;
  }
  int code = static_cast<unsigned char>(data[0]) % 17;
  int err = static_cast<unsigned char>(data[1]);
  std::string_view message = data.substr(2);
  absl::Status status;
  if (code != 0) {
    status = err != 0 ? berth::ErrnoStatus(err, std::string(message))
                      : absl::Status(static_cast<absl::StatusCode>(code), std::string(message));
  }
  UnpackStats stats{.entries = data.size(),
                    .bytes = ~uint64_t{0},
                    .whiteouts = 0,
                    .opaque_dirs = static_cast<uint64_t>(code),
                    .dropped_xattrs = 7};
  absl::StatusOr<UnpackReport> r = ParseUnpackReport(EncodeUnpackReport(status, stats));
  CHECK(r.ok()) << r.status();
  CHECK(r->status.code() == status.code()) << r->status;
  CHECK(berth::ErrnoOf(r->status) == berth::ErrnoOf(status)) << r->status;
  if (status.message().size() <= kMaxUnpackMessage) {
    CHECK(r->status.message() == status.message()) << r->status;
  } else {
    CHECK(r->status.message().size() == kMaxUnpackMessage) << r->status;
    CHECK(status.message().substr(0, kMaxUnpackMessage - 3) ==
          r->status.message().substr(0, kMaxUnpackMessage - 3));
  }
  CHECK(r->stats.entries == stats.entries && r->stats.bytes == stats.bytes &&
        r->stats.whiteouts == stats.whiteouts && r->stats.opaque_dirs == stats.opaque_dirs &&
        r->stats.dropped_xattrs == stats.dropped_xattrs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckParse(text);
  CheckRoundTrip(text);
  return 0;
}
