#include "control/scheduler/query/values.h"

#include <cstddef>
#include <cstdint>

#include "absl/time/civil_time.h"

namespace berth::scheduler::query {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `width` digits at `pos`.
std::optional<int> Digits(std::string_view text, size_t pos, size_t width) {
  if (pos + width > text.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (!IsDigit(text[i])) {
      return std::nullopt;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Strips leading zeros from a run of digits ("007" -> "7", "0" -> "").
std::string_view StripLeadingZeros(std::string_view digits) {
  size_t i = 0;
  while (i < digits.size() && digits[i] == '0') {
    ++i;
  }
  return digits.substr(i);
}

// Compares two runs of digits as unbounded non-negative integers.
int CompareDigitRuns(std::string_view a, std::string_view b) {
  a = StripLeadingZeros(a);
  b = StripLeadingZeros(b);
  if (a.size() != b.size()) {
    return a.size() < b.size() ? -1 : 1;
  }
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Takes the next dot-separated component off `v` ("" when exhausted).
std::string_view NextComponent(std::string_view& v) {
  size_t dot = v.find('.');
  std::string_view component = v.substr(0, dot);
  v = dot == std::string_view::npos ? std::string_view() : v.substr(dot + 1);
  return component;
}

}  // namespace

std::optional<TimeRange> ParseDate(std::string_view text) {
  // YYYY-MM-DD, then optionally THH:MM:SS, then optionally Z or ±HH:MM.
  if (text.size() != 10 && text.size() != 19 && text.size() != 20 &&
      text.size() != 25) {
    return std::nullopt;
  }
  std::optional<int> year = Digits(text, 0, 4);
  std::optional<int> month = Digits(text, 5, 2);
  std::optional<int> day = Digits(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  int hour = 0;
  int minute = 0;
  int second = 0;
  absl::Duration offset = absl::ZeroDuration();
  absl::Duration width = absl::Hours(24);
  if (text.size() > 10) {
    std::optional<int> h = Digits(text, 11, 2);
    std::optional<int> m = Digits(text, 14, 2);
    std::optional<int> s = Digits(text, 17, 2);
    if (text[10] != 'T' || !h || !m || !s || text[13] != ':' || text[16] != ':') {
      return std::nullopt;
    }
    hour = *h;
    minute = *m;
    second = *s;
    width = absl::Seconds(1);
  }
  if (text.size() == 20 && text[19] != 'Z') {
    return std::nullopt;
  }
  if (text.size() == 25) {
    std::optional<int> oh = Digits(text, 20, 2);
    std::optional<int> om = Digits(text, 23, 2);
    char sign = text[19];
    if ((sign != '+' && sign != '-') || !oh || !om || text[22] != ':' || *oh > 23 ||
        *om > 59) {
      return std::nullopt;
    }
    offset = absl::Hours(*oh) + absl::Minutes(*om);
    if (sign == '-') {
      offset = -offset;
    }
  }
  // CivilSecond normalizes out-of-range fields (Feb 30 -> Mar 2); a value
  // that does not survive the round trip was not a real date or time.
  absl::CivilSecond civil(*year, *month, *day, hour, minute, second);
  if (civil.year() != *year || civil.month() != *month || civil.day() != *day ||
      civil.hour() != hour || civil.minute() != minute || civil.second() != second) {
    return std::nullopt;
  }
  absl::Time begin = absl::FromCivil(civil, absl::UTCTimeZone()) - offset;
  return TimeRange{begin, begin + width};
}

std::optional<int64_t> ParseWholeNumber(std::string_view text) {
  if (text.empty() || text.size() > 19) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (char c : text) {
    if (!IsDigit(c)) {
      return std::nullopt;
    }
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  // 19 digits fit in uint64_t; int64_t tops out at 9223372036854775807.
  if (value > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(value);
}

bool IsVersion(std::string_view text) {
  return !text.empty() && VersionPrefix(text).size() == text.size();
}

std::string_view VersionPrefix(std::string_view text) {
  size_t end = 0;
  size_t i = 0;
  while (i < text.size() && IsDigit(text[i])) {
    // A component: digits; the prefix ends after it.
    while (i < text.size() && IsDigit(text[i])) {
      ++i;
    }
    end = i;
    if (i + 1 < text.size() && text[i] == '.' && IsDigit(text[i + 1])) {
      ++i;
    } else {
      break;
    }
  }
  return text.substr(0, end);
}

int CompareVersions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    int c = CompareDigitRuns(NextComponent(a), NextComponent(b));
    if (c != 0) {
      return c;
    }
  }
  return 0;
}

bool IsDecimal(std::string_view text) {
  size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    ++i;
  }
  size_t int_start = i;
  while (i < text.size() && IsDigit(text[i])) {
    ++i;
  }
  if (i == int_start) {
    return false;
  }
  if (i == text.size()) {
    return true;
  }
  if (text[i] != '.') {
    return false;
  }
  size_t frac_start = ++i;
  while (i < text.size() && IsDigit(text[i])) {
    ++i;
  }
  return i > frac_start && i == text.size();
}

int CompareDecimals(std::string_view a, std::string_view b) {
  struct Parts {
    bool negative;
    std::string_view integer;   // without leading zeros
    std::string_view fraction;  // without trailing zeros
  };
  auto split = [](std::string_view s) {
    Parts p{false, {}, {}};
    if (!s.empty() && s[0] == '-') {
      p.negative = true;
      s.remove_prefix(1);
    }
    size_t dot = s.find('.');
    p.integer = StripLeadingZeros(s.substr(0, dot));
    if (dot != std::string_view::npos) {
      p.fraction = s.substr(dot + 1);
      while (!p.fraction.empty() && p.fraction.back() == '0') {
        p.fraction.remove_suffix(1);
      }
    }
    if (p.integer.empty() && p.fraction.empty()) {
      p.negative = false;  // -0 == 0
    }
    return p;
  };
  Parts x = split(a);
  Parts y = split(b);
  if (x.negative != y.negative) {
    return x.negative ? -1 : 1;
  }
  int magnitude = CompareDigitRuns(x.integer, y.integer);
  if (magnitude == 0) {
    int c = x.fraction.compare(y.fraction);
    magnitude = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return x.negative ? -magnitude : magnitude;
}

}  // namespace berth::scheduler::query
