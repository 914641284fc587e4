#include "agent/images/registry_auth.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::images {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

// ---- WWW-Authenticate ----

std::vector<AuthChallenge> Challenges(std::string_view header) {
  absl::StatusOr<std::vector<AuthChallenge>> c = ParseAuthChallenges(header);
  EXPECT_TRUE(c.ok()) << header << ": " << c.status();
  return c.ok() ? *c : std::vector<AuthChallenge>{};
}

std::string ChallengeError(std::string_view header) {
  absl::StatusOr<std::vector<AuthChallenge>> c = ParseAuthChallenges(header);
  EXPECT_FALSE(c.ok()) << header << " was accepted";
  if (c.ok()) {
    return "";
  }
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << header;
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("malformed WWW-Authenticate header"));
  return std::string(c.status().message());
}

TEST(AuthChallengeTest, DockerHubBearer) {
  std::vector<AuthChallenge> c = Challenges(
      "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
      "scope=\"repository:library/busybox:pull\"");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_THAT(c[0].params, ElementsAre(Pair("realm", "https://auth.docker.io/token"),
                                       Pair("service", "registry.docker.io"),
                                       Pair("scope", "repository:library/busybox:pull")));
  EXPECT_EQ(c[0].token68, "");
  EXPECT_EQ(c[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].Param("error"), "");
}

TEST(AuthChallengeTest, QuotedCommasAndEscapes) {
  std::vector<AuthChallenge> c =
      Challenges(R"(Bearer realm="https://a/token",scope="repository:a/b:pull,push",)"
                 R"( error="insufficient_scope", title="say \"hi\" \\ \x")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].Param("scope"), "repository:a/b:pull,push");
  EXPECT_EQ(c[0].Param("error"), "insufficient_scope");
  EXPECT_EQ(c[0].Param("title"), R"(say "hi" \ x)");
  EXPECT_EQ(Challenges(R"(Basic realm="")")[0].Param("realm"), "");
}

TEST(AuthChallengeTest, SeveralChallengesInOneHeader) {
  // RFC 7235 §4.1's example.
  std::vector<AuthChallenge> c = Challenges(
      R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "newauth");
  EXPECT_THAT(c[0].params, ElementsAre(Pair("realm", "apps"), Pair("type", "1"),
                                       Pair("title", "Login to \"apps\"")));
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_THAT(c[1].params, ElementsAre(Pair("realm", "simple")));

  c = Challenges(R"(Basic realm="r", Bearer realm="https://t/token",service=s, Negotiate)");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].Param("service"), "s");
  EXPECT_EQ(c[2].scheme, "negotiate");
  EXPECT_THAT(c[2].params, IsEmpty());

  c = Challenges("Negotiate, Basic realm=x");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "negotiate");
  EXPECT_EQ(c[1].Param("realm"), "x");
}

TEST(AuthChallengeTest, BasicRealm) {
  std::vector<AuthChallenge> c = Challenges("Basic realm=\"Registry Realm\", charset=\"UTF-8\"");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].Param("realm"), "Registry Realm");
  EXPECT_EQ(c[0].Param("charset"), "UTF-8");
}

TEST(AuthChallengeTest, Token68) {
  std::vector<AuthChallenge> c = Challenges("Negotiate YIIB+/x-._~==");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "negotiate");
  EXPECT_EQ(c[0].token68, "YIIB+/x-._~==");
  EXPECT_THAT(c[0].params, IsEmpty());

  EXPECT_EQ(Challenges("Bearer realm=")[0].token68, "realm=");

  // "a=" is a token68 (a parameter needs a value); "a=b" is a parameter.
  c = Challenges("Foo a= , Bar a=b, Baz abc");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].token68, "a=");
  EXPECT_THAT(c[1].params, ElementsAre(Pair("a", "b")));
  EXPECT_EQ(c[1].token68, "");
  EXPECT_EQ(c[2].token68, "abc");
}

TEST(AuthChallengeTest, SchemeAndNamesAreCaseInsensitive) {
  std::vector<AuthChallenge> c = Challenges("BEARER Realm=\"https://T/Token\", SERVICE=Reg");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_THAT(c[0].params, ElementsAre(Pair("realm", "https://T/Token"), Pair("service", "Reg")));
  EXPECT_EQ(c[0].Param("REALM"), "https://T/Token");
  EXPECT_EQ(c[0].Param("Service"), "Reg");
}

