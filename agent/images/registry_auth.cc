#include "agent/images/registry_auth.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "boost/json/parse.hpp"
#include "boost/json/value.hpp"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::images {

namespace {

namespace json = boost::json;

constexpr std::string_view kAuthType = "ECS_ENGINE_AUTH_TYPE";
constexpr std::string_view kAuthData = "ECS_ENGINE_AUTH_DATA";
constexpr std::string_view kInsecure = "BERTH_INSECURE_REGISTRIES";
constexpr std::string_view kDockerHub = "docker.io";
constexpr int64_t kMinTokenLifetimeSeconds = 60;  // distribution's token.md

// ---- characters ----

// RFC 9110 §5.6.2 tchar.
bool IsTchar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// RFC 7235 §2.1 token68 characters, before the trailing '='s.
bool IsToken68Char(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("-._~+/").find(c) != std::string_view::npos;
}

bool IsControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

bool IsVisibleAscii(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7e;
}

// A byte for a message: 'x' when printable, else 0xNN.
std::string DescribeByte(char c) {
  if (IsVisibleAscii(c)) {
    return absl::StrCat("'", std::string(1, c), "'");
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  const auto u = static_cast<unsigned char>(c);
  return absl::StrCat("0x", std::string{kHex[u >> 4], kHex[u & 0xf]});
}

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(Absl(s)); }

// Values are quoted in messages; long ones are cut (as the config loader does).
std::string Excerpt(std::string_view value) {
  constexpr size_t kMax = 200;
  return value.size() <= kMax ? std::string(value)
                              : absl::StrCat(Absl(value.substr(0, kMax)), "...");
}

// ---- WWW-Authenticate ----

class ChallengeParser {
 public:
  explicit ChallengeParser(std::string_view text) : s_(text) {}

  absl::StatusOr<std::vector<AuthChallenge>> Parse() {
    std::vector<AuthChallenge> out;
    while (true) {
      SkipBlanksAndCommas();
      if (AtEnd()) {
        break;
      }
      AuthChallenge challenge;
      std::string_view scheme = Token();
      if (scheme.empty()) {
        return Error(absl::StrCat("expected an auth-scheme, found ", DescribeByte(s_[i_])));
      }
      challenge.scheme = Lower(scheme);
      const size_t blanks = SkipBlanks();
      if (AtEnd() || s_[i_] == ',') {
        out.push_back(std::move(challenge));  // a scheme alone
        continue;
      }
      if (blanks == 0) {
        return Error(absl::StrCat("expected a space after the auth-scheme '", Absl(scheme),
                                  "', found ", DescribeByte(s_[i_])));
      }
      if (!TryToken68(&challenge.token68)) {
        RETURN_IF_ERROR(Params(challenge));
      }
      out.push_back(std::move(challenge));
    }
    if (out.empty()) {
      return absl::InvalidArgumentError("malformed WWW-Authenticate header: no challenge");
    }
    return out;
  }

 private:
  bool AtEnd() const { return i_ >= s_.size(); }

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed WWW-Authenticate header: ", Absl(what), " at byte ", i_));
  }

  size_t SkipBlanks() {
    const size_t start = i_;
    while (!AtEnd() && (s_[i_] == ' ' || s_[i_] == '\t')) {
      ++i_;
    }
    return i_ - start;
  }

  // Blanks and empty list elements (RFC 9110 §5.6.1 allows ", ,").
  void SkipBlanksAndCommas() {
    while (!AtEnd() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) {
      ++i_;
    }
  }

  std::string_view Token() {
    const size_t start = i_;
    while (!AtEnd() && IsTchar(s_[i_])) {
      ++i_;
    }
    return s_.substr(start, i_ - start);
  }

  // token68 followed by the end of the challenge (the end or a ','), else
  // nothing is consumed: "realm=x" starts like a token68 but goes on.
  bool TryToken68(std::string* out) {
    size_t j = i_;
    while (j < s_.size() && IsToken68Char(s_[j])) {
      ++j;
    }
    if (j == i_) {
      return false;
    }
    while (j < s_.size() && s_[j] == '=') {
      ++j;
    }
    size_t k = j;
    while (k < s_.size() && (s_[k] == ' ' || s_[k] == '\t')) {
      ++k;
    }
    if (k < s_.size() && s_[k] != ',') {
      return false;
    }
    *out = std::string(s_.substr(i_, j - i_));
    i_ = k;
    return true;
  }

