#include "control/auth/authenticator.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "control/api/ecs_error.h"
#include "control/auth/sigv4.h"
#include "ecs/json_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::control::auth {
namespace {

using ::testing::HasSubstr;

// A request botocore signed (make_botocore_fixtures.py), as it reaches us.
struct Fixture {
  std::string name;
  io::HttpRequest request;
  std::string access_key_id, secret, region;
  bool has_session_token = false;
  absl::Time now;
};

std::vector<Fixture> LoadFixtures() {
  std::vector<Fixture> out;
  for (const auto& entry : std::filesystem::directory_iterator(BERTH_AUTH_TESTDATA)) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    absl::StatusOr<boost::json::value> json = ecs::ParseJson(text.str());
    EXPECT_TRUE(json.ok()) << entry.path();
    const boost::json::object& o = json->as_object();
    auto str = [&](const char* k) { return std::string(o.at(k).as_string()); };
    Fixture f;
    f.name = entry.path().filename();
    f.request.method = str("method");
    f.request.target = str("target");
    f.request.body = str("body");
    for (const auto& h : o.at("headers").as_array()) {
      f.request.headers.emplace_back(std::string(h.as_array()[0].as_string()),
                                     std::string(h.as_array()[1].as_string()));
    }
    f.access_key_id = str("access_key_id");
    f.secret = str("secret_access_key");
    f.region = str("region");
    f.has_session_token = !o.at("session_token").is_null();
    EXPECT_TRUE(ParseAmzDate(str("now"), &f.now));
    out.push_back(std::move(f));
  }
  return out;
}

CredentialSet Credentials(std::string_view text) {
  absl::StatusOr<CredentialSet> set = CredentialSet::Parse(text);
  EXPECT_TRUE(set.ok()) << set.status();
  return *std::move(set);
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  std::string Type(const absl::StatusOr<Caller>& result) { return EcsErrorType(result.status()); }

  io::HttpRequest Signed(std::string body = "{}") {
    io::HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.headers = {{"Host", "127.0.0.1:8080"},
                 {"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListClusters"}};
    r.body = std::move(body);
    SignRequest(r, {"AKID", "SECRET"}, "us-east-1", "ecs", clock_.Now());
    return r;
  }

  io::FakeTimeSource clock_;
  Authenticator auth_{AuthOptions{}, Credentials("AKID SECRET\nOTHER KEY2\n"), clock_};
  Authenticator dev_{AuthOptions{}, std::nullopt, clock_};
};

TEST_F(AuthenticatorTest, AcceptsEveryBotocoreSignedFixture) {
  std::vector<Fixture> fixtures = LoadFixtures();
  ASSERT_GE(fixtures.size(), 5u);
  for (const Fixture& f : fixtures) {
    io::FakeTimeSource clock(f.now + absl::Seconds(30));
    Authenticator auth(AuthOptions{f.region, "ecs"},
                       Credentials(absl::StrCat(f.access_key_id, " ", f.secret)), clock);
    absl::StatusOr<Caller> caller = auth.Authenticate(f.request);
    if (f.has_session_token) {
      // berth has no STS: a temporary credential is not one of its keys.
      EXPECT_EQ(Type(caller), ecs_errors::kUnrecognizedClient) << f.name;
      continue;
    }
    ASSERT_TRUE(caller.ok()) << f.name << ": " << caller.status();
    EXPECT_TRUE(caller->verified);
    EXPECT_EQ(caller->access_key_id, f.access_key_id);
  }
}

TEST_F(AuthenticatorTest, SignRequestMatchesBotocoreByteForByte) {
  for (const Fixture& f : LoadFixtures()) {
    io::HttpRequest mine = f.request;
    std::string theirs(f.request.Header("Authorization"));
    // Sign only what botocore signed: drop what it adds after signing.
    std::erase_if(mine.headers, [](const auto& h) {
      return h.first == "Content-Length" || h.first == "amz-sdk-invocation-id" ||
             h.first == "amz-sdk-request";
    });
    if (f.has_session_token) {
      continue;
    }
    SignRequest(mine, {f.access_key_id, f.secret}, f.region, "ecs", f.now);
    EXPECT_EQ(mine.Header("Authorization"), theirs) << f.name;
  }
}

