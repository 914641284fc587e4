#include "agent/config/config_values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/config/go_duration.h"
#include "boost/json/value.hpp"
#include "ecs/arn.h"
#include "ecs/json_text.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::agent::config {
namespace {

// Values are quoted in messages; very long ones (JSON) are cut.
std::string Excerpt(std::string_view value) {
  constexpr size_t kMax = 200;
  if (value.size() <= kMax) {
    return std::string(value);
  }
  return absl::StrCat(Absl(value.substr(0, kMax)), "...");
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char c) { return c >= '0' && c <= '9'; });
}

// Digits only, at most 18 of them (no overflow).
bool ParseDigits(std::string_view text, int64_t* out) {
  size_t start = text.find_first_not_of('0');
  if (!AllDigits(text) || (start != std::string_view::npos && text.size() - start > 18)) {
    return false;
  }
  int64_t v = 0;
  for (char c : text) {
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// `value` as JSON of the `kind` that `allowed` describes.
absl::StatusOr<boost::json::value> Json(std::string_view name, std::string_view value,
                                        std::string_view allowed, boost::json::kind kind) {
  absl::StatusOr<boost::json::value> json = ecs::ParseJson(value);
  if (!json.ok()) {
    return InvalidValue(name, value,
                        absl::StrCat(Absl(allowed), " (", json.status().message(), ")"));
  }
  if (json->kind() != kind) {
    return InvalidValue(name, value, allowed);
  }
  return json;
}

}  // namespace

absl::Status InvalidValue(std::string_view name, std::string_view value,
                          std::string_view allowed) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", Absl(name), " '", Excerpt(value), "': ", Absl(allowed)));
}

absl::StatusOr<bool> ParseBoolValue(std::string_view name, std::string_view value) {
  if (value == "1" || value == "t" || value == "T" || value == "TRUE" || value == "true" ||
      value == "True") {
    return true;
  }
  if (value == "0" || value == "f" || value == "F" || value == "FALSE" || value == "false" ||
      value == "False") {
    return false;
  }
  return InvalidValue(name, value, "expected true or false (or 1, t, TRUE, 0, f, FALSE)");
}

absl::StatusOr<int64_t> ParseIntValue(std::string_view name, std::string_view value, int64_t min,
                                      int64_t max) {
  int64_t v = 0;
  if (!ParseDigits(value, &v) || v < min || v > max) {
    return InvalidValue(name, value, absl::StrCat("expected an integer from ", min, " to ", max));
  }
  return v;
}

absl::StatusOr<absl::Duration> ParseDurationValue(std::string_view name, std::string_view value,
                                                  absl::Duration min, absl::Duration max) {
  std::string allowed;
  if (max == absl::InfiniteDuration()) {
    allowed = absl::StrCat("expected a duration of at least ", FormatGoDuration(min));
  } else {
    allowed = absl::StrCat("expected a duration from ", FormatGoDuration(min), " to ",
                           FormatGoDuration(max));
  }
  absl::StrAppend(&allowed, ", written as Go does (30s, 1m30s, 3h, 500ms)");
  absl::Duration d;
  if (!ParseGoDuration(value, &d) || d < min || d > max) {
    return InvalidValue(name, value, allowed);
  }
  return d;
}

absl::StatusOr<std::vector<int>> ParsePortList(std::string_view name, std::string_view value) {
  constexpr std::string_view kAllowed = "expected a JSON array of ports from 1 to 65535, like [22, 2375]";
  ASSIGN_OR_RETURN(boost::json::value json, Json(name, value, kAllowed, boost::json::kind::array));
  std::vector<int> ports;
  for (const boost::json::value& v : json.get_array()) {
    int64_t port = 0;
    if (v.is_int64()) {
      port = v.get_int64();
    } else if (v.is_uint64()) {
      port = 0;  // beyond int64: out of range
    } else {
      return InvalidValue(name, value, kAllowed);
    }
    if (port < 1 || port > 65535) {
      return InvalidValue(name, value, kAllowed);
    }
    if (std::find(ports.begin(), ports.end(), static_cast<int>(port)) == ports.end()) {
      ports.push_back(static_cast<int>(port));
    }
  }
  return ports;
}

absl::StatusOr<PortRange> ParsePortRange(std::string_view name, std::string_view value) {
  constexpr std::string_view kAllowed =
      "expected FIRST-LAST with 1 <= FIRST <= LAST <= 65535, like 32768-60999";
  size_t dash = value.find('-');
  int64_t first = 0, last = 0;
  if (dash == std::string_view::npos || !ParseDigits(value.substr(0, dash), &first) ||
      !ParseDigits(value.substr(dash + 1), &last) || first < 1 || last > 65535 || first > last) {
    return InvalidValue(name, value, kAllowed);
  }
  return PortRange{static_cast<int>(first), static_cast<int>(last)};
}