  absl::Status QuotedString(std::string* out) {
    const size_t open = i_;
    ++i_;  // the opening quote
    while (true) {
      if (AtEnd()) {
        i_ = open;
        return Error("unterminated quoted string");
      }
      char c = s_[i_];
      if (c == '"') {
        ++i_;
        return absl::OkStatus();
      }
      if (c == '\\') {
        ++i_;
        if (AtEnd()) {
          i_ = open;
          return Error("unterminated quoted string");
        }
        c = s_[i_];
      }
      if (IsControl(c) && c != '\t') {
        return Error(absl::StrCat("control character ", DescribeByte(c), " in a quoted string"));
      }
      out->push_back(c);
      ++i_;
    }
  }

  // auth-params until the end of the header or the start of the next
  // challenge (a token not followed by '=' after a comma).
  absl::Status Params(AuthChallenge& challenge) {
    while (true) {
      const size_t name_start = i_;
      std::string_view name = Token();
      if (name.empty()) {
        return Error(absl::StrCat("expected an auth-param name, found ", DescribeByte(s_[i_])));
      }
      SkipBlanks();
      if (AtEnd() || s_[i_] != '=') {
        if (challenge.params.empty()) {
          return Error(absl::StrCat("expected '=' after the auth-param name '", Absl(name), "'"));
        }
        i_ = name_start;  // the next challenge's scheme
        return absl::OkStatus();
      }
      ++i_;
      SkipBlanks();
      std::string value;
      if (!AtEnd() && s_[i_] == '"') {
        RETURN_IF_ERROR(QuotedString(&value));
      } else {
        value = std::string(Token());
        if (value.empty()) {
          return Error(absl::StrCat("the auth-param '", Absl(name), "' has no value"));
        }
      }
      std::string lower = Lower(name);
      for (const auto& [existing, unused] : challenge.params) {
        if (existing == lower) {
          i_ = name_start;
          return Error(absl::StrCat("the auth-param '", lower, "' is given twice"));
        }
      }
      challenge.params.emplace_back(std::move(lower), std::move(value));
      SkipBlanks();
      if (AtEnd()) {
        return absl::OkStatus();
      }
      if (s_[i_] != ',') {
        return Error(
            absl::StrCat("expected ',' after an auth-param, found ", DescribeByte(s_[i_])));
      }
      SkipBlanksAndCommas();
      if (AtEnd()) {
        return absl::OkStatus();
      }
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

// ---- hosts ----

// host[:port], already lower-cased: DNS labels of [a-z0-9-] (not starting or
// ending with '-') joined by '.', or a bracketed IPv6 literal of hex digits
// and ':' (Docker's reference grammar); a port is 1-65535 without leading
// zeros.
bool IsHostPort(std::string_view s) {
  std::string_view host = s;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) {
      return false;
    }
    for (char c : s.substr(1, close - 1)) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':') {
        return false;
      }
    }
    host = {};
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return false;
      }
      port = rest.substr(1);
      if (port.empty()) {
        return false;
      }
    }
  } else {
    const size_t colon = s.find(':');
    if (colon != std::string_view::npos) {
      host = s.substr(0, colon);
      port = s.substr(colon + 1);
      if (port.empty()) {
        return false;
      }
    }
    if (host.empty()) {
      return false;
    }
    for (absl::string_view label : absl::StrSplit(Absl(host), '.')) {
      if (label.empty() || label.front() == '-' || label.back() == '-') {
        return false;
      }
      for (char c : label) {
        if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-') {
          return false;
        }
      }
    }
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.front() == '0' ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    int value = 0;
    for (char c : port) {
      value = value * 10 + (c - '0');
    }
    if (value > 65535) {
      return false;
    }
  }
  return true;
}

// ---- ECS_ENGINE_AUTH_DATA ----

absl::Status DataError(std::string_view key, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", Absl(kAuthData), ": registry '", Excerpt(key), "': ", Absl(what)));
}

// A member that must be a string; never quotes the value.
absl::StatusOr<std::string> StringMember(std::string_view key, const json::object& entry,
                                         std::string_view member) {
  const json::value* v = entry.if_contains(json::string_view(member.data(), member.size()));
  if (v == nullptr || v->is_null()) {
    return DataError(key, absl::StrCat("\"", Absl(member), "\" is missing"));
  }
  if (!v->is_string()) {
    return DataError(key, absl::StrCat("\"", Absl(member), "\" is not a string"));
  }
  return std::string(v->get_string());
}

