#include "control/api/paging.h"

#include "control/api/ecs_error.h"
#include "ecs/json_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::control {
namespace {

TEST(PagingTest, Base64UrlRoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    std::string decoded;
    std::string encoded = Base64UrlEncode(bytes);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    ASSERT_TRUE(Base64UrlDecode(encoded, &decoded)) << n;
    EXPECT_EQ(decoded, bytes);
    bytes.push_back(static_cast<char>(n * 37 + 200));
  }
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
  std::string out;
  EXPECT_FALSE(Base64UrlDecode("Zm9vY", &out));    // 4k+1 characters
  EXPECT_FALSE(Base64UrlDecode("Zm9v!mFy", &out));  // outside the alphabet
  EXPECT_FALSE(Base64UrlDecode("Zh", &out));        // non-zero leftover bits
}

TEST(PagingTest, TokenRoundTripsAndIsBoundToItsOperation) {
  std::string token = EncodeNextToken("ListClusters", "cluster-042");
  absl::StatusOr<std::string> key = DecodeNextToken("ListClusters", token);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, "cluster-042");
  EXPECT_EQ(EcsErrorType(DecodeNextToken("ListServices", token).status()),
            "InvalidParameterException");
}

TEST(PagingTest, TokenFormatIsStable) {
  // Tokens handed out before an upgrade must still work after it; the fuzz
  // seed generator (tests/fuzz/control_request/make_seeds.py) computes the same.
  EXPECT_EQ(EncodeNextToken("ListClusters", "busy"), "AWJ1c3l-syCJVD2v5A");
}

TEST(PagingTest, DamagedTokensAreInvalidParameter) {
  std::string token = EncodeNextToken("ListClusters", "abc");
  std::string flipped = token;
  flipped[3] = flipped[3] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {flipped, token.substr(0, token.size() - 2), std::string("x"),
                                 std::string("not a token"), std::string("AAAA")}) {
    absl::StatusOr<std::string> key = DecodeNextToken("ListClusters", bad);
    EXPECT_EQ(EcsErrorType(key.status()), "InvalidParameterException") << bad;
    EXPECT_EQ(key.status().message(), "The nextToken provided is not valid.");
  }
}

TEST(PagingTest, MaxResultsRangeAndDefaultFollowTheModel) {
  auto read = [](std::string_view body, PageLimits limits) {
    boost::json::object o = ecs::ParseJson(body)->as_object();
    return ReadPageRequest(Args(o), "ListClusters", limits);
  };
  EXPECT_EQ(read("{}", kListPageLimits)->max_results, 100);
  EXPECT_EQ(read("{}", kListServicesPageLimits)->max_results, 10);
  EXPECT_EQ(read("{}", kAccountSettingsPageLimits)->max_results, 10);
  EXPECT_EQ(read(R"({"maxResults":1})", kListPageLimits)->max_results, 1);
  EXPECT_EQ(read(R"({"maxResults":100})", kListPageLimits)->max_results, 100);
  absl::StatusOr<PageRequest> zero = read(R"({"maxResults":0})", kListPageLimits);
  EXPECT_EQ(EcsErrorType(zero.status()), "InvalidParameterException");
  EXPECT_EQ(zero.status().message(), "maxResults must be between 1 and 100.");
  EXPECT_FALSE(read(R"({"maxResults":101})", kListPageLimits).ok());
  EXPECT_FALSE(read(R"({"maxResults":11})", kAccountSettingsPageLimits).ok());
  EXPECT_EQ(EcsErrorType(read(R"({"maxResults":"5"})", kListPageLimits).status()),
            "SerializationException");
  // An empty token is the first page, as the CLI sends none.
  absl::StatusOr<PageRequest> empty = read(R"({"nextToken":""})", kListPageLimits);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_token);
}

}  // namespace
}  // namespace berth::control
