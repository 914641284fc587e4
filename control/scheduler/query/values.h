#ifndef BERTH_CONTROL_SCHEDULER_QUERY_VALUES_H_
#define BERTH_CONTROL_SCHEDULER_QUERY_VALUES_H_

// Typed readings of query-language values: whole numbers
// (runningTasksCount), dotted versions (agentVersion), dates (registeredAt)
// and decimal numbers (ordering of attribute values). Pure functions; none
// allocates, so evaluation stays cheap.

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/time/time.h"

namespace berth::scheduler::query {

// A date as written in an expression covers an interval of time whose width
// is its precision: "2018-06-18" is that whole UTC day, and
// "2018-06-18T22:28:28Z" that one second. Half-open: [begin, end).
struct TimeRange {
  absl::Time begin;
  absl::Time end;
};

// Parses the documented forms 2018-06-18T22:28:28+00:00 (any offset
// +hh:mm or -hh:mm), 2018-06-18T22:28:28Z, 2018-06-18T22:28:28 (UTC) and
// 2018-06-18 (the UTC day). std::nullopt for anything else, including
// impossible dates such as 2018-02-30.
std::optional<TimeRange> ParseDate(std::string_view text);

// A whole number: one or more ASCII digits that fit in an int64_t.
std::optional<int64_t> ParseWholeNumber(std::string_view text);

// True for a dotted numeric version: digits, optionally followed by
// ".digits" groups (1, 1.14, 1.14.5). Components may be arbitrarily long.
bool IsVersion(std::string_view text);

// The leading dotted numeric part of an agent's reported version
// ("1.14.5-dev" -> "1.14.5", "1.2." -> "1.2"); "" when it does not start
// with a digit.
std::string_view VersionPrefix(std::string_view text);

// Compares two versions accepted by IsVersion component by component,
// numerically, missing components counting as 0 (so 1.14 == 1.14.0).
// Returns <0, 0 or >0.
int CompareVersions(std::string_view a, std::string_view b);

// True for an optionally signed decimal number: -?digits(.digits)?
bool IsDecimal(std::string_view text);

// Compares two numbers accepted by IsDecimal exactly (no floating point):
// <0, 0 or >0. "-0" equals "0", "1.50" equals "1.5".
int CompareDecimals(std::string_view a, std::string_view b);

}  // namespace berth::scheduler::query

#endif  // BERTH_CONTROL_SCHEDULER_QUERY_VALUES_H_