// RFC 7617: a user-id has no ':'; neither part has control characters.
absl::Status CheckCredentials(std::string_view key, const RegistryCredentials& c) {
  if (c.username.empty()) {
    return DataError(key, "the username is empty");
  }
  if (c.username.find(':') != std::string::npos) {
    return DataError(key, "the username contains ':'");
  }
  if (std::any_of(c.username.begin(), c.username.end(), IsControl)) {
    return DataError(key, "the username contains a control character");
  }
  if (std::any_of(c.password.begin(), c.password.end(), IsControl)) {
    return DataError(key, "the password contains a control character");
  }
  return absl::OkStatus();
}

// Padded standard base64 (what Go's base64.StdEncoding and `docker login`
// write); std::nullopt for anything else.
std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0 || text.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return std::nullopt;
  }
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  for (size_t i = 0; i < text.size() - padding; ++i) {
    const char c = text[i];
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') {
      return std::nullopt;
    }
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) {
    return std::nullopt;
  }
  out.resize(out.size() - padding);
  return out;
}

absl::StatusOr<RegistryCredentials> DockerEntry(std::string_view key, const json::object& entry) {
  ASSIGN_OR_RETURN(std::string username, StringMember(key, entry, "username"));
  ASSIGN_OR_RETURN(std::string password, StringMember(key, entry, "password"));
  return RegistryCredentials{std::move(username), std::move(password)};
}

absl::StatusOr<RegistryCredentials> DockercfgEntry(std::string_view key,
                                                   const json::object& entry) {
  if (key == "auths" && !entry.contains("auth")) {
    return DataError(key,
                     "this is a ~/.docker/config.json; dockercfg takes the object inside "
                     "\"auths\" (the older ~/.dockercfg)");
  }
  ASSIGN_OR_RETURN(std::string auth, StringMember(key, entry, "auth"));
  std::optional<std::string> decoded = DecodeBase64(auth);
  if (!decoded.has_value()) {
    return DataError(key, "\"auth\" is not padded standard base64");
  }
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) {
    return DataError(key, "\"auth\" does not decode to username:password (no ':')");
  }
  return RegistryCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

}  // namespace

// ---- public ----

std::string AuthChallenge::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (absl::EqualsIgnoreCase(Absl(key), Absl(name))) {
      return value;
    }
  }
  return "";
}

absl::StatusOr<std::vector<AuthChallenge>> ParseAuthChallenges(std::string_view header_value) {
  return ChallengeParser(header_value).Parse();
}

std::optional<std::string> NormalizeRegistryKey(std::string_view key) {
  std::string_view rest = key;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (absl::StartsWithIgnoreCase(Absl(rest), Absl(scheme))) {
      rest.remove_prefix(scheme.size());
      break;
    }
  }
  rest = rest.substr(0, rest.find('/'));
  std::string host = Lower(rest);
  if (!IsHostPort(host)) {
    return std::nullopt;
  }
  if (host == "index.docker.io" || host == "registry-1.docker.io") {
    host = std::string(kDockerHub);
  }
  return host;
}

