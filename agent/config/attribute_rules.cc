#include "agent/config/attribute_rules.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"
#include "re2/re2.h"

namespace berth::agent::config {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The ECS model's TagKey / TagValue pattern.
const RE2& TagPattern() {
  static const auto* re = new RE2(R"(^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$)");
  return *re;
}

size_t Utf8Length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<uint8_t>(c) & 0xc0) != 0x80;
  }));
}

}  // namespace

bool IsValidAttributeName(std::string_view name) {
  if (name.empty() || name.size() > 128) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return IsAlnum(c) || c == '-' || c == '_' || c == '/' || c == '\\' || c == '.';
  });
}

bool IsValidAttributeValue(std::string_view value) {
  if (value.empty() || value.size() > 128 || value.front() == ' ' || value.back() == ' ') {
    return false;
  }
  return std::all_of(value.begin(), value.end(), [](char c) {
    return IsAlnum(c) || c == '-' || c == '_' || c == '.' || c == '@' || c == '/' ||
           c == '\\' || c == ':' || c == ' ';
  });
}

absl::Status CheckTag(std::string_view key, std::string_view value) {
  size_t key_length = Utf8Length(key);
  if (key_length < 1 || key_length > 128) {
    return absl::InvalidArgumentError(
        absl::StrCat("tag key '", Absl(key), "' has ", key_length,
                     " characters; keys have 1 to 128"));
  }
  if (Utf8Length(value) > 256) {
    return absl::InvalidArgumentError(absl::StrCat("the value of tag '", Absl(key),
                                                   "' is longer than 256 characters"));
  }
  const RE2& pattern = TagPattern();
  if (!RE2::FullMatch(re2::StringPiece(key.data(), key.size()), pattern)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tag key '", Absl(key),
                     "' has characters ECS does not allow: use letters, digits, spaces and "
                     "_ . : / = + - @"));
  }
  if (!RE2::FullMatch(re2::StringPiece(value.data(), value.size()), pattern)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the value of tag '", Absl(key),
                     "' has characters ECS does not allow: use letters, digits, spaces and "
                     "_ . : / = + - @"));
  }
  if (absl::StartsWithIgnoreCase(Absl(key), "aws:") ||
      absl::StartsWithIgnoreCase(Absl(value), "aws:")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tag '", Absl(key), "' uses the prefix 'aws:', which is reserved for AWS use"));
  }
  return absl::OkStatus();
}

}  // namespace berth::agent::config
