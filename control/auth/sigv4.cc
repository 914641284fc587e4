#include "control/auth/sigv4.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "control/api/ecs_error.h"
#include "control/auth/crypto.h"
#include "io/absl_compat.h"

namespace berth::control::auth {
namespace {

bool IsUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

// Percent-encodes every byte but unreserved ones (and '/' when asked).
std::string UriEncode(std::string_view in, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes ('+' stays '+'); a malformed escape is kept as is.
std::string UriDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

// botocore's remove_dot_segments: also drops empty segments ("//").
std::string RemoveDotSegments(std::string_view path) {
  if (path.empty()) {
    return "/";
  }
  std::vector<absl::string_view> out;
  for (absl::string_view seg : absl::StrSplit(Absl(path), '/')) {
    if (seg.empty() || seg == ".") {
      continue;
    }
    if (seg == "..") {
      if (!out.empty()) {
        out.pop_back();
      }
      continue;
    }
    out.push_back(seg);
  }
  std::string result = path.front() == '/' ? "/" : "";
  result += absl::StrJoin(out, "/");
  if (path.back() == '/' && !out.empty()) {
    result += '/';
  }
  return result;
}

// Trimall: strip, then collapse runs of whitespace to one space.
std::string TrimAll(std::string_view value) {
  std::vector<absl::string_view> words =
      absl::StrSplit(Absl(value), absl::ByAnyChar(" \t"), absl::SkipEmpty());
  return absl::StrJoin(words, " ");
}

absl::Status Incomplete(std::string_view message) {
  return EcsError(ecs_errors::kIncompleteSignature, message);
}

}  // namespace

std::string SigV4Authorization::Scope() const {
  return absl::StrCat(date, "/", region, "/", service, "/", terminator);
}

absl::StatusOr<SigV4Authorization> ParseAuthorization(std::string_view header) {
  std::string_view text = Std(absl::StripAsciiWhitespace(Absl(header)));
  size_t space = text.find(' ');
  std::string_view algorithm = text.substr(0, space);
  if (algorithm != kSigV4Algorithm) {
    return Incomplete(absl::StrCat("Unsupported AWS 'algorithm': '", Absl(algorithm),
                                   "'; berth accepts AWS4-HMAC-SHA256 only."));
  }
  std::string_view params = space == std::string_view::npos ? "" : text.substr(space + 1);
  std::optional<std::string> credential, signed_headers, signature;
  for (absl::string_view part : absl::StrSplit(Absl(params), ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      continue;
    }
    absl::string_view name = part.substr(0, eq);
    std::string value(part.substr(eq + 1));
    if (name == "Credential") {
      credential = std::move(value);
    } else if (name == "SignedHeaders") {
      signed_headers = std::move(value);
    } else if (name == "Signature") {
      signature = std::move(value);
    }
  }
  std::string missing;
  if (!credential.has_value()) {
    missing += "Authorization header requires 'Credential' parameter. ";
  }
  if (!signature.has_value()) {
    missing += "Authorization header requires 'Signature' parameter. ";
  }
  if (!signed_headers.has_value()) {
    missing += "Authorization header requires 'SignedHeaders' parameter. ";
  }
  if (!missing.empty()) {
    return Incomplete(absl::StrCat(missing, "Authorization=", Absl(text)));
  }
  std::vector<std::string> scope = absl::StrSplit(*credential, '/');
  if (scope.size() != 5 || scope[0].empty()) {
    return Incomplete(absl::StrCat(
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got '",
        *credential, "'"));
  }
  SigV4Authorization auth;
  auth.access_key_id = std::move(scope[0]);
  auth.date = std::move(scope[1]);
  auth.region = std::move(scope[2]);
  auth.service = std::move(scope[3]);
  auth.terminator = std::move(scope[4]);
  auth.signed_headers = absl::StrSplit(*signed_headers, ';', absl::SkipEmpty());
  if (auth.signed_headers.empty()) {
    return Incomplete(absl::StrCat("Authorization header requires 'SignedHeaders' parameter. ",
                                   "Authorization=", Absl(text)));
  }
  for (std::string& h : auth.signed_headers) {
    absl::AsciiStrToLower(&h);
  }
  auth.signature = absl::AsciiStrToLower(*signature);
  return auth;
}

std::string CanonicalUri(std::string_view raw_path) {
  return UriEncode(RemoveDotSegments(raw_path), /*keep_slash=*/true);
}

std::string CanonicalQuery(std::string_view raw_query) {
  if (raw_query.empty()) {
    return "";
  }
  std::vector<std::pair<std::string, std::string>> params;
  for (absl::string_view pair : absl::StrSplit(Absl(raw_query), '&', absl::SkipEmpty())) {
    size_t eq = pair.find('=');
    absl::string_view key = pair.substr(0, eq);
    absl::string_view value = eq == absl::string_view::npos ? "" : pair.substr(eq + 1);
    params.emplace_back(UriEncode(UriDecode(Std(key)), false),
                        UriEncode(UriDecode(Std(value)), false));
  }
  std::sort(params.begin(), params.end());
  std::vector<std::string> parts;
  parts.reserve(params.size());
  for (const auto& [k, v] : params) {
    parts.push_back(absl::StrCat(k, "=", v));
  }
  return absl::StrJoin(parts, "&");
}

std::string CanonicalHeaders(const io::HttpHeaders& headers,
                             const std::vector<std::string>& signed_headers) {
  std::string out;
  for (const std::string& name : signed_headers) {
    std::vector<std::string> values;
    for (const auto& [n, v] : headers) {
      if (absl::EqualsIgnoreCase(n, name)) {
        values.push_back(TrimAll(v));
      }
    }
    absl::StrAppend(&out, name, ":", absl::StrJoin(values, ","), "\n");
  }
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view target,
                             const io::HttpHeaders& headers,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_sha256_hex) {
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  return absl::StrCat(absl::AsciiStrToUpper(Absl(method)), "\n", CanonicalUri(path), "\n",
                      CanonicalQuery(query), "\n", CanonicalHeaders(headers, signed_headers),
                      "\n", absl::StrJoin(signed_headers, ";"), "\n", Absl(payload_sha256_hex));
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  return absl::StrCat(Absl(kSigV4Algorithm), "\n", Absl(amz_date), "\n", Absl(scope), "\n",
                      HexEncode(Sha256(canonical_request)));
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k_date = HmacSha256(absl::StrCat("AWS4", Absl(secret)), date);
  std::string k_region = HmacSha256(k_date, region);
  std::string k_service = HmacSha256(k_region, service);
  return HmacSha256(k_service, kSigV4Terminator);
}

std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

std::string FormatAmzDate(absl::Time t) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", t, absl::UTCTimeZone());
}

bool ParseAmzDate(std::string_view text, absl::Time* out) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') {
    return false;
  }
  int fields[6];
  const size_t offsets[6] = {0, 4, 6, 9, 11, 13}, widths[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; ++i) {
    std::string_view digits = text.substr(offsets[i], widths[i]);
    if (!std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit) ||
        !absl::SimpleAtoi(Absl(digits), &fields[i])) {
      return false;
    }
  }
  // absl::ParseTime's %Y is greedy and would eat the month and day.
  absl::CivilSecond civil(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
  if (civil.year() != fields[0] || civil.month() != fields[1] || civil.day() != fields[2] ||
      civil.hour() != fields[3] || civil.minute() != fields[4] || civil.second() != fields[5]) {
    return false;  // out-of-range fields were normalized
  }
  *out = absl::FromCivil(civil, absl::UTCTimeZone());
  return true;
}