absl::StatusOr<RegistryAuthConfig> RegistryAuthConfig::Parse(std::string_view type,
                                                             std::string_view data) {
  RegistryAuthConfig config;
  if (type.empty() && data.empty()) {
    return config;
  }
  if (type.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid ", Absl(kAuthType), ": unset, but ",
                                                   Absl(kAuthData),
                                                   " is set; expected docker or dockercfg"));
  }
  if (type != "docker" && type != "dockercfg") {
    return absl::InvalidArgumentError(absl::StrCat("invalid ", Absl(kAuthType), " '", Excerpt(type),
                                                   "': expected docker or dockercfg"));
  }
  if (data.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid ", Absl(kAuthData), ": unset, but ",
                                                   Absl(kAuthType), " is ", Absl(type)));
  }
  const bool docker = type == "docker";
  const std::string_view shape =
      docker ? "expected a JSON object {\"<registry>\": {\"username\": ..., \"password\": ...}}"
             : "expected a JSON object {\"<registry>\": {\"auth\": \"<base64 of user:password>\"}}";

  json::error_code ec;
  json::parse_options opts;
  opts.max_depth = 32;
  // Boost.JSON's message names the error, never the text it was reading.
  json::value root =
      json::parse(json::string_view(data.data(), data.size()), ec, json::storage_ptr(), opts);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid ", Absl(kAuthData), ": not valid JSON (", ec.message(), "); ", Absl(shape)));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", Absl(kAuthData), ": not a JSON object; ", Absl(shape)));
  }

  // Which key each registry's credentials came from, and whether it was
  // written exactly as the registry's domain.
  struct Source {
    std::string key;
    bool exact;
  };
  std::map<std::string, Source, std::less<>> sources;
  for (const auto& member : root.get_object()) {
    const std::string_view key(member.key().data(), member.key().size());
    if (!member.value().is_object()) {
      return DataError(key, absl::StrCat("not a JSON object; ", Absl(shape)));
    }
    std::optional<std::string> registry = NormalizeRegistryKey(key);
    if (!registry.has_value()) {
      return DataError(key,
                       "not a registry (expected host, host:port or an http(s) URL; a port is "
                       "1-65535)");
    }
    const json::object& entry = member.value().get_object();
    absl::StatusOr<RegistryCredentials> credentials =
        docker ? DockerEntry(key, entry) : DockercfgEntry(key, entry);
    if (!credentials.ok()) {
      return credentials.status();
    }
    RETURN_IF_ERROR(CheckCredentials(key, *credentials));

    const bool exact = absl::EqualsIgnoreCase(Absl(key), *registry);
    auto it = sources.find(*registry);
    if (it != sources.end()) {
      if (it->second.exact == exact) {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid ", Absl(kAuthData), ": registry keys '", Excerpt(it->second.key), "' and '",
            Excerpt(key), "' both name registry ", *registry, "; keep one"));
      }
      if (!exact) {
        continue;  // the key written as the domain itself wins
      }
    }
    sources[*registry] = Source{std::string(key), exact};
    config.entries_[*registry] = *std::move(credentials);
  }
  return config;
}

std::optional<RegistryCredentials> RegistryAuthConfig::Lookup(std::string_view domain) const {
  std::optional<std::string> registry = NormalizeRegistryKey(domain);
  if (!registry.has_value()) {
    return std::nullopt;
  }
  auto it = entries_.find(*registry);
  if (it == entries_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<std::string> RegistryAuthConfig::Registries() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [registry, unused] : entries_) {
    out.push_back(registry);
  }
  return out;
}

std::string BasicAuthorization(const RegistryCredentials& credentials) {
  const std::string plain = absl::StrCat(credentials.username, ":", credentials.password);
  CHECK(plain.size() < static_cast<size_t>(std::numeric_limits<int>::max() / 2));
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  CHECK(n >= 0 && static_cast<size_t>(n) + 1 == encoded.size());
  encoded.resize(n);
  return absl::StrCat("Basic ", encoded);
}

absl::StatusOr<BearerToken> ParseTokenResponse(std::string_view body) {
  auto bad = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("invalid token response: ", Absl(what)));
  };
  json::error_code ec;
  json::parse_options opts;
  opts.max_depth = 32;
  json::value root =
      json::parse(json::string_view(body.data(), body.size()), ec, json::storage_ptr(), opts);
  if (ec) {
    return bad(absl::StrCat("not valid JSON (", ec.message(), ")"));
  }
  if (!root.is_object()) {
    return bad("not a JSON object");
  }
  const json::object& o = root.get_object();
  BearerToken out;
  for (std::string_view name : {"token", "access_token"}) {
    const json::value* v = o.if_contains(json::string_view(name.data(), name.size()));
    if (v == nullptr || v->is_null()) {
      continue;
    }
    if (!v->is_string()) {
      return bad(absl::StrCat("\"", Absl(name), "\" is not a string"));
    }
    if (!v->get_string().empty()) {
      out.token = std::string(v->get_string());
      break;
    }
  }
  if (out.token.empty()) {
    return bad("neither \"token\" nor \"access_token\" is given");
  }
  if (!std::all_of(out.token.begin(), out.token.end(), IsVisibleAscii)) {
    return bad(
        "the token has a character that cannot be sent in a header (space, control or "
        "non-ASCII)");
  }
  int64_t seconds = kMinTokenLifetimeSeconds;
  if (const json::value* v = o.if_contains("expires_in"); v != nullptr && !v->is_null()) {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    if (v->is_int64()) {
      seconds = v->get_int64();
    } else if (v->is_uint64()) {
      seconds = v->get_uint64() > static_cast<uint64_t>(kMax)
                    ? kMax
                    : static_cast<int64_t>(v->get_uint64());
    } else if (v->is_double() && std::isfinite(v->get_double())) {
      const double d = v->get_double();
      seconds = d >= 9.2e18 ? kMax : (d <= 0 ? 0 : static_cast<int64_t>(d));
    } else {
      return bad("\"expires_in\" is not a number");
    }
  }
  out.expires_in = absl::Seconds(std::max(seconds, kMinTokenLifetimeSeconds));
  return out;
}