TEST(AuthChallengeTest, WhitespaceVariants) {
  for (std::string_view header : {
           "Bearer realm=\"r\",service=\"s\"",
           "  Bearer   realm = \"r\" ,  service=s  ",
           "\tBearer\trealm=\t\"r\"\t,\tservice\t=\ts\t",
           ", ,Bearer realm=r,, ,service=s,",
       }) {
    std::vector<AuthChallenge> c = Challenges(header);
    ASSERT_EQ(c.size(), 1u) << header;
    EXPECT_EQ(c[0].scheme, "bearer") << header;
    EXPECT_THAT(c[0].params, ElementsAre(Pair("realm", "r"), Pair("service", "s"))) << header;
  }
}

TEST(AuthChallengeTest, Malformed) {
  EXPECT_THAT(ChallengeError(""), HasSubstr("no challenge"));
  EXPECT_THAT(ChallengeError("  , ,"), HasSubstr("no challenge"));
  EXPECT_THAT(ChallengeError("Bearer realm=\"https://a/token"),
              HasSubstr("unterminated quoted string at byte 13"));
  EXPECT_THAT(ChallengeError("Bearer realm=\"x\\"), HasSubstr("unterminated quoted string"));
  EXPECT_THAT(ChallengeError("=\"x\""), HasSubstr("expected an auth-scheme, found '='"));
  EXPECT_THAT(ChallengeError("Basic realm=x, =y"), HasSubstr("expected an auth-param name"));
  EXPECT_THAT(ChallengeError("\"Bearer\""), HasSubstr("expected an auth-scheme"));
  EXPECT_THAT(ChallengeError("Bearer service=s, realm="),
              HasSubstr("the auth-param 'realm' has no value"));
  EXPECT_THAT(ChallengeError("Bearer service=s,realm=,x=y"), HasSubstr("has no value"));
  // "realm=" alone is a token68 by the grammar, so what follows starts a challenge.
  EXPECT_THAT(ChallengeError("Bearer realm=,service=s"),
              HasSubstr("expected a space after the auth-scheme 'service'"));
  EXPECT_THAT(ChallengeError("Bearer realm=\"a\" service=\"b\""),
              HasSubstr("expected ',' after an auth-param, found 's'"));
  EXPECT_THAT(ChallengeError("Bearer realm=https://a/token"),
              HasSubstr("expected ',' after an auth-param, found ':'"));
  EXPECT_THAT(ChallengeError("Bearer realm=\"a\", Realm=\"b\""),
              HasSubstr("the auth-param 'realm' is given twice"));
  EXPECT_THAT(ChallengeError("Bearer=x"), HasSubstr("expected a space after the auth-scheme"));
  EXPECT_THAT(ChallengeError("Bearer \"x\""), HasSubstr("expected an auth-param name"));
  EXPECT_THAT(ChallengeError("Basic foo bar"), HasSubstr("expected '=' after the auth-param"));
  EXPECT_THAT(ChallengeError("Bearer realm=\"a\nb\""), HasSubstr("control character 0x0A"));
  EXPECT_THAT(ChallengeError("Bearer realm=x;"), HasSubstr("found ';'"));
  EXPECT_THAT(ChallengeError("Bearer\x01"), HasSubstr("0x01"));
}

// ---- ECS_ENGINE_AUTH_TYPE / ECS_ENGINE_AUTH_DATA ----

constexpr std::string_view kPassword = "S3cr3t-Pa55";
// base64("alice:S3cr3t-Pa55")
constexpr std::string_view kAuth = "YWxpY2U6UzNjcjN0LVBhNTU=";

RegistryAuthConfig Auth(std::string_view type, std::string_view data) {
  absl::StatusOr<RegistryAuthConfig> c = RegistryAuthConfig::Parse(type, data);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : RegistryAuthConfig{};
}

// The error for a bad value; it must be InvalidArgument and never leak the
// password or the auth value.
std::string AuthError(std::string_view type, std::string_view data) {
  absl::StatusOr<RegistryAuthConfig> c = RegistryAuthConfig::Parse(type, data);
  EXPECT_FALSE(c.ok()) << type << " " << data << " was accepted";
  if (c.ok()) {
    return "";
  }
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(c.status().message());
  EXPECT_THAT(message, Not(HasSubstr(kPassword))) << "leaks the password";
  EXPECT_THAT(message, Not(HasSubstr(kAuth))) << "leaks the auth value";
  EXPECT_THAT(message, Not(HasSubstr("S3cr3t"))) << "leaks part of the password";
  EXPECT_THAT(message, HasSubstr("ECS_ENGINE_AUTH_"));
  return message;
}

