#ifndef BERTH_AGENT_IMAGES_REGISTRY_AUTH_H_
#define BERTH_AGENT_IMAGES_REGISTRY_AUTH_H_

// The authentication pieces of registry pulls, without any I/O: what the
// registry client (registry_client.h) needs to answer a 401.
//
//   GET /v2/ ◀── 401 WWW-Authenticate: Bearer realm="https://auth.docker.io/token",
//                                      service="registry.docker.io"
//   ParseAuthChallenges ─▶ AuthChallenge{"bearer", {realm, service}}
//   TokenRequestUrl(challenge, "repository:library/busybox:pull")
//      ─▶ GET https://auth.docker.io/token?service=registry.docker.io&scope=repository%3A...
//         with Authorization: BasicAuthorization(RegistryAuthConfig::Lookup(domain)) if any
//   ParseTokenResponse(body) ─▶ BearerToken{token, expires_in}
//      ─▶ every request: Authorization: Bearer <token>
//
// RegistryAuthConfig is ECS_ENGINE_AUTH_TYPE / ECS_ENGINE_AUTH_DATA;
// ParseInsecureRegistries is BERTH_INSECURE_REGISTRIES. Their errors are
// InvalidArgument "invalid <VARIABLE>...", as the config loader's are, and
// never quote a password or an "auth" value.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace berth::images {

// One challenge of a WWW-Authenticate header (RFC 7235 §2.1, §4.1): an
// auth-scheme followed by auth-params (name=token or name="quoted-string"
// with \-escapes) or by a token68. Several challenges may share one header,
// comma-separated.
struct AuthChallenge {
  std::string scheme = {};  // lower-cased: "bearer", "basic"
  // In header order; names lower-cased, values unquoted and unescaped.
  std::vector<std::pair<std::string, std::string>> params = {};
  std::string token68 = {};  // "" unless the challenge carries one (then params is empty)

  // The value of the parameter `name` (compared case-insensitively); "" when absent.
  std::string Param(std::string_view name) const;
};

// The challenges of one WWW-Authenticate header value, in order. Empty list
// elements (", ,") are skipped. InvalidArgument naming the problem and its
// byte offset for a malformed value: no challenge at all, a missing scheme,
// an unterminated quoted string, a control character, a parameter without
// a value or given twice in one challenge.
absl::StatusOr<std::vector<AuthChallenge>> ParseAuthChallenges(std::string_view header_value);

struct RegistryCredentials {
  std::string username = {};
  std::string password = {};
  friend bool operator==(const RegistryCredentials&, const RegistryCredentials&) = default;
};

// ECS_ENGINE_AUTH_TYPE / ECS_ENGINE_AUTH_DATA, as the Amazon agent reads them
// (agent/dockerclient/dockerauth):
//   "docker":    {"<registry>": {"username": "...", "password": "...", "email": "..."}, ...}
//   "dockercfg": {"<registry>": {"auth": "<base64 of user:password>", "email": "..."}, ...}
// Other members of an entry ("email", ...) are ignored; a key written twice
// keeps its last entry (as Go's encoding/json does). ~/.docker/config.json's
// {"auths": {...}} wrapper is refused with a hint: dockercfg is what is inside.
//
// A registry key may be written as host, host:port or a URL
// ("https://index.docker.io/v1/"): like Docker (ConvertToHostname) and the
// Amazon agent, the scheme and any path are dropped and the host is
// lower-cased; "index.docker.io" and "registry-1.docker.io" are
// "docker.io" (Docker Hub). When several keys name the same registry, the
// one written exactly as that registry's domain wins ("docker.io" over
// "https://index.docker.io/v1/"); two keys of equal standing are refused as
// ambiguous. Namespace-scoped keys ("registry.tld/team", which the Amazon
// agent matches by the longest prefix of the image name) are not: their
// path is dropped like any other.
class RegistryAuthConfig {
 public:
  RegistryAuthConfig() = default;  // no credentials

  // `type` "" with `data` "" → no credentials. Otherwise InvalidArgument
  // naming ECS_ENGINE_AUTH_TYPE or ECS_ENGINE_AUTH_DATA (and the registry key
  // at fault) for: an unknown type, data without a type or a type without
  // data, malformed JSON, data that is not an object, an entry that is not an
  // object, a missing or non-string username/password/auth, an "auth" that is
  // not padded standard base64 of "username:password", an empty username or
  // one with a ':', a control character in either, a key that is no
  // host[:port] (once its scheme and path are dropped), and ambiguous keys.
  // The message never includes a password or an "auth" value.
  static absl::StatusOr<RegistryAuthConfig> Parse(std::string_view type, std::string_view data);

  // The credentials for a registry domain as ImageName normalizes it
  // ("docker.io", "localhost:5000", "registry.example.com", "[::1]:5000";
  // compared case-insensitively, Docker Hub's aliases accepted). The port is
  // part of the match: "host" and "host:443" are different registries.
  std::optional<RegistryCredentials> Lookup(std::string_view domain) const;

  // The registries that have credentials, normalized and sorted (for the
  // start-up log: host names only, never a secret).
  std::vector<std::string> Registries() const;
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::map<std::string, RegistryCredentials, std::less<>> entries_;
};

// A registry key or a domain as RegistryAuthConfig compares them: the scheme
// and path dropped, the host lower-cased, Docker Hub's aliases made
// "docker.io". std::nullopt when what is left is not host[:port].
std::optional<std::string> NormalizeRegistryKey(std::string_view key);

// "Basic <base64(username:password)>" (RFC 7617).
std::string BasicAuthorization(const RegistryCredentials& credentials);

// A bearer token server's answer (distribution's token spec, docs/spec/auth/token.md):
// {"token": "...", "access_token": "...", "expires_in": seconds, "issued_at": "RFC3339"}.
// A non-empty "token", else "access_token"; neither → InvalidArgument.
// "expires_in" missing or below 60 → 60 s (the spec's minimum); "issued_at"
// is not used (the lifetime counts from when the answer arrived, which a
// skewed server clock cannot move). The token must be a visible-ASCII
// header value (no CR/LF/space/controls/non-ASCII), else InvalidArgument;
// the message never includes the token.
struct BearerToken {
  std::string token = {};
  absl::Duration expires_in = absl::Seconds(60);
};
absl::StatusOr<BearerToken> ParseTokenResponse(std::string_view body);

// The token request URL for a bearer challenge:
// <realm>?service=<service>&scope=<scope>, both percent-encoded (RFC 3986
// unreserved characters kept); service omitted when the challenge has none,
// scope when `scope` is empty ("repository:library/busybox:pull"). A realm
// that already has a query gets the parameters appended with '&'.
// InvalidArgument when the realm is missing or is not an absolute http(s)
// URL with a host (no spaces or controls, no user info, no fragment).
absl::StatusOr<std::string> TokenRequestUrl(const AuthChallenge& bearer, std::string_view scope);

// BERTH_INSECURE_REGISTRIES: comma-separated host[:port] entries (no scheme,
// no path; blanks around entries ignored) that berth may reach over plain
// HTTP. Returned lower-cased, without duplicates, in the order written; ""
// is an empty list. InvalidArgument "invalid BERTH_INSECURE_REGISTRIES
// '<value>': ..." naming the bad entry otherwise.
absl::StatusOr<std::vector<std::string>> ParseInsecureRegistries(std::string_view value);

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_REGISTRY_AUTH_H_
