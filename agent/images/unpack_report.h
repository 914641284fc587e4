#ifndef BERTH_AGENT_IMAGES_UNPACK_REPORT_H_
#define BERTH_AGENT_IMAGES_UNPACK_REPORT_H_

// What berth-unpack tells the agent at the end of one layer: the outcome as an
// absl::Status (code, message and the errno it was made from) and the
// UnpackStats. Written once to berth-unpack's fd 1, read by HelperUnpacker.
//
// The wire format is one line of decimal fields, then the message as it is:
//
//   berth-unpack/1 <code> <errno> <entries> <bytes> <whiteouts> <opaque_dirs>
//     <dropped_xattrs>\n<message>
//
// (one line: a single space between fields, no leading zeros). The message
// runs to the end of the stream and may hold any byte (a tar entry's name is
// in it); it is at most kMaxUnpackMessage bytes. An OK report has code 0,
// errno 0 and no message. Every valid report is the encoding of what it
// parses to, byte for byte.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth::images {

// What one unpack did (UnpackLayer fills it).
struct UnpackStats {
  uint64_t entries = 0;
  uint64_t bytes = 0;           // regular file data written
  uint64_t whiteouts = 0;       // .wh.<name> entries
  uint64_t opaque_dirs = 0;     // .wh..wh..opq entries
  uint64_t dropped_xattrs = 0;  // overlay xattrs refused, or unsupported here
};

struct UnpackReport {
  absl::Status status;
  UnpackStats stats;
};

inline constexpr std::string_view kUnpackReportMagic = "berth-unpack/1";
inline constexpr size_t kMaxUnpackMessage = 4096;
// A report is never longer than this (the header's fields are bounded).
inline constexpr size_t kMaxUnpackReport = 256 + kMaxUnpackMessage;

// The report of `status` and `stats`. A longer message is cut to
// kMaxUnpackMessage bytes, ending in "...".
std::string EncodeUnpackReport(const absl::Status& status, const UnpackStats& stats);

// Parses a report; anything else is InvalidArgument "invalid unpack report:
// <why>". The status keeps the errno (ErrnoOf) the report carries.
absl::StatusOr<UnpackReport> ParseUnpackReport(std::string_view text);

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_UNPACK_REPORT_H_