std::string DockerData(std::string_view key, std::string_view entry) {
  return "{\"" + std::string(key) + "\": " + std::string(entry) + "}";
}

TEST(RegistryAuthConfigTest, UnsetIsEmpty) {
  RegistryAuthConfig c = Auth("", "");
  EXPECT_EQ(c.size(), 0u);
  EXPECT_TRUE(c.empty());
  EXPECT_FALSE(c.Lookup("docker.io").has_value());
  EXPECT_FALSE(RegistryAuthConfig().Lookup("docker.io").has_value());
  EXPECT_EQ(Auth("docker", "{}").size(), 0u);
}

TEST(RegistryAuthConfigTest, DockerType) {
  RegistryAuthConfig c = Auth("docker", R"({
    "my.registry.example.com": {"username": "myUsername", "password": "S3cr3t-Pa55"},
    "https://index.docker.io/v1/": {"username": "hub", "password": "p:w", "email": "a@b.c"},
    "localhost:5000": {"username": "local", "password": ""}
  })");
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.Lookup("my.registry.example.com"),
            (RegistryCredentials{"myUsername", std::string(kPassword)}));
  EXPECT_EQ(c.Lookup("docker.io"), (RegistryCredentials{"hub", "p:w"}));
  EXPECT_EQ(c.Lookup("localhost:5000"), (RegistryCredentials{"local", ""}));
  EXPECT_FALSE(c.Lookup("other.example.com").has_value());
  EXPECT_THAT(c.Registries(),
              ElementsAre("docker.io", "localhost:5000", "my.registry.example.com"));
}

TEST(RegistryAuthConfigTest, DockercfgType) {
  RegistryAuthConfig c = Auth("dockercfg", R"({
    "http://myregistry.com/v1/": {"auth": "dXNlcjpzd29yZGZpc2g=", "email": "email"},
    "docker.io": {"auth": "YWxpY2U6UzNjcjN0LVBhNTU="},
    "colons.example.com": {"auth": "dTphOmI6"}
  })");
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(c.Lookup("myregistry.com"), (RegistryCredentials{"user", "swordfish"}));
  EXPECT_EQ(c.Lookup("docker.io"), (RegistryCredentials{"alice", std::string(kPassword)}));
  // Split at the first ':', as Amazon's agent and Docker do: the password keeps the others.
  EXPECT_EQ(c.Lookup("colons.example.com"), (RegistryCredentials{"u", "a:b:"}));
}