TEST_F(AuthenticatorTest, TamperingBreaksTheSignature) {
  for (const Fixture& f : LoadFixtures()) {
    if (f.has_session_token) {
      continue;
    }
    io::FakeTimeSource clock(f.now);
    Authenticator auth(AuthOptions{f.region, "ecs"},
                       Credentials(absl::StrCat(f.access_key_id, " ", f.secret)), clock);
    io::HttpRequest body = f.request;
    body.body += " ";
    EXPECT_EQ(Type(auth.Authenticate(body)), ecs_errors::kInvalidSignature) << f.name;
    io::HttpRequest target = f.request;
    for (auto& [name, value] : target.headers) {
      if (name == "X-Amz-Target") {
        value += "X";
      }
    }
    EXPECT_EQ(Type(auth.Authenticate(target)), ecs_errors::kInvalidSignature) << f.name;
    io::HttpRequest path = f.request;
    path.target = "/other" + path.target;
    EXPECT_EQ(Type(auth.Authenticate(path)), ecs_errors::kInvalidSignature) << f.name;
    // An unsigned header may change.
    io::HttpRequest agent = f.request;
    agent.headers.emplace_back("User-Agent", "something else");
    EXPECT_TRUE(auth.Authenticate(agent).ok()) << f.name;
  }
}

TEST_F(AuthenticatorTest, WrongSecretIsInvalidSignature) {
  io::HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"Host", "h"}};
  SignRequest(r, {"AKID", "NOT-THE-SECRET"}, "us-east-1", "ecs", clock_.Now());
  absl::StatusOr<Caller> caller = auth_.Authenticate(r);
  EXPECT_EQ(Type(caller), ecs_errors::kInvalidSignature);
  EXPECT_THAT(std::string(caller.status().message()),
              HasSubstr("The request signature we calculated does not match"));
}

TEST_F(AuthenticatorTest, UnknownKeyIsUnrecognizedClient) {
  io::HttpRequest r = Signed();
  io::HttpRequest other;
  other.method = "POST";
  other.target = "/";
  other.headers = {{"Host", "h"}};
  SignRequest(other, {"NOBODY", "SECRET"}, "us-east-1", "ecs", clock_.Now());
  absl::StatusOr<Caller> caller = auth_.Authenticate(other);
  EXPECT_EQ(Type(caller), ecs_errors::kUnrecognizedClient);
  EXPECT_EQ(caller.status().message(), "The security token included in the request is invalid.");
  EXPECT_TRUE(auth_.Authenticate(r).ok());
}

TEST_F(AuthenticatorTest, MissingHeaderDependsOnMode) {
  io::HttpRequest r;
  r.method = "POST";
  r.target = "/";
  absl::StatusOr<Caller> caller = auth_.Authenticate(r);
  EXPECT_EQ(Type(caller), ecs_errors::kMissingAuthenticationToken);
  EXPECT_EQ(caller.status().message(), "Missing Authentication Token");
  absl::StatusOr<Caller> dev = dev_.Authenticate(r);
  ASSERT_TRUE(dev.ok());
  EXPECT_FALSE(dev->verified);
}

