#ifndef BERTH_AGENT_CONFIG_ATTRIBUTE_RULES_H_
#define BERTH_AGENT_CONFIG_ATTRIBUTE_RULES_H_

// What ECS (and berth-control, control/api/ops/container_instance_common.cc
// and validate.cc) accepts as attribute names and values and as tags, checked
// at start-up so a registration is never refused for them.

#include <string_view>

#include "absl/status/status.h"

namespace berth::agent::config {

// 1–128 of letters, digits, hyphens, underscores, slashes, backslashes and
// periods.
bool IsValidAttributeName(std::string_view name);
// 1–128 of letters, digits, hyphens, underscores, periods, at signs, slashes,
// backslashes, colons and spaces; no leading or trailing space.
bool IsValidAttributeValue(std::string_view value);

inline constexpr std::string_view kAttributeNameRule =
    "1 to 128 letters, digits, hyphens, underscores, slashes, backslashes or periods";
inline constexpr std::string_view kAttributeValueRule =
    "1 to 128 letters, digits, hyphens, underscores, periods, at signs, slashes, "
    "backslashes, colons or spaces, with no leading or trailing space";

// A tag as ECS accepts it: key of 1–128 and value of 0–256 characters, both
// of letters, digits, spaces and _ . : / = + - @ (Unicode letters and digits
// too), neither starting with "aws:" in any case. InvalidArgument saying which
// rule failed.
absl::Status CheckTag(std::string_view key, std::string_view value);

}  // namespace berth::agent::config

#endif  // BERTH_AGENT_CONFIG_ATTRIBUTE_RULES_H_
