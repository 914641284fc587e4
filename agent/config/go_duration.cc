#include "agent/config/go_duration.h"

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace berth::agent::config {
namespace {

constexpr uint64_t kMaxMagnitude = uint64_t{1} << 63;  // |int64 min|

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Nanoseconds per unit, or 0 for an unknown unit.
uint64_t UnitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1000;
  if (unit == "ms") return 1000 * 1000;
  if (unit == "s") return 1000 * 1000 * 1000;
  if (unit == "m") return uint64_t{60} * 1000 * 1000 * 1000;
  if (unit == "h") return uint64_t{3600} * 1000 * 1000 * 1000;
  return 0;
}

}  // namespace

bool ParseGoDuration(std::string_view text, absl::Duration* out) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    *out = absl::ZeroDuration();
    return true;
  }
  if (s.empty()) {
    return false;
  }
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || IsDigit(s[0]))) {
      return false;
    }
    // The integer part.
    uint64_t whole = 0;
    bool have_whole = false;
    while (!s.empty() && IsDigit(s[0])) {
      have_whole = true;
      uint64_t digit = static_cast<uint64_t>(s[0] - '0');
      if (whole > (kMaxMagnitude - digit) / 10) {
        return false;  // overflow
      }
      whole = whole * 10 + digit;
      s.remove_prefix(1);
    }
    // The fraction: digits past what an int64 holds are dropped, as in Go.
    uint64_t fraction = 0;
    double scale = 1;
    bool have_fraction = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      bool overflowed = false;
      while (!s.empty() && IsDigit(s[0])) {
        have_fraction = true;
        uint64_t digit = static_cast<uint64_t>(s[0] - '0');
        if (!overflowed && fraction <= (kMaxMagnitude - 1 - digit) / 10) {
          fraction = fraction * 10 + digit;
          scale *= 10;
        } else {
          overflowed = true;
        }
        s.remove_prefix(1);
      }
    }
    if (!have_whole && !have_fraction) {
      return false;  // "." alone
    }
    size_t unit_end = 0;
    while (unit_end < s.size() && s[unit_end] != '.' && !IsDigit(s[unit_end])) {
      ++unit_end;
    }
    uint64_t unit = UnitNanos(s.substr(0, unit_end));
    if (unit == 0) {
      return false;  // missing or unknown unit
    }
    s.remove_prefix(unit_end);
    if (whole > kMaxMagnitude / unit) {
      return false;
    }
    uint64_t value = whole * unit;
    if (fraction > 0) {
      double extra = static_cast<double>(fraction) * (static_cast<double>(unit) / scale);
      if (extra >= static_cast<double>(kMaxMagnitude)) {
        return false;
      }
      value += static_cast<uint64_t>(extra);
      if (value > kMaxMagnitude) {
        return false;
      }
    }
    if (value > kMaxMagnitude - total) {
      return false;
    }
    total += value;
  }
  if (!negative && total > kMaxMagnitude - 1) {
    return false;
  }
  if (negative) {
    *out = total == kMaxMagnitude ? absl::Nanoseconds(INT64_MIN)
                                  : -absl::Nanoseconds(static_cast<int64_t>(total));
  } else {
    *out = absl::Nanoseconds(static_cast<int64_t>(total));
  }
  return true;
}

std::string FormatGoDuration(absl::Duration d) {
  if (d == absl::ZeroDuration()) {
    return "0s";
  }
  return absl::FormatDuration(d);
}

}  // namespace berth::agent::config
