#include "io/http_server.h"

#include <optional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "tests/testing/fake_http_peer.h"

namespace berth::io {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServer::Options options = {}) {
    server_.emplace(loop_, options, [this](HttpRequest req, HttpResponder r) {
      requests_.push_back(req);
      if (hold_) {
        held_.push_back(std::move(r));
        return;
      }
      r.Respond(HttpResponse::Json(200, "{\"path\":\"" + req.target + "\"}"));
    });
    ASSERT_TRUE(server_->Listen(SocketAddress::Loopback4(0)).ok());
  }

  FakeLoop loop_;
  berth::testing::FakeHttpPeer peer_{loop_};
  std::optional<HttpServer> server_;
  std::vector<HttpRequest> requests_;
  bool hold_ = false;
  std::vector<HttpResponder> held_;
};

TEST_F(HttpServerTest, AnswersAndKeepsTheConnectionAlive) {
  StartServer();
  int fd = peer_.Connect();
  peer_.Send(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string out = peer_.Read(fd);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(out, HasSubstr("Content-Length: 13\r\n"));
  EXPECT_THAT(out, HasSubstr("Date: "));
  EXPECT_THAT(out, HasSubstr("\r\n\r\n{\"path\":\"/a\"}"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("Connection: close")));
  EXPECT_TRUE(peer_.IsOpen(fd));
  peer_.Send(fd, "GET /b HTTP/1.1\r\n\r\n");
  EXPECT_THAT(peer_.Read(fd), HasSubstr("{\"path\":\"/b\"}"));
  EXPECT_EQ(server_->stats().requests, 2u);
}

TEST_F(HttpServerTest, PipelinedResponsesKeepRequestOrder) {
  hold_ = true;
  StartServer();
  int fd = peer_.Connect();
  peer_.Send(fd, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n");
  ASSERT_EQ(held_.size(), 3u);
  held_[2].Respond(HttpResponse::Text(200, "three"));
  held_[1].Respond(HttpResponse::Text(200, "two"));
  EXPECT_EQ(peer_.Read(fd), "");  // /1 is not answered yet
  held_[0].Respond(HttpResponse::Text(200, "one"));
  std::string out = peer_.Read(fd);
  size_t one = out.find("one"), two = out.find("two"), three = out.find("three");
  ASSERT_NE(three, std::string::npos);
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
}

TEST_F(HttpServerTest, RequestSplitIntoSingleBytes) {
  StartServer();
  int fd = peer_.Connect();
  std::string raw = "POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  for (char c : raw) {
    ASSERT_EQ(peer_.Send(fd, std::string_view(&c, 1)), 1u);
  }
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].body, "abc");
  EXPECT_THAT(peer_.Read(fd), StartsWith("HTTP/1.1 200 OK"));
}

TEST_F(HttpServerTest, OversizedHeaderGets431AndClose) {
  HttpServer::Options options;
  options.limits.max_header_bytes = 128;
  StartServer(options);
  int fd = peer_.Connect();
  peer_.Send(fd, "GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n");
  std::string out = peer_.Read(fd);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  EXPECT_THAT(out, HasSubstr("Connection: close"));
  loop_.RunUntilIdle();
  EXPECT_FALSE(peer_.IsOpen(fd));
  EXPECT_TRUE(requests_.empty());
  EXPECT_EQ(server_->stats().bad_requests, 1u);
}

