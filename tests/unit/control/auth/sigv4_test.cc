#include "control/auth/sigv4.h"

#include "absl/strings/str_cat.h"
#include "control/api/ecs_error.h"
#include "control/auth/crypto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::control::auth {
namespace {

using ::testing::HasSubstr;

// The AWS SigV4 test suite (aws-sig-v4-test-suite): example credentials,
// service "service", us-east-1, 2015-08-30T12:36:00Z. botocore reproduces
// these exact signatures.
constexpr char kSuiteKey[] = "AKIDEXAMPLE";
constexpr char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

io::HttpRequest SuiteRequest(std::string method, std::string target) {
  io::HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = {{"Host", "example.amazonaws.com"}};
  return r;
}

absl::Time SuiteTime() { return absl::FromCivil(absl::CivilSecond(2015, 8, 30, 12, 36, 0), absl::UTCTimeZone()); }

TEST(SigV4Test, HashesAndHmacMatchKnownValues) {
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SigV4Test, TestSuiteGetVanillaStepByStep) {
  io::HttpRequest r = SuiteRequest("GET", "/");
  r.headers.emplace_back("X-Amz-Date", "20150830T123600Z");
  std::vector<std::string> signed_headers = {"host", "x-amz-date"};
  std::string canonical =
      CanonicalRequest("GET", "/", r.headers, signed_headers, HexEncode(Sha256("")));
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string sts =
      StringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical);
  EXPECT_EQ(sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(SignatureHex(SigningKey(kSuiteSecret, "20150830", "us-east-1", "service"), sts),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, TestSuiteVectorsThroughSignRequest) {
  struct Case {
    std::string method, target, signature;
  } cases[] = {
      {"GET", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"GET", "/?Param2=value2&Param1=value1",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"POST", "/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
  };
  for (const Case& c : cases) {
    io::HttpRequest r = SuiteRequest(c.method, c.target);
    SignRequest(r, {kSuiteKey, kSuiteSecret}, "us-east-1", "service", SuiteTime());
    EXPECT_EQ(r.Header("Authorization"),
              absl::StrCat("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                           "aws4_request, SignedHeaders=host;x-amz-date, Signature=",
                           c.signature))
        << c.method << " " << c.target;
  }
}

TEST(SigV4Test, CanonicalUriNormalizesLikeBotocore) {
  EXPECT_EQ(CanonicalUri(""), "/");
  EXPECT_EQ(CanonicalUri("/"), "/");
  EXPECT_EQ(CanonicalUri("/a/./b//c/../d%20e/~f"), "/a/b/d%2520e/~f");
  EXPECT_EQ(CanonicalUri("/a/b/"), "/a/b/");
  EXPECT_EQ(CanonicalUri("/../.."), "/");
}

TEST(SigV4Test, CanonicalQuerySortsAndReencodes) {
  EXPECT_EQ(CanonicalQuery(""), "");
  EXPECT_EQ(CanonicalQuery("b=2&a=1&a=0&c=%2f&empty=&bare"), "a=0&a=1&b=2&bare=&c=%2F&empty=");
  EXPECT_EQ(CanonicalQuery("k=a b"), "k=a%20b");
}

TEST(SigV4Test, CanonicalHeadersTrimAndJoinRepeats) {
  io::HttpHeaders headers = {{"X-A", "  one   two  "}, {"x-a", "three"}, {"Host", "h"}};
  EXPECT_EQ(CanonicalHeaders(headers, {"host", "x-a"}), "host:h\nx-a:one two,three\n");
}

TEST(SigV4Test, ParsesAuthorizationHeader) {
  absl::StatusOr<SigV4Authorization> auth = ParseAuthorization(
      "AWS4-HMAC-SHA256 Credential=AKID/20230102/us-east-1/ecs/aws4_request,"
      "SignedHeaders=Host;x-amz-date,   Signature=ABCDEF");
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->access_key_id, "AKID");
  EXPECT_EQ(auth->Scope(), "20230102/us-east-1/ecs/aws4_request");
  EXPECT_EQ(auth->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(auth->signature, "abcdef");
}

TEST(SigV4Test, MalformedAuthorizationIsIncompleteSignature) {
  for (const char* header : {
           "Basic dXNlcjpwYXNz",
           "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
           "AWS4-HMAC-SHA256 Credential=AKID/20230102/us-east-1/ecs/aws4_request",
           "AWS4-HMAC-SHA256 Credential=AKID/20230102/us-east-1, SignedHeaders=host, "
           "Signature=00",
       }) {
    absl::StatusOr<SigV4Authorization> auth = ParseAuthorization(header);
    ASSERT_FALSE(auth.ok()) << header;
    EXPECT_EQ(EcsErrorType(auth.status()), ecs_errors::kIncompleteSignature) << header;
  }
  absl::StatusOr<SigV4Authorization> missing =
      ParseAuthorization("AWS4-HMAC-SHA256 Credential=AKID/20230102/us-east-1/ecs/aws4_request");
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("Authorization header requires 'Signature' parameter."));
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("Authorization header requires 'SignedHeaders' parameter."));
}

TEST(SigV4Test, AmzDateRoundTripsAndRejectsJunk) {
  absl::Time t;
  ASSERT_TRUE(ParseAmzDate("20150830T123600Z", &t));
  EXPECT_EQ(t, SuiteTime());
  EXPECT_EQ(FormatAmzDate(t), "20150830T123600Z");
  for (const char* bad : {"", "2015-08-30T12:36:00Z", "20151330T123600Z", "20150830T123600",
                          "2015083OT123600Z", "20150830T256000Z"}) {
    EXPECT_FALSE(ParseAmzDate(bad, &t)) << bad;
  }
}

}  // namespace
}  // namespace berth::control::auth
