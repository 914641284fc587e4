#include "control/api/paging.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "control/api/ecs_error.h"
#include "control/auth/crypto.h"
#include "io/absl_compat.h"

namespace berth::control {
namespace {

constexpr char kTokenVersion = 1;
constexpr size_t kChecksumBytes = 8;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Checksum(std::string_view operation, std::string_view key) {
  std::string input(operation);
  input.push_back('\0');
  input.append(key);
  return auth::Sha256(input).substr(0, kChecksumBytes);
}

int AlphabetIndex(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

absl::Status InvalidToken() { return InvalidParameter("The nextToken provided is not valid."); }

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                 static_cast<uint8_t>(bytes[i + 2]);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63],
            kAlphabet[n & 63]};
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63]};
  } else if (rest == 2) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63]};
  }
  return out;
}

bool Base64UrlDecode(std::string_view text, std::string* out) {
  if (text.size() % 4 == 1) {
    return false;
  }
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = AlphabetIndex(c);
    if (v < 0) {
      return false;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, so every token has one spelling.
  return (acc & ((1u << bits) - 1)) == 0;
}

std::string EncodeNextToken(std::string_view operation, std::string_view last_key) {
  std::string raw;
  raw.push_back(kTokenVersion);
  raw.append(last_key);
  raw.append(Checksum(operation, last_key));
  return Base64UrlEncode(raw);
}

absl::StatusOr<std::string> DecodeNextToken(std::string_view operation, std::string_view token) {
  std::string raw;
  if (!Base64UrlDecode(token, &raw) || raw.size() < 1 + kChecksumBytes ||
      raw[0] != kTokenVersion) {
    return InvalidToken();
  }
  std::string key = raw.substr(1, raw.size() - 1 - kChecksumBytes);
  std::string_view checksum = std::string_view(raw).substr(raw.size() - kChecksumBytes);
  if (!auth::ConstantTimeEquals(checksum, Checksum(operation, key))) {
    return InvalidToken();
  }
  return key;
}

absl::StatusOr<PageRequest> ReadPageRequest(const Args& args, std::string_view operation,
                                            PageLimits limits) {
  PageRequest page;
  page.max_results = limits.default_size;
  std::optional<int32_t> max_results;
  if (absl::Status s = args.Get("maxResults", &max_results); !s.ok()) {
    return s;
  }
  if (max_results.has_value()) {
    if (*max_results < limits.min || *max_results > limits.max) {
      return InvalidParameter(absl::StrCat("maxResults must be between ", limits.min, " and ",
                                           limits.max, "."));
    }
    page.max_results = *max_results;
  }
  std::optional<std::string> token;
  if (absl::Status s = args.Get("nextToken", &token); !s.ok()) {
    return s;
  }
  if (token.has_value() && !token->empty()) {
    absl::StatusOr<std::string> after = DecodeNextToken(operation, *token);
    if (!after.ok()) {
      return after.status();
    }
    page.after = *std::move(after);
    page.has_token = true;
  }
  return page;
}

}  // namespace berth::control