TEST_F(AuthenticatorTest, ClockSkewBeyondFiveMinutesIsRejectedInBothModes) {
  io::HttpRequest r = Signed();
  clock_.Advance(absl::Minutes(5));
  EXPECT_TRUE(auth_.Authenticate(r).ok());
  clock_.Advance(absl::Seconds(1));
  for (const Authenticator* a : {&auth_, &dev_}) {
    absl::StatusOr<Caller> caller = a->Authenticate(r);
    EXPECT_EQ(Type(caller), ecs_errors::kInvalidSignature);
    EXPECT_THAT(std::string(caller.status().message()), HasSubstr("Signature expired: "));
    EXPECT_THAT(std::string(caller.status().message()), HasSubstr(" - 5 min.)"));
  }
  // Signed in the future.
  io::FakeTimeSource past(clock_.Now() - absl::Minutes(10));
  Authenticator early(AuthOptions{}, Credentials("AKID SECRET"), past);
  absl::StatusOr<Caller> caller = early.Authenticate(Signed());
  EXPECT_THAT(std::string(caller.status().message()), HasSubstr("Signature not yet current: "));
}

TEST_F(AuthenticatorTest, ScopeMustNameThisRegionAndEcs) {
  io::HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"Host", "h"}};
  SignRequest(r, {"AKID", "SECRET"}, "eu-west-1", "ecs", clock_.Now());
  absl::StatusOr<Caller> region = dev_.Authenticate(r);
  EXPECT_EQ(Type(region), ecs_errors::kInvalidSignature);
  EXPECT_EQ(region.status().message(), "Credential should be scoped to a valid region, not 'eu-west-1'. ");
  SignRequest(r, {"AKID", "SECRET"}, "us-east-1", "s3", clock_.Now());
  EXPECT_EQ(auth_.Authenticate(r).status().message(),
            "Credential should be scoped to correct service: 'ecs'. ");
}

TEST_F(AuthenticatorTest, HostMustBeSignedAndDatesMustAgree) {
  io::HttpRequest r = Signed();
  io::HttpRequest no_host = r;
  for (auto& [name, value] : no_host.headers) {
    if (name == "Authorization") {
      value = absl::StrReplaceAll(value, {{"SignedHeaders=content-type;host;", "SignedHeaders=content-type;"}});
    }
  }
  EXPECT_THAT(std::string(auth_.Authenticate(no_host).status().message()),
              HasSubstr("'Host' or ':authority' must be a 'SignedHeader'"));
  io::HttpRequest other_day = r;
  for (auto& [name, value] : other_day.headers) {
    if (name == "X-Amz-Date") {
      value = FormatAmzDate(clock_.Now() + absl::Hours(24));
    }
  }
  EXPECT_THAT(std::string(auth_.Authenticate(other_day).status().message()),
              HasSubstr("Date in Credential scope does not match"));
  io::HttpRequest no_date = r;
  std::erase_if(no_date.headers, [](const auto& h) { return h.first == "X-Amz-Date"; });
  EXPECT_EQ(Type(auth_.Authenticate(no_date)), ecs_errors::kIncompleteSignature);
}

TEST_F(AuthenticatorTest, DeclaredPayloadHashMustMatchTheBody) {
  io::HttpRequest r = Signed("{}");
  r.headers.emplace_back("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
  EXPECT_EQ(Type(auth_.Authenticate(r)), ecs_errors::kInvalidSignature);
}

TEST_F(AuthenticatorTest, DevModeAcceptsAnySecretButNotAMalformedHeader) {
  io::HttpRequest r;
  r.method = "POST";
  r.target = "/";
  r.headers = {{"Host", "h"}};
  SignRequest(r, {"ANYONE", "ANYTHING"}, "us-east-1", "ecs", clock_.Now());
  absl::StatusOr<Caller> caller = dev_.Authenticate(r);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->access_key_id, "ANYONE");
  EXPECT_FALSE(caller->verified);
  r.headers.emplace_back("Authorization", "garbage");
  std::erase_if(r.headers, [first = true](const auto& h) mutable {
    if (h.first == "Authorization" && first) {
      first = false;
      return true;
    }
    return false;
  });
  EXPECT_EQ(Type(dev_.Authenticate(r)), ecs_errors::kIncompleteSignature);
}

}  // namespace
}  // namespace berth::control::auth
