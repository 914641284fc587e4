#ifndef BERTH_ECS_JSON_TEXT_H_
#define BERTH_ECS_JSON_TEXT_H_

// JSON text in and out for the ecs/ codecs, without exceptions.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace berth::ecs {

// Parses one JSON document. Malformed text is InvalidArgument naming the
// byte offset and Boost.JSON's reason.
absl::StatusOr<boost::json::value> ParseJson(std::string_view text);

// Compact JSON text (no whitespace), members in insertion order.
std::string ToJsonText(const boost::json::value& value);

}  // namespace berth::ecs

#endif  // BERTH_ECS_JSON_TEXT_H_