TEST_F(HttpServerTest, OversizedBodyGets413) {
  HttpServer::Options options;
  options.limits.max_body_bytes = 4;
  StartServer(options);
  int fd = peer_.Connect();
  peer_.Send(fd, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde");
  EXPECT_THAT(peer_.Read(fd), StartsWith("HTTP/1.1 413 Payload Too Large\r\n"));
  loop_.RunUntilIdle();
  EXPECT_FALSE(peer_.IsOpen(fd));
}

TEST_F(HttpServerTest, MalformedRequestGets400AfterEarlierResponses) {
  StartServer();
  int fd = peer_.Connect();
  peer_.Send(fd, "GET /ok HTTP/1.1\r\n\r\nBROKEN\r\n\r\n");
  std::string out = peer_.Read(fd);
  size_t ok = out.find("HTTP/1.1 200 OK");
  size_t bad = out.find("HTTP/1.1 400 Bad Request");
  ASSERT_NE(ok, std::string::npos);
  ASSERT_NE(bad, std::string::npos);
  EXPECT_LT(ok, bad);
  loop_.RunUntilIdle();
  EXPECT_FALSE(peer_.IsOpen(fd));
}

TEST_F(HttpServerTest, Http10WithoutKeepAliveCloses) {
  StartServer();
  int fd = peer_.Connect();
  peer_.Send(fd, "GET / HTTP/1.0\r\n\r\n");
  std::string out = peer_.Read(fd);
  EXPECT_THAT(out, StartsWith("HTTP/1.0 200 OK"));
  loop_.RunUntilIdle();
  EXPECT_FALSE(peer_.IsOpen(fd));
}

TEST_F(HttpServerTest, ConnectionCloseRequestIsHonoured) {
  StartServer();
  int fd = peer_.Connect();
  peer_.Send(fd, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(peer_.Read(fd), HasSubstr("Connection: close\r\n"));
  loop_.RunUntilIdle();
  EXPECT_FALSE(peer_.IsOpen(fd));
}

TEST_F(HttpServerTest, SlowRequestGets408) {
  HttpServer::Options options;
  options.request_timeout = absl::Seconds(10);
  StartServer(options);
  int fd = peer_.Connect();
  peer_.Send(fd, "GET / HTTP/1.1\r\nHo");
  loop_.AdvanceTime(absl::Seconds(9));
  EXPECT_EQ(peer_.Read(fd), "");
  peer_.Send(fd, "st: x\r\n");  // progress does not extend the deadline
  loop_.AdvanceTime(absl::Seconds(1));
  EXPECT_THAT(peer_.Read(fd), StartsWith("HTTP/1.1 408 Request Timeout"));
  loop_.RunUntilIdle();
  EXPECT_FALSE(peer_.IsOpen(fd));
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  HttpServer::Options options;
  options.idle_timeout = absl::Seconds(60);
  StartServer(options);
  int fd = peer_.Connect();
  peer_.Send(fd, "GET / HTTP/1.1\r\n\r\n");
  peer_.Read(fd);
  loop_.AdvanceTime(absl::Seconds(59));
  EXPECT_TRUE(peer_.IsOpen(fd));
  loop_.AdvanceTime(absl::Seconds(1));
  loop_.RunUntilIdle();
  EXPECT_FALSE(peer_.IsOpen(fd));
  EXPECT_EQ(server_->stats().open_connections, 0u);
}

TEST_F(HttpServerTest, WaitingForTheHandlerIsNotIdle) {
  hold_ = true;
  HttpServer::Options options;
  options.idle_timeout = absl::Seconds(5);
  StartServer(options);
  int fd = peer_.Connect();
  peer_.Send(fd, "GET / HTTP/1.1\r\n\r\n");
  loop_.AdvanceTime(absl::Seconds(30));
  EXPECT_TRUE(peer_.IsOpen(fd));
  held_[0].Respond(HttpResponse::Text(200, "late"));
  EXPECT_THAT(peer_.Read(fd), HasSubstr("late"));
}

// An agent's long poll is held by its handler for up to 20 s (more with
// --agent-poll-timeout): the request timeout must end once the request is read.
TEST_F(HttpServerTest, WaitingForTheHandlerOutlastsTheRequestTimeout) {
  hold_ = true;
  HttpServer::Options options;
  options.request_timeout = absl::Seconds(5);
  options.idle_timeout = absl::Seconds(5);
  StartServer(options);
  int fd = peer_.Connect();
  peer_.Send(fd, "POST /agent/v1/poll HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
  loop_.AdvanceTime(absl::Seconds(30));
  EXPECT_EQ(peer_.Read(fd), "");
  EXPECT_TRUE(peer_.IsOpen(fd));
  held_[0].Respond(HttpResponse::Text(200, "heartbeat"));
  EXPECT_THAT(peer_.Read(fd), HasSubstr("heartbeat"));
}

TEST_F(HttpServerTest, DroppedResponderAnswers500) {
  hold_ = true;
  StartServer();
  int fd = peer_.Connect();
  peer_.Send(fd, "GET / HTTP/1.1\r\n\r\n");
  held_.clear();
  EXPECT_THAT(peer_.Read(fd), StartsWith("HTTP/1.1 500 Internal Server Error"));
}

TEST_F(HttpServerTest, HeadGetsLengthButNoBody) {
  StartServer();
  int fd = peer_.Connect();
  peer_.Send(fd, "HEAD /abc HTTP/1.1\r\n\r\n");
  std::string out = peer_.Read(fd);
  EXPECT_THAT(out, HasSubstr("Content-Length: 15\r\n"));
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimResponse) {
  StartServer();
  int fd = peer_.Connect();
  peer_.Send(fd, "PUT / HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(peer_.Read(fd), "HTTP/1.1 100 Continue\r\n\r\n");
  peer_.Send(fd, "hi");
  EXPECT_THAT(peer_.Read(fd), StartsWith("HTTP/1.1 200 OK"));
  EXPECT_EQ(requests_.at(0).body, "hi");
}

TEST_F(HttpServerTest, PipelineLimitPausesReading) {
  hold_ = true;
  HttpServer::Options options;
  options.max_pipelined = 2;
  StartServer(options);
  int fd = peer_.Connect();
  std::string five;
  for (int i = 0; i < 5; ++i) {
    five += "GET /" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
  }
  peer_.Send(fd, five);
  EXPECT_EQ(held_.size(), 2u);
  held_[0].Respond(HttpResponse::Text(200, "r0"));
  loop_.RunUntilIdle();
  EXPECT_EQ(held_.size(), 3u);  // one slot freed, one more request read
  for (size_t i = 1; i < held_.size(); ++i) {
    held_[i].Respond(HttpResponse::Text(200, "r" + std::to_string(i)));
  }
  loop_.RunUntilIdle();
  ASSERT_EQ(held_.size(), 5u);
  for (size_t i = 3; i < 5; ++i) {
    held_[i].Respond(HttpResponse::Text(200, "r" + std::to_string(i)));
  }
  std::string out = peer_.Read(fd);
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(out, HasSubstr("r" + std::to_string(i)));
  }
}

TEST_F(HttpServerTest, ClientHalfCloseStillGetsItsAnswers) {
  hold_ = true;
  StartServer();
  int fd = peer_.Connect();
  peer_.Send(fd, "GET / HTTP/1.1\r\n\r\n");
  peer_.ShutdownWrite(fd);
  EXPECT_EQ(server_->stats().open_connections, 1u);  // waiting for the handler
  held_[0].Respond(HttpResponse::Text(200, "still here"));
  std::string out = peer_.Read(fd);
  EXPECT_THAT(out, HasSubstr("still here"));
  EXPECT_THAT(out, HasSubstr("Connection: close"));
  loop_.RunUntilIdle();
  EXPECT_EQ(server_->stats().open_connections, 0u);
}

TEST_F(HttpServerTest, GracefulShutdownFinishesInFlightRequests) {
  hold_ = true;
  StartServer();
  int busy = peer_.Connect();
  int idle = peer_.Connect();
  peer_.Send(busy, "GET /slow HTTP/1.1\r\n\r\n");
  bool done = false;
  server_->Shutdown(absl::Seconds(30), [&] { done = true; });
  loop_.RunUntilIdle();
  EXPECT_FALSE(peer_.IsOpen(idle));
  EXPECT_FALSE(done);
  held_[0].Respond(HttpResponse::Text(200, "finished"));
  std::string out = peer_.Read(busy);
  EXPECT_THAT(out, HasSubstr("finished"));
  EXPECT_THAT(out, HasSubstr("Connection: close"));
  loop_.RunUntilIdle();
  EXPECT_TRUE(done);
}

TEST_F(HttpServerTest, ShutdownGraceEndsStuckRequests) {
  hold_ = true;
  StartServer();
  int fd = peer_.Connect();
  peer_.Send(fd, "GET / HTTP/1.1\r\n\r\n");
  bool done = false;
  server_->Shutdown(absl::Seconds(5), [&] { done = true; });
  loop_.AdvanceTime(absl::Seconds(5));
  loop_.RunUntilIdle();
  EXPECT_TRUE(done);
  EXPECT_FALSE(peer_.IsOpen(fd));
  held_[0].Respond(HttpResponse::Text(200, "too late"));  // a no-op now
}

TEST_F(HttpServerTest, ConnectionLimitRejectsExtraClients) {
  HttpServer::Options options;
  options.max_connections = 1;
  StartServer(options);
  int first = peer_.Connect();
  int second = peer_.Connect();
  EXPECT_TRUE(peer_.IsOpen(first));
  EXPECT_FALSE(peer_.IsOpen(second));
  EXPECT_EQ(server_->stats().connections_rejected, 1u);
}

}  // namespace
}  // namespace berth::io
