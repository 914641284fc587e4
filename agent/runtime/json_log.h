#ifndef BERTH_AGENT_RUNTIME_JSON_LOG_H_
#define BERTH_AGENT_RUNTIME_JSON_LOG_H_

// Docker's json-file log format, as pure functions: one JSON object per
// line,
//   {"log":"hello\n","stream":"stdout","time":"2026-11-21T10:48:13.123456789Z"}
// "log" is the line with its newline (none for a partial line: a piece of a
// line longer than 16 KiB, or what was left unterminated at EOF), escaped as
// Docker escapes it (\" \\ \n \r, other control characters and < > & as
// \u00XX, U+2028/U+2029 as \u2028/\u2029, invalid UTF-8 as \ufffd); "time"
// is RFC 3339 in UTC with nanoseconds, trailing zeros trimmed (Go's
// time.RFC3339Nano).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace berth::agent::runtime {

// Docker's copier buffer: a line longer than this is logged in pieces.
inline constexpr size_t kMaxLogLine = 16 * 1024;

// Appends one json-file line (with its trailing '\n') to `out`.
void AppendJsonLogLine(std::string& out, std::string_view log, std::string_view stream,
                       absl::Time time);

// RFC 3339 with nanoseconds, UTC, trailing zeros trimmed.
std::string FormatRfc3339Nano(absl::Time t);

// Cuts a byte stream into log entries: each complete line (with its '\n'),
// and a piece of kMaxLogLine bytes whenever that many arrive without one.
class LineSplitter {
 public:
  // Appends the entries `data` completes to `entries`.
  void Feed(std::string_view data, std::vector<std::string>& entries);
  // At EOF: what is left (a partial line), or nothing.
  void Finish(std::vector<std::string>& entries);

 private:
  std::string pending_;
};

}  // namespace berth::agent::runtime

#endif  // BERTH_AGENT_RUNTIME_JSON_LOG_H_
