#include "io/http_codec.h"

#include "gtest/gtest.h"

namespace berth::io {
namespace {

TEST(RequestParserTest, ParsesARequestWithBody) {
  RequestParser p(HttpLimits{});
  std::string raw =
      "POST /v1/x?a=1 HTTP/1.1\r\nHost: h\r\nX-Amz-Target: Svc.Op\r\n"
      "Content-Length: 5\r\n\r\nhello";
  EXPECT_EQ(p.Feed(raw), raw.size());
  ASSERT_EQ(p.state(), RequestParser::State::kDone);
  HttpRequest req = p.Take();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v1/x?a=1");
  EXPECT_EQ(req.path(), "/v1/x");
  EXPECT_EQ(req.query(), "a=1");
  EXPECT_EQ(req.Header("x-amz-target"), "Svc.Op");
  EXPECT_EQ(req.body, "hello");
  EXPECT_TRUE(req.keep_alive);
  EXPECT_EQ(p.state(), RequestParser::State::kNeedMore);
}

TEST(RequestParserTest, PartialHeaderIsNotConsumedUntilComplete) {
  RequestParser p(HttpLimits{});
  std::string raw = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(p.Feed(raw.substr(0, 10)), 0u);
  EXPECT_EQ(p.state(), RequestParser::State::kNeedMore);
  EXPECT_EQ(p.Feed(raw), raw.size());
  EXPECT_EQ(p.state(), RequestParser::State::kDone);
}

TEST(RequestParserTest, BodyArrivesInPieces) {
  RequestParser p(HttpLimits{});
  std::string head = "PUT / HTTP/1.1\r\nContent-Length: 6\r\n\r\n";
  EXPECT_EQ(p.Feed(head + "ab"), head.size() + 2);
  EXPECT_TRUE(p.header_done());
  EXPECT_EQ(p.state(), RequestParser::State::kNeedMore);
  EXPECT_EQ(p.Feed("cdef"), 4u);
  ASSERT_EQ(p.state(), RequestParser::State::kDone);
  EXPECT_EQ(p.Take().body, "abcdef");
}

TEST(RequestParserTest, ChunkedBody) {
  RequestParser p(HttpLimits{});
  std::string raw =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  EXPECT_EQ(p.Feed(raw), raw.size());
  ASSERT_EQ(p.state(), RequestParser::State::kDone);
  EXPECT_EQ(p.Take().body, "abcde");
}

// Regression: Beast 1.81 asserted on a final chunk re-presented with fewer
// than 5 bytes (boostorg/beast#2861); found by tests/fuzz/http_request.
TEST(RequestParserTest, ChunkedBodyDeliveredOneByteAtATime) {
  RequestParser p(HttpLimits{});
  std::string raw = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  std::string pending;
  for (char c : raw) {
    pending += c;
    pending.erase(0, p.Feed(pending));
    ASSERT_NE(p.state(), RequestParser::State::kError) << p.error_message();
  }
  ASSERT_EQ(p.state(), RequestParser::State::kDone);
  EXPECT_EQ(p.Take().body, "");
}

TEST(RequestParserTest, StopsAtTheEndOfOneRequest) {
  RequestParser p(HttpLimits{});
  std::string one = "GET /1 HTTP/1.1\r\n\r\n";
  std::string two = "GET /2 HTTP/1.1\r\n\r\n";
  EXPECT_EQ(p.Feed(one + two), one.size());
  EXPECT_EQ(p.Take().target, "/1");
  EXPECT_EQ(p.Feed(two), two.size());
  EXPECT_EQ(p.Take().target, "/2");
}

TEST(RequestParserTest, Http10DefaultsToClose) {
  RequestParser p(HttpLimits{});
  p.Feed("GET / HTTP/1.0\r\n\r\n");
  HttpRequest req = p.Take();
  EXPECT_EQ(req.version, 10u);
  EXPECT_FALSE(req.keep_alive);
}

TEST(RequestParserTest, HeaderLimitGives431) {
  HttpLimits limits;
  limits.max_header_bytes = 64;
  RequestParser p(limits);
  p.Feed("GET / HTTP/1.1\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n");
  ASSERT_EQ(p.state(), RequestParser::State::kError);
  EXPECT_EQ(p.error_status(), 431);
  EXPECT_EQ(p.error_message(), "request header is larger than 64 bytes");
}

TEST(RequestParserTest, IncompleteOversizedHeaderGives431) {
  HttpLimits limits;
  limits.max_header_bytes = 64;
  RequestParser p(limits);
  p.Feed("GET / HTTP/1.1\r\nX-Long: " + std::string(100, 'a'));  // no end yet
  ASSERT_EQ(p.state(), RequestParser::State::kError);
  EXPECT_EQ(p.error_status(), 431);
}

TEST(RequestParserTest, BodyLimitGives413) {
  HttpLimits limits;
  limits.max_body_bytes = 10;
  RequestParser p(limits);
  p.Feed("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
  ASSERT_EQ(p.state(), RequestParser::State::kError);
  EXPECT_EQ(p.error_status(), 413);
}

TEST(RequestParserTest, GarbageGives400) {
  for (std::string bad : {"NOT HTTP AT ALL\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                          "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
    RequestParser p(HttpLimits{});
    p.Feed(bad);
    ASSERT_EQ(p.state(), RequestParser::State::kError) << bad;
    EXPECT_EQ(p.error_status(), 400) << bad;
    EXPECT_EQ(p.error_message().rfind("malformed HTTP request: ", 0), 0u);
  }
}

TEST(RequestParserTest, ExpectContinue) {
  RequestParser p(HttpLimits{});
  p.Feed("POST / HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_TRUE(p.expects_continue());
  p.Feed("abc");
  EXPECT_EQ(p.state(), RequestParser::State::kDone);
}

TEST(SerializeResponseTest, AddsLengthServerDateAndKeepAlive) {
  std::string out;
  SerializeResponse(HttpResponse::Json(200, "{}"), 11, true, false,
                    "Sun, 06 Nov 1994 08:49:37 GMT", &out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nServer: berth\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 2\r\n\r\n{}");
}

TEST(SerializeResponseTest, CloseAndHeadAndUnusualStatus) {
  std::string out;
  SerializeResponse(HttpResponse::Text(429, "slow down"), 11, false, true, "", &out);
  EXPECT_EQ(out,
            "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Server: berth\r\nConnection: close\r\nContent-Length: 9\r\n\r\n");
}

TEST(SerializeResponseTest, Http10KeepAliveIsExplicit) {
  std::string out;
  SerializeResponse(HttpResponse::Text(204, ""), 10, true, false, "", &out);
  EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);  // 204 has no body
}

TEST(HttpDateTest, ImfFixdate) {
  EXPECT_EQ(HttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

}  // namespace
}  // namespace berth::io
