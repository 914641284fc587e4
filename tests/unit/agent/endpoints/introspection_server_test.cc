// The introspection API over HTTP: an IntrospectionServer on a FakeLoop,
// driven byte for byte by FakeHttpPeer (as tests/unit/io/http_server_test.cc
// drives io::HttpServer).

#include "agent/endpoints/introspection_server.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "tests/testing/fake_http_peer.h"
#include "tests/unit/agent/endpoints/test_tasks.h"

namespace berth::agent::endpoints {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::FakeSource;
using testing::MakeTask;

class IntrospectionServerTest : public ::testing::Test {
 protected:
  IntrospectionServerTest() {
    source_.Add(MakeTask("a", "aaaa"));
    source_.Add(MakeTask("b", "bbbb"));
    EXPECT_TRUE(server_.Listen(io::SocketAddress::Loopback4(0)).ok());
  }

  io::FakeLoop loop_;
  berth::testing::FakeHttpPeer peer_{loop_};
  FakeSource source_;
  AgentMetrics metrics_{loop_.time()};
  IntrospectionServer server_{loop_, source_, metrics_, {"v-test", "", nullptr}};
};

TEST_F(IntrospectionServerTest, ListensOnAnEphemeralLoopbackPort) {
  EXPECT_NE(server_.address().ToString(), "127.0.0.1:0");
  EXPECT_THAT(server_.address().ToString(), StartsWith("127.0.0.1:"));
}

TEST_F(IntrospectionServerTest, AnswersEveryRouteOnOneConnection) {
  int fd = peer_.Connect();
  peer_.Send(fd, "GET /v1/metadata HTTP/1.1\r\nHost: localhost:51678\r\n\r\n");
  std::string out = peer_.Read(fd);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(out, HasSubstr("Content-Type: application/json\r\n"));
  EXPECT_THAT(out, EndsWith("\r\n\r\n{\"Cluster\":\"default\",\"ContainerInstanceArn\":\"" +
                            std::string(testing::kInstanceArn) + "\",\"Version\":\"v-test\"}"));

  peer_.Send(fd, "GET /v1/tasks?dockerid= HTTP/1.1\r\n\r\n");
  out = peer_.Read(fd);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_THAT(out, EndsWith(
                       "\r\n\r\n{\"Arn\":\"\",\"KnownStatus\":\"\",\"Family\":\"\",\"Version\":\"\","
                       "\"Containers\":null}"));

  peer_.Send(fd, "GET /v1/tasks?taskarn=nope HTTP/1.1\r\n\r\n");
  EXPECT_THAT(peer_.Read(fd), StartsWith("HTTP/1.1 404 Not Found\r\n"));

  peer_.Send(fd, "GET /v1/tasks?dockerid=bbbb HTTP/1.1\r\n\r\n");
  out = peer_.Read(fd);
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(out, HasSubstr("{\"Arn\":\"" + testing::TaskArn("b") + "\""));

  peer_.Send(fd, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_THAT(peer_.Read(fd),
              EndsWith("{\"AvailableCommands\":[\"/v1/metadata\",\"/v1/tasks\",\"/license\"]}"));

  peer_.Send(fd, "GET /metrics HTTP/1.1\r\n\r\n");
  out = peer_.Read(fd);
  EXPECT_THAT(out, HasSubstr("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_THAT(out, HasSubstr("berth_agent_tasks{status=\"RUNNING\"} 2\n"));

  peer_.Send(fd, "GET /license HTTP/1.1\r\n\r\n");
  EXPECT_THAT(peer_.Read(fd), HasSubstr("berth-agent"));
  EXPECT_TRUE(peer_.IsOpen(fd));
}

TEST_F(IntrospectionServerTest, IdleConnectionClosesAfterFiveSeconds) {
  int fd = peer_.Connect();
  peer_.Send(fd, "GET /v1/metadata HTTP/1.1\r\n\r\n");
  peer_.Read(fd);
  loop_.AdvanceTime(absl::Seconds(4));
  EXPECT_TRUE(peer_.IsOpen(fd));
  loop_.AdvanceTime(absl::Seconds(2));
  EXPECT_FALSE(peer_.IsOpen(fd));
}

TEST_F(IntrospectionServerTest, ShutdownCompletes) {
  bool done = false;
  server_.Shutdown(absl::Seconds(1), [&] { done = true; });
  loop_.RunUntilIdle();
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace berth::agent::endpoints