absl::StatusOr<std::string> TokenRequestUrl(const AuthChallenge& bearer, std::string_view scope) {
  const std::string realm = bearer.Param("realm");
  auto bad = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid bearer challenge realm '", Excerpt(realm), "': ", Absl(what)));
  };
  if (realm.empty()) {
    return absl::InvalidArgumentError("invalid bearer challenge: it has no realm");
  }
  if (!std::all_of(realm.begin(), realm.end(), IsVisibleAscii)) {
    return bad("a URL has no spaces, control or non-ASCII characters");
  }
  size_t authority_start = 0;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (absl::StartsWithIgnoreCase(realm, Absl(scheme))) {
      authority_start = scheme.size();
    }
  }
  if (authority_start == 0) {
    return bad("expected an absolute http:// or https:// URL");
  }
  if (realm.find('#') != std::string::npos) {
    return bad("a token URL has no fragment");
  }
  const size_t authority_end = realm.find_first_of("/?", authority_start);
  const std::string_view authority = std::string_view(realm).substr(
      authority_start,
      authority_end == std::string::npos ? std::string::npos : authority_end - authority_start);
  if (authority.empty()) {
    return bad("the URL has no host");
  }
  if (authority.find('@') != std::string_view::npos) {
    return bad("the URL has user info");
  }

  auto encode = [](std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : text) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
          c == '~') {
        out.push_back(c);
      } else {
        const auto u = static_cast<unsigned char>(c);
        out.append({'%', kHex[u >> 4], kHex[u & 0xf]});
      }
    }
    return out;
  };
  std::string query;
  if (const std::string service = bearer.Param("service"); !service.empty()) {
    absl::StrAppend(&query, "service=", encode(service));
  }
  if (!scope.empty()) {
    absl::StrAppend(&query, query.empty() ? "" : "&", "scope=", encode(scope));
  }
  if (query.empty()) {
    return realm;
  }
  std::string_view separator = "?";
  if (realm.find('?') != std::string::npos) {
    separator = (realm.back() == '?' || realm.back() == '&') ? "" : "&";
  }
  return absl::StrCat(realm, Absl(separator), query);
}

absl::StatusOr<std::vector<std::string>> ParseInsecureRegistries(std::string_view value) {
  std::vector<std::string> out;
  if (absl::StripAsciiWhitespace(Absl(value)).empty()) {
    return out;
  }
  auto bad = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", Absl(kInsecure), " '", Excerpt(value), "': ", Absl(what)));
  };
  for (absl::string_view piece : absl::StrSplit(Absl(value), ',')) {
    const std::string_view entry = Std(absl::StripAsciiWhitespace(piece));
    if (entry.empty()) {
      return bad("an entry is empty (two commas in a row, or one at an end)");
    }
    if (entry.find("://") != std::string_view::npos) {
      return bad(absl::StrCat("entry '", Absl(entry),
                              "' has a scheme; expected host[:port] (plain HTTP is implied)"));
    }
    if (entry.find('/') != std::string_view::npos) {
      return bad(absl::StrCat("entry '", Absl(entry), "' has a path; expected host[:port]"));
    }
    std::string host = Lower(entry);
    if (!IsHostPort(host)) {
      return bad(absl::StrCat("entry '", Absl(entry),
                              "' is not host[:port] (a DNS name, IPv4 address or [IPv6] "
                              "address; a port is 1-65535)"));
    }
    if (std::find(out.begin(), out.end(), host) == out.end()) {
      out.push_back(std::move(host));
    }
  }
  return out;
}

}  // namespace berth::images
