#include "io/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/uring_loop.h"

namespace berth::io {
namespace {

using ::testing::HasSubstr;

// A blocking client socket for the test thread.
class Client {
 public:
  explicit Client(const SocketAddress& addr) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ok_ = connect(fd_, addr.get(), addr.len) == 0;
  }
  ~Client() { close(fd_); }
  bool ok() const { return ok_; }
  void Write(std::string_view s) { ASSERT_EQ(write(fd_, s.data(), s.size()), (ssize_t)s.size()); }
  // Reads until `count` responses with bodies ending in `}` arrived, or EOF.
  std::string ReadResponses(int count) {
    std::string out;
    char buf[4096];
    while (Count(out, "HTTP/1.1 ") < count || !out.ends_with("}")) {
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) {
        break;
      }
      out.append(buf, n);
    }
    return out;
  }
  bool ReadEof() {
    char c;
    return read(fd_, &c, 1) == 0;
  }
  static int Count(const std::string& s, std::string_view what) {
    int n = 0;
    for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) {
      ++n;
    }
    return n;
  }

 private:
  int fd_;
  bool ok_ = false;
};

class HttpServerKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = UringLoop::Create();
    if (!loop.ok()) {
      GTEST_SKIP() << "io_uring unavailable here: " << loop.status();
    }
    loop_ = std::move(*loop);
    server_ = std::make_unique<HttpServer>(
        *loop_, HttpServer::Options{}, [this](HttpRequest req, HttpResponder r) {
          ++requests_;
          r.Respond(HttpResponse::Json(200, "{\"n\":\"" + req.target + "\"}"));
        });
    ASSERT_TRUE(server_->Listen(SocketAddress::Loopback4(0)).ok());
    thread_ = std::thread([this] { ASSERT_TRUE(loop_->Run().ok()); });
  }
  void TearDown() override {
    if (thread_.joinable()) {
      loop_->Post([this] { server_.reset(); loop_->Stop(); });
      thread_.join();
    }
  }

  std::unique_ptr<UringLoop> loop_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::atomic<int> requests_{0};
};

TEST_F(HttpServerKernelTest, KeepAliveServesManyRequestsOnOneConnection) {
  Client c(server_->address());
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 200; ++i) {
    c.Write("GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n");
    std::string out = c.ReadResponses(1);
    ASSERT_THAT(out, HasSubstr("{\"n\":\"/" + std::to_string(i) + "\"}"));
  }
  EXPECT_EQ(requests_.load(), 200);
}

TEST_F(HttpServerKernelTest, PipelinedBurstIsAnsweredInOrder) {
  Client c(server_->address());
  ASSERT_TRUE(c.ok());
  std::string burst;
  for (int i = 0; i < 50; ++i) {
    burst += "GET /" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
  }
  c.Write(burst);
  std::string out = c.ReadResponses(50);
  ASSERT_EQ(Client::Count(out, "HTTP/1.1 200 OK"), 50);
  size_t last = 0;
  for (int i = 0; i < 50; ++i) {
    size_t at = out.find("{\"n\":\"/" + std::to_string(i) + "\"}");
    ASSERT_NE(at, std::string::npos);
    EXPECT_GE(at, last);
    last = at;
  }
}

TEST_F(HttpServerKernelTest, ManyConcurrentClients) {
  constexpr int kClients = 64;
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      Client c(server_->address());
      if (!c.ok()) {
        return;
      }
      for (int i = 0; i < 20; ++i) {
        c.Write("GET /" + std::to_string(t) + " HTTP/1.1\r\n\r\n");
        if (c.ReadResponses(1).find("{\"n\":\"/" + std::to_string(t) + "\"}") ==
            std::string::npos) {
          return;
        }
      }
      good.fetch_add(1);
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(good.load(), kClients);
  EXPECT_EQ(requests_.load(), kClients * 20);
}

TEST_F(HttpServerKernelTest, GarbageGets400AndTheConnectionCloses) {
  Client c(server_->address());
  ASSERT_TRUE(c.ok());
  c.Write("\x01\x02 nonsense\r\n\r\n");
  std::string out = c.ReadResponses(1);
  EXPECT_THAT(out, ::testing::StartsWith("HTTP/1.1 400 Bad Request"));
  EXPECT_TRUE(c.ReadEof());
}

TEST_F(HttpServerKernelTest, GracefulShutdownClosesIdleConnections) {
  Client c(server_->address());
  ASSERT_TRUE(c.ok());
  c.Write("GET / HTTP/1.1\r\n\r\n");
  c.ReadResponses(1);
  std::atomic<bool> done{false};
  loop_->Post([&] { server_->Shutdown(absl::Seconds(5), [&] { done = true; }); });
  EXPECT_TRUE(c.ReadEof());
  for (int i = 0; i < 100 && !done; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(done.load());
  Client late(server_->address());
  EXPECT_FALSE(late.ok()) << "still accepting after shutdown";
}

}  // namespace
}  // namespace berth::io
