// Fuzzes ParseAuthChallenges (a registry's WWW-Authenticate header) with
// every input:
// - it fails with InvalidArgument "malformed WWW-Authenticate header: ...",
//   or gives at least one challenge;
// - every scheme is non-empty lower-case token characters; every parameter
//   name too, none twice in a challenge, and Param() finds it whatever its
//   case; a token68 is well-formed and never comes with parameters;
// - the challenges written back in canonical form (values quoted and
//   escaped) parse to the same challenges;
// - TokenRequestUrl of each challenge fails with InvalidArgument, or gives a
//   visible-ASCII http(s) URL that starts with the realm.
// The seeds in corpus/ are headers real registries send, and RFC 7235's.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "agent/images/registry_auth.h"
#include "io/absl_compat.h"
#include "io/log.h"

namespace {

using berth::images::AuthChallenge;

bool IsTchar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsLowerToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!IsTchar(c) || (c >= 'A' && c <= 'Z')) {
      return false;
    }
  }
  return true;
}

bool IsToken68(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (absl::ascii_isalnum(static_cast<unsigned char>(s[i])) ||
                          std::string_view("-._~+/").find(s[i]) != std::string_view::npos)) {
    ++i;
  }
  if (i == 0) {
    return false;
  }
  while (i < s.size() && s[i] == '=') {
    ++i;
  }
  return i == s.size();
}

std::string Canonical(const std::vector<AuthChallenge>& challenges) {
  std::string out;
  for (const AuthChallenge& c : challenges) {
    if (!out.empty()) {
      out += ", ";
    }
    out += c.scheme;
    if (!c.token68.empty()) {
      out += " " + c.token68;
      continue;
    }
    for (size_t i = 0; i < c.params.size(); ++i) {
      out += i == 0 ? " " : ", ";
      out += c.params[i].first + "=\"";
      for (char ch : c.params[i].second) {
        if (ch == '"' || ch == '\\') {
          out += '\\';
        }
        out += ch;
      }
      out += '"';
    }
  }
  return out;
}

void CheckChallenge(const AuthChallenge& c, std::string_view scope) {
  CHECK(IsLowerToken(c.scheme)) << c.scheme;
  if (!c.token68.empty()) {
    CHECK(IsToken68(c.token68)) << c.token68;
    CHECK(c.params.empty());
  }
  for (size_t i = 0; i < c.params.size(); ++i) {
    const auto& [name, value] = c.params[i];
    CHECK(IsLowerToken(name)) << name;
    for (size_t j = 0; j < i; ++j) {
      CHECK(c.params[j].first != name) << name;
    }
    CHECK(c.Param(name) == value);
    CHECK(c.Param(absl::AsciiStrToUpper(name)) == value);
  }

  absl::StatusOr<std::string> url = berth::images::TokenRequestUrl(c, scope);
  if (!url.ok()) {
    CHECK(url.status().code() == absl::StatusCode::kInvalidArgument) << url.status();
    CHECK(absl::StartsWith(url.status().message(), "invalid bearer challenge")) << url.status();
    return;
  }
  const std::string realm = c.Param("realm");
  CHECK(absl::StartsWith(*url, realm)) << *url;
  CHECK(absl::StartsWithIgnoreCase(*url, "http://") || absl::StartsWithIgnoreCase(*url, "https://"))
      << *url;
  for (char ch : *url) {
    CHECK(ch > 0x20 && ch < 0x7f) << *url;
  }
  CHECK(url->find('#') == std::string::npos) << *url;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<AuthChallenge>> challenges = berth::images::ParseAuthChallenges(text);
  if (!challenges.ok()) {
    CHECK(challenges.status().code() == absl::StatusCode::kInvalidArgument) << challenges.status();
    CHECK(absl::StartsWith(challenges.status().message(), "malformed WWW-Authenticate header: "))
        << challenges.status();
    return 0;
  }
  CHECK(!challenges->empty());
  // The scope comes from the input too, so its encoding is exercised.
  const std::string_view scope = text.substr(0, std::min<size_t>(text.size(), 40));
  for (const AuthChallenge& c : *challenges) {
    CheckChallenge(c, scope);
  }

  const std::string canonical = Canonical(*challenges);
  absl::StatusOr<std::vector<AuthChallenge>> again = berth::images::ParseAuthChallenges(canonical);
  CHECK(again.ok()) << again.status() << " for " << canonical;
  CHECK(again->size() == challenges->size()) << canonical;
  for (size_t i = 0; i < again->size(); ++i) {
    const AuthChallenge& a = (*again)[i];
    const AuthChallenge& b = (*challenges)[i];
    CHECK(a.scheme == b.scheme && a.params == b.params && a.token68 == b.token68) << canonical;
  }
  return 0;
}