absl::StatusOr<std::map<std::string, std::string>> ParseStringMap(std::string_view name,
                                                                  std::string_view value) {
  constexpr std::string_view kAllowed =
      "expected a JSON object of strings, like {\"name\": \"value\"}";
  ASSIGN_OR_RETURN(boost::json::value json,
                   Json(name, value, kAllowed, boost::json::kind::object));
  std::map<std::string, std::string> out;
  for (const auto& member : json.get_object()) {
    const boost::json::string* s = member.value().if_string();
    if (s == nullptr) {
      return InvalidValue(name, value,
                          absl::StrCat(Absl(kAllowed), "; the value of '", std::string(member.key()),
                                       "' is not a string"));
    }
    out[std::string(member.key())] = std::string(*s);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ParseStringList(std::string_view name,
                                                         std::string_view value) {
  constexpr std::string_view kAllowed = "expected a JSON array of strings, like [\"a\", \"b\"]";
  ASSIGN_OR_RETURN(boost::json::value json, Json(name, value, kAllowed, boost::json::kind::array));
  std::vector<std::string> out;
  for (const boost::json::value& v : json.get_array()) {
    const boost::json::string* s = v.if_string();
    if (s == nullptr) {
      return InvalidValue(name, value, kAllowed);
    }
    out.emplace_back(*s);
  }
  return out;
}

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view name, std::string_view value) {
  constexpr std::string_view kAllowed =
      "expected ADDRESS:PORT with a numeric IPv4 address or a bracketed IPv6 one and a port "
      "from 0 to 65535 (0: any free port, which the agent logs), like 127.0.0.1:51678 or "
      "[::1]:51678";
  size_t colon = value.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidValue(name, value, kAllowed);
  }
  std::string_view host = value.substr(0, colon);
  int64_t port = 0;
  if (!ParseDigits(value.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return InvalidValue(name, value, kAllowed);
  }
  unsigned char buffer[16];
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    std::string inner(host.substr(1, host.size() - 2));
    if (inner.find('\0') != std::string::npos || inet_pton(AF_INET6, inner.c_str(), buffer) != 1) {
      return InvalidValue(name, value, kAllowed);
    }
    return ListenAddress{inner, static_cast<int>(port)};
  }
  std::string v4(host);
  if (v4.find('\0') != std::string::npos || inet_pton(AF_INET, v4.c_str(), buffer) != 1) {
    return InvalidValue(name, value, kAllowed);
  }
  return ListenAddress{v4, static_cast<int>(port)};
}

absl::StatusOr<std::string> ParseBackendUrl(std::string_view name, std::string_view value) {
  constexpr std::string_view kAllowed =
      "expected berth-control's URL, http://HOST[:PORT] or https://HOST[:PORT], like "
      "http://127.0.0.1:8080";
  std::string_view rest = value;
  std::string scheme;
  size_t sep = rest.find("://");
  if (sep == std::string_view::npos) {
    return InvalidValue(name, value, kAllowed);
  }
  scheme = absl::AsciiStrToLower(Absl(rest.substr(0, sep)));
  if (scheme != "http" && scheme != "https") {
    return InvalidValue(name, value, kAllowed);
  }
  rest.remove_prefix(sep + 3);
  if (!rest.empty() && rest.back() == '/') {
    rest.remove_suffix(1);
  }
  std::string_view host = rest;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) {
      return InvalidValue(name, value, kAllowed);
    }
    std::string inner(host.substr(1, close - 1));
    unsigned char buffer[16];
    if (inner.find('\0') != std::string::npos ||
        inet_pton(AF_INET6, inner.c_str(), buffer) != 1) {
      return InvalidValue(name, value, kAllowed);
    }
    std::string_view after = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return InvalidValue(name, value, kAllowed);
      }
      port = after.substr(1);
      if (port.empty()) {
        return InvalidValue(name, value, kAllowed);
      }
    }
  } else {
    size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      if (port.empty()) {
        return InvalidValue(name, value, kAllowed);
      }
    }
    bool ok = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
             c == '_';
    });
    if (!ok) {
      return InvalidValue(name, value, kAllowed);
    }
  }
  if (!port.empty()) {
    int64_t p = 0;
    if (!ParseDigits(port, &p) || p < 1 || p > 65535) {
      return InvalidValue(name, value, kAllowed);
    }
    return absl::StrCat(scheme, "://", Absl(host), ":", p);
  }
  return absl::StrCat(scheme, "://", Absl(host));
}

absl::Status CheckClusterValue(std::string_view name, std::string_view value) {
  constexpr std::string_view kAllowed =
      "expected a cluster name (1 to 255 letters, digits, hyphens and underscores) or a "
      "cluster ARN";
  auto is_name = [](std::string_view text) {
    return !text.empty() && text.size() <= 255 &&
           std::all_of(text.begin(), text.end(), [](char c) {
             return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
           });
  };
  if (value.substr(0, 4) == "arn:") {
    // Printable ASCII only: the value goes into JSON bodies and SigV4 text.
    bool printable = std::all_of(value.begin(), value.end(), [](char c) {
      return absl::ascii_isgraph(static_cast<unsigned char>(c));
    });
    absl::StatusOr<ecs::Arn> arn = ecs::ParseArn(value);
    if (!printable || !arn.ok() || arn->kind != ecs::kArnKindCluster ||
        !is_name(arn->resource)) {
      return InvalidValue(name, value, kAllowed);
    }
    return absl::OkStatus();
  }
  return is_name(value) ? absl::OkStatus() : InvalidValue(name, value, kAllowed);
}

absl::Status CheckRegionValue(std::string_view name, std::string_view value) {
  bool ok = !value.empty() && value.size() <= 64 && value.front() != '-' &&
            value.back() != '-' && std::all_of(value.begin(), value.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
            });
  return ok ? absl::OkStatus()
            : InvalidValue(name, value,
                           "expected a region name of lowercase letters, digits and hyphens, "
                           "like us-east-1");
}

absl::Status CheckAbsolutePath(std::string_view name, std::string_view value) {
  if (value.empty() || value.front() != '/') {
    return InvalidValue(name, value, "expected an absolute path");
  }
  return absl::OkStatus();
}

}  // namespace berth::agent::config
