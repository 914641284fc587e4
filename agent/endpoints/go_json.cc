#include "agent/endpoints/go_json.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "boost/json/serialize.hpp"

namespace berth::agent::endpoints {

std::string GoTime(absl::Time t) {
  // Floor to whole nanoseconds, then split into seconds and the fraction.
  int64_t nanos = absl::ToUnixNanos(t);
  int64_t seconds = nanos / 1'000'000'000;
  int64_t fraction = nanos % 1'000'000'000;
  if (fraction < 0) {
    fraction += 1'000'000'000;
    --seconds;
  }
  std::string out =
      absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
  if (fraction != 0) {
    std::string digits = absl::StrFormat("%09d", fraction);
    while (digits.back() == '0') {
      digits.pop_back();
    }
    absl::StrAppend(&out, ".", digits);
  }
  out += 'Z';
  return out;
}

std::string GoJson(const boost::json::value& value) {
  std::string raw = boost::json::serialize(value);
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < raw.size() && raw[i + 1] == '\x80' &&
               (raw[i + 2] == '\xA8' || raw[i + 2] == '\xA9')) {
      out += raw[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace berth::agent::endpoints