TEST(RegistryAuthConfigTest, BasicAuthorizationRoundTripsThroughDockercfg) {
  // RFC 7617's example.
  EXPECT_EQ(BasicAuthorization({"Aladdin", "open sesame"}), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(BasicAuthorization({"a", ""}), "Basic YTo=");
  EXPECT_EQ(BasicAuthorization({"ab", "c"}), "Basic YWI6Yw==");
  EXPECT_EQ(BasicAuthorization({"alice", std::string(kPassword)}), "Basic " + std::string(kAuth));
  for (const RegistryCredentials& creds :
       {RegistryCredentials{"u", ""}, RegistryCredentials{"user", "p"},
        RegistryCredentials{"us", "pä:ß/+="}, RegistryCredentials{"longer-user", "xyz123!"}}) {
    std::string auth = BasicAuthorization(creds).substr(6);
    RegistryAuthConfig c =
        Auth("dockercfg", DockerData("r.example", "{\"auth\": \"" + auth + "\"}"));
    EXPECT_EQ(c.Lookup("r.example"), creds) << auth;
  }
}

TEST(RegistryAuthConfigTest, TypeAndDataMustComeTogether) {
  EXPECT_EQ(AuthError("", "{}"),
            "invalid ECS_ENGINE_AUTH_TYPE: unset, but ECS_ENGINE_AUTH_DATA is set; expected "
            "docker or dockercfg");
  EXPECT_EQ(AuthError("docker", ""),
            "invalid ECS_ENGINE_AUTH_DATA: unset, but ECS_ENGINE_AUTH_TYPE is docker");
  EXPECT_EQ(AuthError("dockercfg", ""),
            "invalid ECS_ENGINE_AUTH_DATA: unset, but ECS_ENGINE_AUTH_TYPE is dockercfg");
  EXPECT_EQ(AuthError("ecr", "{}"),
            "invalid ECS_ENGINE_AUTH_TYPE 'ecr': expected docker or dockercfg");
  EXPECT_THAT(AuthError("Docker", "{}"), HasSubstr("ECS_ENGINE_AUTH_TYPE 'Docker'"));
}

TEST(RegistryAuthConfigTest, MalformedDataNeverLeaksSecrets) {
  const std::string pw = std::string(kPassword);
  // Malformed JSON right after the password.
  EXPECT_THAT(AuthError("docker", R"({"r.example": {"username": "u", "password": "S3cr3t-Pa55" )"),
              HasSubstr("invalid ECS_ENGINE_AUTH_DATA: not valid JSON"));
  EXPECT_THAT(AuthError("docker", "{\"r.example\": {\"username\": \"u\", \"password\": \"" + pw +
                                      "\"}} trailing"),
              HasSubstr("not valid JSON"));
  EXPECT_THAT(AuthError("docker", "[\"" + pw + "\"]"),
              HasSubstr("invalid ECS_ENGINE_AUTH_DATA: not a JSON object"));
  EXPECT_THAT(AuthError("dockercfg", "\"" + std::string(kAuth) + "\""),
              HasSubstr("not a JSON object"));
  EXPECT_EQ(AuthError("docker", DockerData("r.example", "\"" + pw + "\"")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': not a JSON object; expected a "
            "JSON object {\"<registry>\": {\"username\": ..., \"password\": ...}}");
  EXPECT_EQ(AuthError("dockercfg", DockerData("r.example", "[\"" + std::string(kAuth) + "\"]")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': not a JSON object; expected a "
            "JSON object {\"<registry>\": {\"auth\": \"<base64 of user:password>\"}}");
}

TEST(RegistryAuthConfigTest, DockerEntryErrors) {
  const std::string pw = std::string(kPassword);
  EXPECT_EQ(AuthError("docker", DockerData("r.example", "{\"password\": \"" + pw + "\"}")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': \"username\" is missing");
  EXPECT_EQ(AuthError("docker", DockerData("r.example", R"({"username": "u"})")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': \"password\" is missing");
  EXPECT_EQ(AuthError("docker", DockerData("r.example", R"({"username": "u", "password": null})")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': \"password\" is missing");
  EXPECT_EQ(AuthError("docker", DockerData("r.example", R"({"username": "u", "password": 12345})")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': \"password\" is not a string");
  EXPECT_EQ(AuthError("docker",
                      DockerData("r.example", "{\"username\": [1], \"password\": \"" + pw + "\"}")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': \"username\" is not a string");
  EXPECT_EQ(AuthError("docker", DockerData("r.example",
                                           "{\"username\": \"\", \"password\": \"" + pw + "\"}")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': the username is empty");
  EXPECT_EQ(AuthError("docker", DockerData("r.example", "{\"username\": \"a:b\", \"password\": \"" +
                                                            pw + "\"}")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': the username contains ':'");
  EXPECT_EQ(AuthError("docker", DockerData("r.example", "{\"username\": \"u\", \"password\": \"" +
                                                            pw + "\\n\"}")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': the password contains a control "
            "character");
  // The dockercfg shape under type docker.
  EXPECT_EQ(
      AuthError("docker", DockerData("r.example", "{\"auth\": \"" + std::string(kAuth) + "\"}")),
      "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': \"username\" is missing");
}

TEST(RegistryAuthConfigTest, DockercfgEntryErrors) {
  EXPECT_EQ(AuthError("dockercfg", DockerData("r.example", R"({"email": "e"})")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': \"auth\" is missing");
  EXPECT_EQ(AuthError("dockercfg", DockerData("r.example", R"({"auth": 7})")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': \"auth\" is not a string");
  const std::string not_base64 =
      "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': \"auth\" "
      "is not padded standard base64";
  // Unpadded, a character outside the alphabet, URL-safe alphabet, padding inside, a newline.
  for (std::string_view bad :
       {"YWxpY2U6UzNjcjN0LVBhNTU", "YWxpY2U6UzNjcjN0LVBhNTU*", "YWxpY2U6UzNjcjN0LVBhNTU=YWxp",
        "YW-_", "YQ=a", "YWxpY2U6\\nUzNjcjN0LVBhNTU=", "====", "Y==="}) {
    EXPECT_EQ(
        AuthError("dockercfg", DockerData("r.example", "{\"auth\": \"" + std::string(bad) + "\"}")),
        not_base64)
        << bad;
  }
  // base64("aliceS3cr3t-Pa55"): no ':'.
  EXPECT_EQ(
      AuthError("dockercfg", DockerData("r.example", R"({"auth": "YWxpY2VTM2NyM3QtUGE1NQ=="})")),
      "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': \"auth\" does not decode to "
      "username:password (no ':')");
  EXPECT_THAT(AuthError("dockercfg", DockerData("r.example", R"({"auth": ""})")),
              HasSubstr("no ':'"));
  // base64(":S3cr3t-Pa55"): an empty username.
  EXPECT_EQ(AuthError("dockercfg", DockerData("r.example", R"({"auth": "OlMzY3IzdC1QYTU1"})")),
            "invalid ECS_ENGINE_AUTH_DATA: registry 'r.example': the username is empty");
}

TEST(RegistryAuthConfigTest, ConfigJsonIsRecognized) {
  // `docker login` has written ~/.docker/config.json, with "auths", since Docker 1.7.
  EXPECT_EQ(
      AuthError("dockercfg", R"({"auths": {"r.example": {"auth": "YWxpY2U6UzNjcjN0LVBhNTU="}}})"),
      "invalid ECS_ENGINE_AUTH_DATA: registry 'auths': this is a ~/.docker/config.json; "
      "dockercfg takes the object inside \"auths\" (the older ~/.dockercfg)");
}

TEST(RegistryAuthConfigTest, ARepeatedKeyKeepsItsLastEntryLikeGo) {
  RegistryAuthConfig c = Auth("docker", R"({"r.example": {"username": "first", "password": "1"},
                                            "r.example": {"username": "last", "password": "2"}})");
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.Lookup("r.example")->username, "last");
}

TEST(RegistryAuthConfigTest, BadRegistryKeys) {
  for (std::string_view key :
       {"", "https://", "http:///v2/", "ho st", "host:0", "host:65536", "host:", "host:05000",
        "ftp://host", "user@host", "-host.example", "host..example", "[::1", "[zz]:5000", "[]:1",
        "host:5000x", "ho_st.example"}) {
    std::string message = AuthError(
        "docker", DockerData(key, "{\"username\": \"u\", \"password\": \"S3cr3t-Pa55\"}"));
    EXPECT_THAT(message, HasSubstr("registry '" + std::string(key) + "': not a registry")) << key;
  }
}

TEST(RegistryAuthConfigTest, KeysAreNormalizedLikeDocker) {
  EXPECT_EQ(NormalizeRegistryKey("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(NormalizeRegistryKey("index.docker.io/v1/"), "docker.io");  // Amazon's own key
  EXPECT_EQ(NormalizeRegistryKey("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(NormalizeRegistryKey("Docker.IO"), "docker.io");
  EXPECT_EQ(NormalizeRegistryKey("HTTP://Registry.Example.com:5000/v2/team/app"),
            "registry.example.com:5000");
  EXPECT_EQ(NormalizeRegistryKey("[::1]:5000"), "[::1]:5000");
  EXPECT_EQ(NormalizeRegistryKey("[FE80::1]"), "[fe80::1]");
  EXPECT_EQ(NormalizeRegistryKey("127.0.0.1:5000"), "127.0.0.1:5000");
  EXPECT_EQ(NormalizeRegistryKey("localhost"), "localhost");
  EXPECT_EQ(NormalizeRegistryKey("index.docker.io:443"), "index.docker.io:443");
  EXPECT_EQ(NormalizeRegistryKey("https://"), std::nullopt);
  EXPECT_EQ(NormalizeRegistryKey("a b"), std::nullopt);
}

TEST(RegistryAuthConfigTest, LookupDockerHubAliases) {
  RegistryAuthConfig c =
      Auth("docker", R"({"https://index.docker.io/v1/": {"username": "hub", "password": "pw"}})");
  for (std::string_view domain : {"docker.io", "index.docker.io", "registry-1.docker.io",
                                  "DOCKER.IO", "https://docker.io/"}) {
    EXPECT_EQ(c.Lookup(domain), (RegistryCredentials{"hub", "pw"})) << domain;
  }
  EXPECT_FALSE(c.Lookup("hub.docker.com").has_value());
  EXPECT_FALSE(c.Lookup("docker.io:443").has_value());
}

TEST(RegistryAuthConfigTest, LookupMatchesHostAndPortExactly) {
  RegistryAuthConfig c = Auth("docker", R"({
    "localhost:5000": {"username": "five", "password": "p5"},
    "localhost": {"username": "plain", "password": "p"},
    "https://Registry.Example.com/v2/team": {"username": "team", "password": "t"},
    "[::1]:5000": {"username": "six", "password": "p6"}
  })");
  EXPECT_EQ(c.Lookup("localhost:5000")->username, "five");
  EXPECT_EQ(c.Lookup("localhost")->username, "plain");
  EXPECT_FALSE(c.Lookup("localhost:5001").has_value());
  EXPECT_EQ(c.Lookup("registry.example.com")->username, "team");
  EXPECT_EQ(c.Lookup("REGISTRY.example.com")->username, "team");
  EXPECT_FALSE(c.Lookup("registry.example.com:443").has_value());
  EXPECT_EQ(c.Lookup("[::1]:5000")->username, "six");
  EXPECT_FALSE(c.Lookup("[::1]").has_value());
  EXPECT_FALSE(c.Lookup("").has_value());
}

TEST(RegistryAuthConfigTest, TheKeyWrittenAsTheDomainWins) {
  // In either order.
  for (bool url_first : {true, false}) {
    std::string url = R"("https://index.docker.io/v1/": {"username": "url", "password": "u"})";
    std::string exact = R"("docker.io": {"username": "exact", "password": "e"})";
    RegistryAuthConfig c =
        Auth("docker", "{" + (url_first ? url + "," + exact : exact + "," + url) + "}");
    EXPECT_EQ(c.size(), 1u);
    EXPECT_EQ(c.Lookup("docker.io")->username, "exact");
  }
  RegistryAuthConfig c = Auth("docker", R"({
    "https://r.example:5000/v2/": {"username": "url", "password": "u"},
    "R.Example:5000": {"username": "exact", "password": "e"}})");
  EXPECT_EQ(c.Lookup("r.example:5000")->username, "exact");
}

TEST(RegistryAuthConfigTest, AmbiguousKeysAreRefused) {
  EXPECT_EQ(AuthError("docker", R"({
    "https://index.docker.io/v1/": {"username": "a", "password": "S3cr3t-Pa55"},
    "index.docker.io": {"username": "b", "password": "S3cr3t-Pa55"}})"),
            "invalid ECS_ENGINE_AUTH_DATA: registry keys 'https://index.docker.io/v1/' and "
            "'index.docker.io' both name registry docker.io; keep one");
  EXPECT_THAT(AuthError("dockercfg", R"({
    "https://r.example/v1/": {"auth": "YWxpY2U6UzNjcjN0LVBhNTU="},
    "http://r.example/v2/": {"auth": "YWxpY2U6UzNjcjN0LVBhNTU="}})"),
              HasSubstr("both name registry r.example"));
}

// ---- token responses ----

BearerToken Token(std::string_view body) {
  absl::StatusOr<BearerToken> t = ParseTokenResponse(body);
  EXPECT_TRUE(t.ok()) << body << ": " << t.status();
  return t.ok() ? *t : BearerToken{};
}

std::string TokenError(std::string_view body) {
  absl::StatusOr<BearerToken> t = ParseTokenResponse(body);
  EXPECT_FALSE(t.ok()) << body << " was accepted";
  if (t.ok()) {
    return "";
  }
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(t.status().message()), Not(HasSubstr("SECRET")));
  return std::string(t.status().message());
}

TEST(TokenResponseTest, TokenOrAccessToken) {
  EXPECT_EQ(Token(R"({"token": "abc.def.ghi", "expires_in": 300,
                      "issued_at": "2024-01-01T00:00:00Z"})")
                .token,
            "abc.def.ghi");
  EXPECT_EQ(Token(R"({"access_token": "oauth"})").token, "oauth");
  EXPECT_EQ(Token(R"({"token": "t", "access_token": "a"})").token, "t");
  EXPECT_EQ(Token(R"({"token": "", "access_token": "a"})").token, "a");
  EXPECT_EQ(Token(R"({"token": null, "access_token": "a"})").token, "a");
  EXPECT_EQ(TokenError(R"({"expires_in": 300})"),
            "invalid token response: neither \"token\" nor \"access_token\" is given");
  EXPECT_THAT(TokenError(R"({"token": "", "access_token": ""})"), HasSubstr("neither"));
  EXPECT_EQ(TokenError(R"({"token": 5})"), "invalid token response: \"token\" is not a string");
  EXPECT_THAT(TokenError(R"({"access_token": ["x"]})"), HasSubstr("\"access_token\" is not"));
  EXPECT_THAT(TokenError("[]"), HasSubstr("not a JSON object"));
  EXPECT_THAT(TokenError("<html>401</html>"), HasSubstr("not valid JSON"));
  EXPECT_THAT(TokenError(""), HasSubstr("not valid JSON"));
}

TEST(TokenResponseTest, ExpiresIn) {
  EXPECT_EQ(Token(R"({"token": "t"})").expires_in, absl::Seconds(60));
  EXPECT_EQ(Token(R"({"token": "t", "expires_in": null})").expires_in, absl::Seconds(60));
  EXPECT_EQ(Token(R"({"token": "t", "expires_in": 0})").expires_in, absl::Seconds(60));
  EXPECT_EQ(Token(R"({"token": "t", "expires_in": 59})").expires_in, absl::Seconds(60));
  EXPECT_EQ(Token(R"({"token": "t", "expires_in": -3600})").expires_in, absl::Seconds(60));
  EXPECT_EQ(Token(R"({"token": "t", "expires_in": 61})").expires_in, absl::Seconds(61));
  EXPECT_EQ(Token(R"({"token": "t", "expires_in": 3600})").expires_in, absl::Hours(1));
  EXPECT_EQ(Token(R"({"token": "t", "expires_in": 300.9})").expires_in, absl::Seconds(300));
  EXPECT_EQ(Token(R"({"token": "t", "expires_in": 31536000000})").expires_in,
            absl::Hours(24 * 365 * 1000));
  const absl::Duration huge = absl::Seconds(std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Token(R"({"token": "t", "expires_in": 18446744073709551615})").expires_in, huge);
  EXPECT_EQ(Token(R"({"token": "t", "expires_in": 1e300})").expires_in, huge);
  EXPECT_EQ(TokenError(R"({"token": "t", "expires_in": "3600"})"),
            "invalid token response: \"expires_in\" is not a number");
  EXPECT_THAT(TokenError(R"({"token": "t", "expires_in": true})"), HasSubstr("not a number"));
}

TEST(TokenResponseTest, TheTokenMustFitInAHeader) {
  for (std::string_view body :
       {R"({"token": "SECRET with space"})", R"({"token": "SECRET\r\nX: y"})",
        R"({"token": "SECRET\u0000"})", R"({"token": "SECRET\t"})", R"({"token": "SECRETé"})",
        R"({"access_token": "SECRET\u007f"})"}) {
    EXPECT_THAT(TokenError(body), HasSubstr("cannot be sent in a header")) << body;
  }
  EXPECT_EQ(Token(R"({"token": "eyJ0eXAi.OiJKV1Q-_~+/=!#$%&'*^`|"})").token,
            "eyJ0eXAi.OiJKV1Q-_~+/=!#$%&'*^`|");
}

// ---- token request URLs ----

AuthChallenge Bearer(std::string_view header) {
  std::vector<AuthChallenge> c = Challenges(header);
  return c.empty() ? AuthChallenge{} : c[0];
}

std::string UrlError(std::string_view header, std::string_view scope = "repository:a:pull") {
  absl::StatusOr<std::string> url = TokenRequestUrl(Bearer(header), scope);
  EXPECT_FALSE(url.ok()) << header << " gave " << (url.ok() ? *url : "");
  if (url.ok()) {
    return "";
  }
  EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(url.status().message());
}

TEST(TokenRequestUrlTest, DockerHub) {
  absl::StatusOr<std::string> url = TokenRequestUrl(
      Bearer(R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io")"),
      "repository:library/busybox:pull");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(*url,
            "https://auth.docker.io/token?service=registry.docker.io&"
            "scope=repository%3Alibrary%2Fbusybox%3Apull");
}

TEST(TokenRequestUrlTest, Encoding) {
  absl::StatusOr<std::string> url =
      TokenRequestUrl(Bearer(R"(Bearer realm="http://127.0.0.1:5001/auth",service="my reg&x=1")"),
                      "repository:team/app:pull,push");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(*url,
            "http://127.0.0.1:5001/auth?service=my%20reg%26x%3D1&"
            "scope=repository%3Ateam%2Fapp%3Apull%2Cpush");
  url = TokenRequestUrl(Bearer(R"(Bearer realm="https://t/token",service="a-b_c.d~e")"), "");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(*url, "https://t/token?service=a-b_c.d~e");
}

TEST(TokenRequestUrlTest, OmitsWhatIsMissing) {
  EXPECT_EQ(*TokenRequestUrl(Bearer(R"(Bearer realm="https://t/token")"), "repository:a:pull"),
            "https://t/token?scope=repository%3Aa%3Apull");
  EXPECT_EQ(*TokenRequestUrl(Bearer(R"(Bearer realm="https://t/token",service="")"), ""),
            "https://t/token");
}

TEST(TokenRequestUrlTest, RealmWithAQuery) {
  EXPECT_EQ(*TokenRequestUrl(Bearer(R"(Bearer realm="https://t/token?x=1",service=s)"), "a"),
            "https://t/token?x=1&service=s&scope=a");
  EXPECT_EQ(*TokenRequestUrl(Bearer(R"(Bearer realm="https://t/token?",service=s)"), ""),
            "https://t/token?service=s");
  EXPECT_EQ(*TokenRequestUrl(Bearer(R"(Bearer realm="HTTPS://T:8443",service=s)"), ""),
            "HTTPS://T:8443?service=s");
}

TEST(TokenRequestUrlTest, BadRealms) {
  EXPECT_EQ(UrlError(R"(Bearer service="s")"), "invalid bearer challenge: it has no realm");
  EXPECT_EQ(UrlError(R"(Bearer realm="")"), "invalid bearer challenge: it has no realm");
  EXPECT_EQ(UrlError(R"(Bearer realm="/token")"),
            "invalid bearer challenge realm '/token': expected an absolute http:// or https:// "
            "URL");
  EXPECT_THAT(UrlError(R"(Bearer realm="ftp://t/token")"), HasSubstr("absolute http://"));
  EXPECT_THAT(UrlError(R"(Bearer realm="auth.docker.io/token")"), HasSubstr("absolute http://"));
  EXPECT_THAT(UrlError(R"(Bearer realm="https:///token")"), HasSubstr("no host"));
  EXPECT_THAT(UrlError(R"(Bearer realm="https://")"), HasSubstr("no host"));
  EXPECT_THAT(UrlError(R"(Bearer realm="https://?x")"), HasSubstr("no host"));
  EXPECT_THAT(UrlError(R"(Bearer realm="https://t/to ken")"), HasSubstr("no spaces"));
  EXPECT_THAT(UrlError("Bearer realm=\"https://t/token\tx\""), HasSubstr("no spaces"));
  EXPECT_THAT(UrlError(R"(Bearer realm="https://t/token#f")"), HasSubstr("no fragment"));
  EXPECT_THAT(UrlError(R"(Bearer realm="https://u:p@t/token")"), HasSubstr("user info"));
}

// ---- BERTH_INSECURE_REGISTRIES ----

std::string InsecureError(std::string_view value) {
  absl::StatusOr<std::vector<std::string>> r = ParseInsecureRegistries(value);
  EXPECT_FALSE(r.ok()) << value << " was accepted";
  if (r.ok()) {
    return "";
  }
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("invalid BERTH_INSECURE_REGISTRIES '" + std::string(value) + "'"));
  return std::string(r.status().message());
}

TEST(InsecureRegistriesTest, Lists) {
  EXPECT_THAT(*ParseInsecureRegistries(""), IsEmpty());
  EXPECT_THAT(*ParseInsecureRegistries("  \t"), IsEmpty());
  EXPECT_THAT(*ParseInsecureRegistries("localhost:5000"), ElementsAre("localhost:5000"));
  EXPECT_THAT(
      *ParseInsecureRegistries(" Registry.Local , [::1]:5000,10.0.0.1:5000 ,registry.local"),
      ElementsAre("registry.local", "[::1]:5000", "10.0.0.1:5000"));
}

TEST(InsecureRegistriesTest, BadEntries) {
  EXPECT_EQ(InsecureError("http://localhost:5000"),
            "invalid BERTH_INSECURE_REGISTRIES 'http://localhost:5000': entry "
            "'http://localhost:5000' has a scheme; expected host[:port] (plain HTTP is implied)");
  EXPECT_EQ(InsecureError("a.example,localhost:5000/v2"),
            "invalid BERTH_INSECURE_REGISTRIES 'a.example,localhost:5000/v2': entry "
            "'localhost:5000/v2' has a path; expected host[:port]");
  EXPECT_THAT(InsecureError("a,,b"), HasSubstr("an entry is empty"));
  EXPECT_THAT(InsecureError("a, "), HasSubstr("an entry is empty"));
  EXPECT_THAT(InsecureError(",a"), HasSubstr("an entry is empty"));
  for (std::string_view bad : {"host:0", "host:65536", "host:", "ho st", "ho_st", "-a.example",
                               "[::1", "[::g]:1", "user@host", "a..b"}) {
    EXPECT_THAT(InsecureError(bad),
                HasSubstr("entry '" + std::string(bad) + "' is not host[:port]"))
        << bad;
  }
}

}  // namespace
}  // namespace berth::images