void SignRequest(io::HttpRequest& request, const SigningCredentials& credentials,
                 std::string_view region, std::string_view service, absl::Time now) {
  std::string amz_date = FormatAmzDate(now);
  std::erase_if(request.headers, [](const auto& h) {
    return absl::EqualsIgnoreCase(h.first, "X-Amz-Date") ||
           absl::EqualsIgnoreCase(h.first, "Authorization");
  });
  request.headers.emplace_back("X-Amz-Date", amz_date);
  std::vector<std::string> names;
  for (const auto& [name, value] : request.headers) {
    std::string lower = absl::AsciiStrToLower(name);
    if (lower != "user-agent" && lower != "expect" && lower != "x-amzn-trace-id") {
      names.push_back(std::move(lower));
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string scope = absl::StrCat(amz_date.substr(0, 8), "/", Absl(region), "/", Absl(service),
                                   "/", Absl(kSigV4Terminator));
  std::string canonical = CanonicalRequest(request.method, request.target, request.headers,
                                           names, HexEncode(Sha256(request.body)));
  std::string signature =
      SignatureHex(SigningKey(credentials.secret_access_key, amz_date.substr(0, 8), region,
                              service),
                   StringToSign(amz_date, scope, canonical));
  request.headers.emplace_back(
      "Authorization", absl::StrCat(Absl(kSigV4Algorithm), " Credential=",
                                    credentials.access_key_id, "/", scope,
                                    ", SignedHeaders=", absl::StrJoin(names, ";"),
                                    ", Signature=", signature));
}

}  // namespace berth::control::auth
