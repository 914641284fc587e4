#include "ecs/task_size.h"

#include <cctype>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"

namespace berth::ecs {
namespace {

// Parses "<decimal>[ ]*<unit>?" where unit (case-insensitive) is `unit`.
// Returns the amount in base units: the number itself without a unit, the
// number times `per_unit` with it.
absl::StatusOr<int64_t> ParseAmount(std::string_view text, std::string_view unit,
                                    int64_t per_unit, std::string_view what) {
  auto invalid = [&]() {
    return absl::InvalidArgumentError(absl::StrCat("invalid task ", Absl(what), " \"", Absl(text),
                                                   "\": expected a whole number or a number of ",
                                                   Absl(unit)));
  };
  std::string_view s = Std(absl::StripAsciiWhitespace(Absl(text)));
  // Integer and fraction digits, at most one '.', fixed point in 1e-6 units.
  size_t i = 0;
  int64_t whole = 0;
  int64_t micros = 0;
  int64_t scale = 100000;
  bool digits = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    whole = whole * 10 + (s[i] - '0');
    digits = true;
    if (whole > (int64_t{1} << 40)) {
      return invalid();
    }
    ++i;
  }
  bool fraction = false;
  if (i < s.size() && s[i] == '.') {
    fraction = true;
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (scale == 0 && s[i] != '0') {
        return invalid();
      }
      micros += (s[i] - '0') * scale;
      scale /= 10;
      digits = true;
      ++i;
    }
  }
  if (!digits) {
    return invalid();
  }
  while (i < s.size() && s[i] == ' ') {
    ++i;
  }
  std::string_view rest = s.substr(i);
  if (rest.empty()) {
    if (fraction && micros != 0) {
      return invalid();
    }
    return whole;
  }
  if (!absl::EqualsIgnoreCase(Absl(rest), Absl(unit))) {
    return invalid();
  }
  int64_t scaled_micros = micros * per_unit;
  if (scaled_micros % 1000000 != 0) {
    return invalid();
  }
  return whole * per_unit + scaled_micros / 1000000;
}

}  // namespace

absl::StatusOr<int64_t> ParseTaskCpu(std::string_view text) {
  return ParseAmount(text, "vCPU", 1024, "cpu");
}

absl::StatusOr<int64_t> ParseTaskMemory(std::string_view text) {
  return ParseAmount(text, "GB", 1024, "memory");
}

}  // namespace berth::ecs
