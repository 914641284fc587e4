// Fuzzes the registry-auth inputs that come from configuration or a token
// server. The first byte picks ECS_ENGINE_AUTH_TYPE ("", docker, dockercfg,
// or an unknown one); the rest is ECS_ENGINE_AUTH_DATA, and also a token
// server's answer and a BERTH_INSECURE_REGISTRIES value:
// - RegistryAuthConfig::Parse fails with InvalidArgument "invalid
//   ECS_ENGINE_AUTH_..." that never contains a password or auth value of the
//   input, or succeeds, and then every key of the data looks up (as written,
//   upper-cased and normalized) to the same credentials, which Registries()
//   lists; a key written as the registry itself looks up to its own entry;
//   credentials round-trip through BasicAuthorization and a dockercfg entry;
// - ParseTokenResponse fails with InvalidArgument, or gives a non-empty
//   visible-ASCII token that lives at least 60 s;
// - ParseInsecureRegistries fails with InvalidArgument naming the variable,
//   or gives lower-cased host[:port] entries that parse back to themselves.
// The seeds in corpus/ are configurations written for Amazon's agent and
// token server answers.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "agent/images/registry_auth.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"
#include "io/absl_compat.h"
#include "io/log.h"

namespace {

namespace json = boost::json;
using berth::images::RegistryAuthConfig;
using berth::images::RegistryCredentials;

constexpr std::string_view kTypes[] = {"", "docker", "dockercfg", "ecr"};

// Every fixed word the messages are made of, and the types.
constexpr std::string_view kVocabulary =
    "invalid ECS_ENGINE_AUTH_TYPE ECS_ENGINE_AUTH_DATA unset, but is set; expected docker or "
    "dockercfg ecr not valid JSON not a JSON object registry keys both name registry keep one "
    "\"username\" \"password\" \"auth\" is missing is not a string the username is empty "
    "contains ':' a control character the password not padded standard base64 does not decode "
    "to username:password (no ':') not a registry (expected host, host:port or an http(s) URL; "
    "a port is 1-65535) expected a JSON object {\"<registry>\": {\"username\": ..., "
    "\"password\": ...}} {\"<registry>\": {\"auth\": \"<base64 of user:password>\"}} docker.io";

bool IsAlnum(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// The values of "password" and "auth" members of the data's entries that a
// message could only contain by leaking them: alphanumeric (so they cannot
// straddle a quote), 8 bytes or more, and not part of a key or of the
// messages' own words.
std::vector<std::string> Secrets(const json::value& root) {
  std::vector<std::string> out;
  if (!root.is_object()) {
    return out;
  }
  std::vector<std::string> keys;
  for (const auto& member : root.get_object()) {
    keys.push_back(
        absl::AsciiStrToLower(absl::string_view(member.key().data(), member.key().size())));
  }
  for (const auto& member : root.get_object()) {
    if (!member.value().is_object()) {
      continue;
    }
    for (std::string_view name : {"password", "auth"}) {
      const json::value* v = member.value().get_object().if_contains(name);
      if (v == nullptr || !v->is_string()) {
        continue;
      }
      std::string secret(v->get_string());
      const std::string lower = absl::AsciiStrToLower(secret);
      bool in_key = false;
      for (const std::string& key : keys) {
        in_key = in_key || absl::StrContains(key, lower);
      }
      if (secret.size() >= 8 && IsAlnum(secret) && !in_key &&
          !absl::StrContains(absl::AsciiStrToLower(berth::Absl(kVocabulary)), lower)) {
        out.push_back(std::move(secret));
      }
    }
  }
  return out;
}

void CheckAuth(std::string_view type, std::string_view data) {
  absl::StatusOr<RegistryAuthConfig> config = RegistryAuthConfig::Parse(type, data);
  json::error_code ec;
  json::value root = json::parse(json::string_view(data.data(), data.size()), ec);
  if (!config.ok()) {
    CHECK(config.status().code() == absl::StatusCode::kInvalidArgument) << config.status();
    const std::string message(config.status().message());
    CHECK(absl::StartsWith(message, "invalid ECS_ENGINE_AUTH_TYPE") ||
          absl::StartsWith(message, "invalid ECS_ENGINE_AUTH_DATA"))
        << message;
    if (!ec && !absl::StrContains(message, "not valid JSON")) {
      for (const std::string& secret : Secrets(root)) {
        CHECK(!absl::StrContains(message, secret)) << "leaked a secret: " << message;
      }
    }
    return;
  }
  if (type.empty() || data.empty()) {
    CHECK(type.empty() && data.empty());
    CHECK(config->empty());
    return;
  }
  CHECK(!ec && root.is_object()) << "accepted data that is no JSON object";
  const std::vector<std::string> registries = config->Registries();
  CHECK(registries.size() == config->size());
  CHECK(config->size() <= root.get_object().size());
  for (const std::string& registry : registries) {
    CHECK(berth::images::NormalizeRegistryKey(registry) == registry) << registry;
    CHECK(config->Lookup(registry).has_value()) << registry;
  }
  for (const auto& member : root.get_object()) {
    const std::string key(member.key().data(), member.key().size());
    std::optional<std::string> normalized = berth::images::NormalizeRegistryKey(key);
    CHECK(normalized.has_value()) << key;
    std::optional<RegistryCredentials> creds = config->Lookup(key);
    CHECK(creds.has_value()) << key;
    CHECK(config->Lookup(*normalized) == creds) << key;
    CHECK(config->Lookup(absl::AsciiStrToUpper(key)) == creds) << key;
    CHECK(std::find(registries.begin(), registries.end(), *normalized) != registries.end());
    CHECK(!creds->username.empty() && creds->username.find(':') == std::string::npos);
    const json::object& entry = member.value().as_object();
    if (type == "docker" && absl::EqualsIgnoreCase(key, *normalized)) {
      CHECK(creds->username == entry.at("username").as_string());
      CHECK(creds->password == entry.at("password").as_string());
    }
    // Round trip: the Basic credentials as a dockercfg entry.
    const std::string basic = berth::images::BasicAuthorization(*creds);
    CHECK(absl::StartsWith(basic, "Basic "));
    json::object again;
    again[*normalized] = json::object{{"auth", basic.substr(6)}};
    absl::StatusOr<RegistryAuthConfig> reparsed =
        RegistryAuthConfig::Parse("dockercfg", json::serialize(again));
    CHECK(reparsed.ok()) << reparsed.status();
    CHECK(reparsed->Lookup(*normalized) == creds);
  }
}

void CheckToken(std::string_view body) {
  absl::StatusOr<berth::images::BearerToken> token = berth::images::ParseTokenResponse(body);
  if (!token.ok()) {
    CHECK(token.status().code() == absl::StatusCode::kInvalidArgument) << token.status();
    CHECK(absl::StartsWith(token.status().message(), "invalid token response: ")) << token.status();
    return;
  }
  CHECK(!token->token.empty());
  for (char c : token->token) {
    CHECK(c > 0x20 && c < 0x7f);
  }
  CHECK(token->expires_in >= absl::Seconds(60));
}

void CheckInsecure(std::string_view value) {
  absl::StatusOr<std::vector<std::string>> list = berth::images::ParseInsecureRegistries(value);
  if (!list.ok()) {
    CHECK(list.status().code() == absl::StatusCode::kInvalidArgument) << list.status();
    CHECK(absl::StartsWith(list.status().message(), "invalid BERTH_INSECURE_REGISTRIES '"))
        << list.status();
    return;
  }
  for (const std::string& entry : *list) {
    CHECK(entry == absl::AsciiStrToLower(entry)) << entry;
    std::optional<std::string> normalized = berth::images::NormalizeRegistryKey(entry);
    CHECK(normalized.has_value()) << entry;
  }
  const std::string joined = absl::StrJoin(*list, ",");
  absl::StatusOr<std::vector<std::string>> again = berth::images::ParseInsecureRegistries(joined);
  CHECK(again.ok() && *again == *list) << joined;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view type = kTypes[data[0] % 4];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  CheckAuth(type, rest);
  CheckToken(rest);
  CheckInsecure(rest);
  return 0;
}
