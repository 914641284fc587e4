#include "io/http_client.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "io/http_server.h"
#include "io/log.h"
#include "io/socket.h"
#include "io/status.h"
#include "io/uring_loop.h"

namespace berth::io {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Result = absl::StatusOr<HttpClientResponse>;

// A loopback port that refuses connections: bound, never listening, kept
// bound for the test's lifetime so nobody else can take it.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    SocketAddress addr = SocketAddress::Loopback4(0);
    CHECK(bind(fd_.get(), addr.get(), addr.len) == 0) << strerror(errno);
    port_ = LocalAddress(fd_.get())->port();
  }
  uint16_t port() const { return port_; }

 private:
  UniqueFd fd_;
  uint16_t port_ = 0;
};

// Sets or unsets environment variables, restoring them on destruction.
class ScopedEnv {
 public:
  ~ScopedEnv() {
    for (auto& [name, old] : saved_) {
      if (old) {
        setenv(name.c_str(), old->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }
  void Set(const std::string& name, const char* value) {
    if (!saved_.contains(name)) {
      const char* old = getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value) {
      setenv(name.c_str(), value, 1);
    } else {
      unsetenv(name.c_str());
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

class HttpClientKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = UringLoop::Create();
    if (!loop.ok()) {
      GTEST_SKIP() << "io_uring unavailable here: " << loop.status();
    }
    loop_ = std::move(*loop);
    HttpServer::Options options;
    options.limits.max_body_bytes = 16 << 20;
    server_ =
        std::make_unique<HttpServer>(*loop_, options, [this](HttpRequest req, HttpResponder r) {
          HttpRequest copy = req;
          seen_.push_back(std::move(copy));
          handler_(std::move(req), std::move(r));
        });
    ASSERT_TRUE(server_->Listen(SocketAddress::Loopback4(0)).ok());
    base_ = "http://" + server_->address().ToString();
    handler_ = [](HttpRequest req, HttpResponder r) {
      r.Respond(HttpResponse::Text(200, req.method + " " + req.target + " " + req.body));
    };
    client_ = MakeClient();
  }

  std::unique_ptr<HttpClient> MakeClient(HttpClientOptions options = {}) {
    auto client = HttpClient::Create(*loop_, std::move(options));
    CHECK_OK(client.status());
    return std::move(*client);
  }

  // Runs the loop until `done()` holds or `limit` passes; returns done().
  bool RunUntil(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(10)) {
    absl::Time end = absl::Now() + limit;
    while (!done() && absl::Now() < end) {
      CHECK_OK(loop_->RunOnce(absl::Milliseconds(10)));
    }
    return done();
  }

  // Fetches with `client_` and runs the loop until the callback ran.
  Result FetchSync(HttpClientRequest req) {
    auto out = std::make_shared<std::optional<Result>>();
    client_->Fetch(std::move(req), [out](Result r) { *out = std::move(r); });
    if (!RunUntil([&] { return out->has_value(); })) {
      return absl::InternalError("test: no callback within 10 s");
    }
    return std::move(**out);
  }

  HttpClientRequest Get(std::string path) {
    HttpClientRequest req;
    req.url = base_ + path;
    return req;
  }

  // A handler that keeps the responder and never answers.
  void ParkRequests() {
    handler_ = [this](HttpRequest, HttpResponder r) { parked_.push_back(std::move(r)); };
  }

  std::unique_ptr<UringLoop> loop_;
  std::unique_ptr<HttpServer> server_;
  std::function<void(HttpRequest, HttpResponder)> handler_;
  std::vector<HttpRequest> seen_;
  std::vector<HttpResponder> parked_;
  std::string base_;
  std::unique_ptr<HttpClient> client_;  // destroyed first
};

TEST_F(HttpClientKernelTest, GetRoundTripsHeadersAndBody) {
  handler_ = [](HttpRequest req, HttpResponder r) {
    HttpResponse resp = HttpResponse::Text(200, "hello " + req.target);
    resp.SetHeader("X-Reply", "yes");
    r.Respond(std::move(resp));
  };
  HttpClientRequest req = Get("/greet?x=1");
  req.headers = {{"X-Test", "abc"}, {"X-Empty", ""}};
  Result r = FetchSync(std::move(req));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello /greet?x=1");
  EXPECT_EQ(r->Header("x-reply"), "yes");
  EXPECT_EQ(r->Header("Content-Length"), "16");
  EXPECT_EQ(r->effective_url, base_ + "/greet?x=1");
  for (const auto& [name, value] : r->headers) {
    EXPECT_FALSE(name.starts_with("HTTP/")) << "status line parsed as a header";
  }
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].method, "GET");
  EXPECT_EQ(seen_[0].target, "/greet?x=1");
  EXPECT_EQ(seen_[0].Header("X-Test"), "abc");
  EXPECT_EQ(seen_[0].Header("User-Agent"), "berth");
  bool has_empty = false;
  for (const auto& [name, value] : seen_[0].headers) {
    has_empty |= name == "X-Empty" && value.empty();
  }
  EXPECT_TRUE(has_empty) << "a header with an empty value was not sent";
}

TEST_F(HttpClientKernelTest, PostAndPutSendBodyWithoutExpectOrFormType) {
  HttpClientRequest post = Get("/small");
  post.method = "POST";
  post.body = "{\"a\":1}";
  Result r = FetchSync(std::move(post));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "POST /small {\"a\":1}");
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].Header("Content-Type"), "") << "curl's form type leaked in";
  EXPECT_EQ(seen_[0].Header("Content-Length"), "7");

  // Large enough that curl would add "Expect: 100-continue" on its own.
  std::string big(2 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) {
    big[i] = static_cast<char>('a' + (i / 4096) % 26);
  }
  handler_ = [](HttpRequest req, HttpResponder r) {
    HttpResponse resp = HttpResponse::Text(201, std::to_string(req.body.size()));
    resp.SetHeader("X-Method", req.method);
    r.Respond(std::move(resp));
  };
  HttpClientRequest put = Get("/big");
  put.method = "PUT";
  put.body = big;
  put.headers = {{"Content-Type", "application/octet-stream"}};
  r = FetchSync(std::move(put));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, std::to_string(big.size()));
  EXPECT_EQ(r->Header("X-Method"), "PUT");
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[1].body, big);
  EXPECT_EQ(seen_[1].Header("Expect"), "");
  EXPECT_EQ(seen_[1].Header("Content-Type"), "application/octet-stream");
}

TEST_F(HttpClientKernelTest, OtherMethodsAreSentAsGiven) {
  HttpClientRequest head = Get("/h");
  head.method = "HEAD";
  Result r = FetchSync(std::move(head));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->Header("Content-Length"), "8");  // "HEAD /h "

  HttpClientRequest del = Get("/d");
  del.method = "DELETE";
  r = FetchSync(std::move(del));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "DELETE /d ");

  HttpClientRequest patch = Get("/p");
  patch.method = "PATCH";
  patch.body = "delta";
  r = FetchSync(std::move(patch));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "PATCH /p delta");
}

TEST_F(HttpClientKernelTest, TwoHundredConcurrentRequestsShareAFewConnections) {
  HttpClientOptions options;
  options.max_connections_per_host = 4;
  client_ = MakeClient(options);
  handler_ = [](HttpRequest req, HttpResponder r) {
    r.Respond(HttpResponse::Text(200, "r" + req.target));
  };
  constexpr int kRequests = 200;
  auto results = std::make_shared<std::vector<std::optional<Result>>>(kRequests);
  auto done = std::make_shared<int>(0);
  for (int i = 0; i < kRequests; ++i) {
    client_->Fetch(Get("/n/" + std::to_string(i)), [results, done, i](Result r) {
      (*results)[i] = std::move(r);
      ++*done;
    });
  }
  EXPECT_EQ(client_->in_flight(), static_cast<size_t>(kRequests));
  ASSERT_TRUE(RunUntil([&] { return *done == kRequests; }, absl::Seconds(30)))
      << *done << " of " << kRequests;
  for (int i = 0; i < kRequests; ++i) {
    const Result& r = *(*results)[i];
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    EXPECT_EQ(r->body, "r/n/" + std::to_string(i));
  }
  EXPECT_EQ(client_->in_flight(), 0u);
  EXPECT_EQ(server_->stats().requests, static_cast<uint64_t>(kRequests));
  EXPECT_LE(server_->stats().connections_accepted, 4u);
  EXPECT_GT(server_->stats().connections_accepted, 1u) << "requests were not concurrent";
}

TEST_F(HttpClientKernelTest, SequentialRequestsReuseOneConnection) {
  for (int i = 0; i < 20; ++i) {
    Result r = FetchSync(Get("/s/" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->body, "GET /s/" + std::to_string(i) + " ");
  }
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
}

// Regression: a fresh socket often gets the fd number of the one just
// closed; a stale poll completion for the old one must not reach curl.
TEST_F(HttpClientKernelTest, ConnectionCloseEveryTimeReopensCleanly) {
  for (int i = 0; i < 30; ++i) {
    HttpClientRequest req = Get("/c/" + std::to_string(i));
    req.headers = {{"Connection", "close"}};
    Result r = FetchSync(std::move(req));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    EXPECT_EQ(r->body, "GET /c/" + std::to_string(i) + " ");
  }
  EXPECT_EQ(server_->stats().connections_accepted, 30u);
}

// With one connection per host, a request that times out closes its
// connection (its poll still outstanding) and hands the slot to the queued
// one; nothing of the first is left behind once the client is gone.
TEST_F(HttpClientKernelTest, TimedOutRequestHandsItsSlotToAQueuedOne) {
  size_t baseline = loop_->pending_ops();
  HttpClientOptions options;
  options.max_connections_per_host = 1;
  client_ = MakeClient(options);
  handler_ = [this](HttpRequest req, HttpResponder r) {
    if (req.target == "/hang") {
      parked_.push_back(std::move(r));
    } else {
      r.Respond(HttpResponse::Text(200, "ok"));
    }
  };
  auto results = std::make_shared<std::vector<std::optional<Result>>>(2);
  HttpClientRequest hang = Get("/hang");
  hang.timeout = absl::Milliseconds(200);
  client_->Fetch(std::move(hang), [results](Result r) { (*results)[0] = std::move(r); });
  client_->Fetch(Get("/ok"), [results](Result r) { (*results)[1] = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return (*results)[0] && (*results)[1]; }));
  EXPECT_EQ((*results)[0]->status().code(), absl::StatusCode::kDeadlineExceeded);
  ASSERT_TRUE((*results)[1]->ok()) << (*results)[1]->status();
  EXPECT_EQ((*(*results)[1])->body, "ok");
  EXPECT_EQ(server_->stats().connections_accepted, 2u);
  client_.reset();
  EXPECT_TRUE(RunUntil([&] { return loop_->pending_ops() == baseline; }))
      << "pending ops " << loop_->pending_ops() << " (baseline " << baseline << ")";
  for (HttpResponder& r : parked_) {
    r.Respond(HttpResponse::Text(200, "too late"));
  }
  EXPECT_TRUE(RunUntil([&] { return server_->stats().open_connections == 0; }))
      << "open connections " << server_->stats().open_connections;
}

// A FakeLoop whose Cancel() can be held back, so a test decides when (and
// with what result) a cancelled poll completes.
class DeferringLoop final : public EventLoop {
 public:
  FakeLoop fake;
  bool defer_cancel = false;
  std::vector<OpId> deferred;

  absl::Status Run() override { return fake.Run(); }
  absl::Status RunOnce(absl::Duration t) override { return fake.RunOnce(t); }
  void Stop() override { fake.Stop(); }
  void Post(absl::AnyInvocable<void()> fn) override { fake.Post(std::move(fn)); }
  bool InLoopThread() const override { return true; }
  const TimeSource& time() const override { return fake.time(); }
  TimerId AddTimer(absl::Duration d, absl::AnyInvocable<void()> fn) override {
    return fake.AddTimer(d, std::move(fn));
  }
  bool CancelTimer(TimerId id) override { return fake.CancelTimer(id); }
  OpId Accept(int fd, IoCallback cb) override { return fake.Accept(fd, std::move(cb)); }
  OpId Recv(int fd, absl::Span<char> b, IoCallback cb) override {
    return fake.Recv(fd, b, std::move(cb));
  }
  OpId Send(int fd, absl::Span<const char> b, IoCallback cb) override {
    return fake.Send(fd, b, std::move(cb));
  }
  OpId Connect(int fd, const sockaddr* a, socklen_t l, IoCallback cb) override {
    return fake.Connect(fd, a, l, std::move(cb));
  }
  OpId Poll(int fd, uint32_t mask, IoCallback cb) override {
    return fake.Poll(fd, mask, std::move(cb));
  }
  OpId WaitPidfd(int fd, absl::AnyInvocable<void(absl::StatusOr<ExitStatus>)> cb) override {
    return fake.WaitPidfd(fd, std::move(cb));
  }
  void ReadFile(int dirfd, std::string path, size_t max,
                absl::AnyInvocable<void(absl::StatusOr<std::string>)> cb) override {
    fake.ReadFile(dirfd, std::move(path), max, std::move(cb));
  }
  void Cancel(OpId id) override {
    if (defer_cancel) {
      deferred.push_back(id);
    } else {
      fake.Cancel(id);
    }
  }

  bool IsPending(OpId id) const {
    for (const FakeLoop::PendingOp& op : fake.pending()) {
      if (op.id == id) {
        return true;
      }
    }
    return false;
  }
  std::vector<FakeLoop::PendingOp> PollsOn(int fd) const {
    std::vector<FakeLoop::PendingOp> out;
    for (const FakeLoop::PendingOp& op : fake.pending()) {
      if (op.kind == FakeLoop::Kind::kPoll && op.fd == fd) {
        out.push_back(op);
      }
    }
    return out;
  }
  // Completes the pending polls whose socket is ready now (poll(2)), runs
  // what is due, and moves fake time along with real time.
  void Pump() {
    fake.RunUntilIdle();
    for (const FakeLoop::PendingOp& op : fake.pending()) {
      if (op.kind != FakeLoop::Kind::kPoll || !IsPending(op.id)) {
        continue;
      }
      pollfd p{op.fd, static_cast<short>(op.poll_mask), 0};
      if (::poll(&p, 1, 0) > 0) {
        fake.Complete(op.id, p.revents);
      }
    }
    absl::SleepFor(absl::Milliseconds(1));
    fake.AdvanceTime(absl::Milliseconds(1));
  }
};

// Regression: a poll whose event raced its cancellation completes after
// curl closed the socket and a new socket took the same fd number. Taken for
// the new socket's event, it left two polls on one fd and leaked one.
TEST_F(HttpClientKernelTest, StalePollCompletionForAReusedFdNumberIsIgnored) {
  DeferringLoop dl;
  auto client = HttpClient::Create(dl);
  ASSERT_TRUE(client.ok()) << client.status();
  handler_ = [this](HttpRequest req, HttpResponder r) {
    if (req.target == "/hang") {
      parked_.push_back(std::move(r));
    } else {
      r.Respond(HttpResponse::Text(200, "ok"));
    }
  };
  auto pump = [&](const std::function<bool()>& done) {
    return RunUntil([&] {
      dl.Pump();
      return done();
    });
  };
  auto results = std::make_shared<std::vector<std::optional<Result>>>(2);
  HttpRequestId a =
      (*client)->Fetch(Get("/hang"), [results](Result r) { (*results)[0] = std::move(r); });
  ASSERT_TRUE(pump([&] { return parked_.size() == 1; }));
  // A's connection now waits for the response: one POLLIN poll.
  std::optional<FakeLoop::PendingOp> old_poll;
  for (const FakeLoop::PendingOp& op : dl.fake.pending()) {
    if (op.kind == FakeLoop::Kind::kPoll) {
      ASSERT_FALSE(old_poll) << "more than one poll for one request";
      old_poll = op;
    }
  }
  ASSERT_TRUE(old_poll);
  const int fd = old_poll->fd;

  dl.defer_cancel = true;
  ASSERT_TRUE((*client)->Cancel(a));  // closes fd; the poll's cancel is held
  ASSERT_EQ(dl.deferred, std::vector<OpId>{old_poll->id});
  (*client)->Fetch(Get("/ok"), [results](Result r) { (*results)[1] = std::move(r); });
  dl.fake.RunUntilIdle();  // curl's 0 ms timer: B connects on a new socket
  std::vector<FakeLoop::PendingOp> polls = dl.PollsOn(fd);
  if (polls.size() != 2) {
    GTEST_SKIP() << "the new socket did not reuse fd " << fd << "; nothing to race";
  }
  // The old poll's event arrives after all.
  dl.fake.Complete(old_poll->id, POLLIN | POLLOUT);
  polls = dl.PollsOn(fd);
  ASSERT_EQ(polls.size(), 1u) << "the stale completion was taken for the new socket";
  EXPECT_NE(polls[0].id, old_poll->id);
  dl.defer_cancel = false;

  ASSERT_TRUE(pump([&] { return (*results)[1].has_value(); }));
  ASSERT_TRUE((*results)[1]->ok()) << (*results)[1]->status();
  EXPECT_EQ((*(*results)[1])->body, "ok");
  EXPECT_EQ((*results)[0]->status().code(), absl::StatusCode::kCancelled);
  client->reset();
  dl.fake.RunUntilIdle();
  EXPECT_TRUE(dl.PollsOn(fd).empty());
}

TEST_F(HttpClientKernelTest, HandlerThatNeverAnswersHitsTheTimeout) {
  ParkRequests();
  HttpClientRequest req = Get("/hang");
  req.timeout = absl::Milliseconds(300);
  absl::Time start = absl::Now();
  Result r = FetchSync(std::move(req));
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_THAT(std::string(r.status().message()), StartsWith("failed to GET " + base_ + "/hang: "));
  EXPECT_EQ(parked_.size(), 1u) << "the request never reached the server";
  EXPECT_GE(took, absl::Milliseconds(290));
  EXPECT_LT(took, absl::Seconds(3));
}

TEST_F(HttpClientKernelTest, StalledBodyHitsTheStallTimeout) {
  // A raw peer that sends a header and 10 of 100000 promised bytes, then
  // waits for the client to hang up.
  UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  SocketAddress addr = SocketAddress::Loopback4(0);
  ASSERT_EQ(bind(listener.get(), addr.get(), addr.len), 0);
  ASSERT_EQ(listen(listener.get(), 4), 0);
  uint16_t port = LocalAddress(listener.get())->port();
  std::atomic<bool> peer_done{false};
  std::atomic<bool> hung_up{false};
  std::thread peer([fd = listener.get(), &peer_done, &hung_up] {
    absl::Cleanup done = [&peer_done] { peer_done = true; };
    UniqueFd conn(accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
    timeval tv{10, 0};
    setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = read(conn.get(), buf, sizeof(buf));
      if (n <= 0) {
        return;
      }
      in.append(buf, n);
    }
    std::string out = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789";
    if (write(conn.get(), out.data(), out.size()) < 0) {
      return;
    }
    ssize_t n;
    while ((n = read(conn.get(), buf, sizeof(buf))) > 0) {
    }
    hung_up = n == 0;
  });
  HttpClientRequest req;
  req.url = absl::StrCat("http://127.0.0.1:", port, "/blob");
  req.timeout = absl::InfiniteDuration();
  req.stall_timeout = absl::Seconds(1);
  absl::Time start = absl::Now();
  Result r = FetchSync(std::move(req));
  absl::Duration took = absl::Now() - start;
  RunUntil([&] { return peer_done.load(); });  // the loop submits the poll's cancel
  peer.join();
  EXPECT_TRUE(hung_up.load()) << "the client kept the stalled connection open";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("nothing sent or received for 1s"));
  EXPECT_GE(took, absl::Milliseconds(990));
  EXPECT_LT(took, absl::Seconds(3));
}

TEST_F(HttpClientKernelTest, ClosedPortIsUnavailableWithTheErrno) {
  RefusingPort closed;
  std::string url = absl::StrCat("http://127.0.0.1:", closed.port(), "/x");
  HttpClientRequest req;
  req.url = url;
  Result r = FetchSync(std::move(req));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(ErrnoOf(r.status()), ECONNREFUSED) << r.status();
  EXPECT_THAT(std::string(r.status().message()), StartsWith("failed to GET " + url + ": "));
}

// The server reads no further while a handler works, so a client that hung
// up shows as its recv finishing (the loop's pending ops back to where they
// were) and as the connection closing once the parked handler answers.
TEST_F(HttpClientKernelTest, CancelCompletesOnceAndClosesTheConnection) {
  size_t baseline = loop_->pending_ops();
  ParkRequests();
  auto calls = std::make_shared<std::vector<absl::Status>>();
  HttpRequestId id =
      client_->Fetch(Get("/slow"), [calls](Result r) { calls->push_back(r.status()); });
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(RunUntil([&] { return parked_.size() == 1; }));
  EXPECT_EQ(server_->stats().open_connections, 1u);
  EXPECT_TRUE(calls->empty());
  EXPECT_TRUE(client_->Cancel(id));
  ASSERT_EQ(calls->size(), 1u) << "Cancel did not complete the request";
  EXPECT_EQ((*calls)[0].code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(std::string((*calls)[0].message()), StartsWith("failed to GET " + base_ + "/slow"));
  EXPECT_FALSE(client_->Cancel(id));
  EXPECT_EQ(client_->in_flight(), 0u);
  EXPECT_TRUE(RunUntil([&] { return loop_->pending_ops() == baseline; }))
      << "pending ops " << loop_->pending_ops() << " (baseline " << baseline << ")";
  parked_[0].Respond(HttpResponse::Text(200, "too late"));
  EXPECT_TRUE(RunUntil([&] { return server_->stats().open_connections == 0; }))
      << "the cancelled request's connection stayed open";
  EXPECT_EQ(calls->size(), 1u);
  // The client still works afterwards.
  handler_ = [](HttpRequest, HttpResponder r) { r.Respond(HttpResponse::Text(200, "ok")); };
  Result after = FetchSync(Get("/after"));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->body, "ok");
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>('a' + (i * 7 + i / 1000) % 26);
  }
  return s;
}

TEST_F(HttpClientKernelTest, LargeBodyStreamsToTheSinkInPieces) {
  const std::string blob = Pattern(6 << 20);
  handler_ = [&blob](HttpRequest, HttpResponder r) { r.Respond(HttpResponse::Text(200, blob)); };
  auto got = std::make_shared<std::string>();
  auto pieces = std::make_shared<size_t>(0);
  auto largest = std::make_shared<size_t>(0);
  HttpClientRequest req = Get("/blob");
  req.max_body_bytes = 1 << 20;  // would fail if the body were buffered
  req.body_sink = [got, pieces, largest](std::string_view piece) {
    got->append(piece);
    ++*pieces;
    *largest = std::max(*largest, piece.size());
    return absl::OkStatus();
  };
  Result r = FetchSync(std::move(req));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(got->size(), blob.size());
  EXPECT_TRUE(*got == blob) << "streamed body differs";
  EXPECT_GT(*pieces, 10u);
  EXPECT_LE(*largest, 1u << 20);
}

TEST_F(HttpClientKernelTest, SinkErrorStopsTheTransferAndKeepsTheErrno) {
  const std::string blob = Pattern(6 << 20);
  handler_ = [&blob](HttpRequest, HttpResponder r) { r.Respond(HttpResponse::Text(200, blob)); };
  auto pieces = std::make_shared<int>(0);
  HttpClientRequest req = Get("/blob");
  req.body_sink = [pieces](std::string_view) {
    ++*pieces;
    return ErrnoStatus(ENOSPC, "write layer");
  };
  Result r = FetchSync(std::move(req));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_EQ(ErrnoOf(r.status()), ENOSPC);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("body sink: failed to write layer"));
  EXPECT_THAT(std::string(r.status().message()), StartsWith("failed to GET " + base_ + "/blob"));
  EXPECT_EQ(*pieces, 1);
}

TEST_F(HttpClientKernelTest, CancelFromInsideTheSinkCompletesOnce) {
  const std::string blob = Pattern(6 << 20);
  handler_ = [&blob](HttpRequest, HttpResponder r) { r.Respond(HttpResponse::Text(200, blob)); };
  auto pieces = std::make_shared<int>(0);
  auto calls = std::make_shared<std::vector<absl::Status>>();
  auto id = std::make_shared<HttpRequestId>(0);
  HttpClientRequest req = Get("/blob");
  req.body_sink = [this, pieces, id](std::string_view) {
    if (++*pieces == 1) {
      EXPECT_TRUE(client_->Cancel(*id));
    }
    return absl::OkStatus();
  };
  *id = client_->Fetch(std::move(req), [calls](Result r) { calls->push_back(r.status()); });
  ASSERT_TRUE(RunUntil([&] { return !calls->empty(); }));
  RunUntil([] { return false; }, absl::Milliseconds(100));  // a second call would show now
  ASSERT_EQ(calls->size(), 1u);
  EXPECT_EQ((*calls)[0].code(), absl::StatusCode::kCancelled) << (*calls)[0];
  EXPECT_EQ(*pieces, 1);
  EXPECT_EQ(client_->in_flight(), 0u);
}

TEST_F(HttpClientKernelTest, ErrorBodiesAreBufferedNotSunk) {
  handler_ = [](HttpRequest, HttpResponder r) {
    r.Respond(HttpResponse::Text(404, "no such blob"));
  };
  auto sunk = std::make_shared<bool>(false);
  HttpClientRequest req = Get("/missing");
  req.body_sink = [sunk](std::string_view) {
    *sunk = true;
    return absl::OkStatus();
  };
  Result r = FetchSync(std::move(req));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "no such blob");
  EXPECT_FALSE(*sunk);
}

TEST_F(HttpClientKernelTest, BufferedBodyOverTheLimitIsResourceExhausted) {
  handler_ = [](HttpRequest, HttpResponder r) {
    r.Respond(HttpResponse::Text(200, std::string(5000, 'z')));
  };
  HttpClientRequest req = Get("/big");
  req.max_body_bytes = 1000;
  Result r = FetchSync(std::move(req));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("larger than 1000 bytes"));
}

TEST_F(HttpClientKernelTest, ResumeFromSendsARangeAndGetsTheTail) {
  const std::string blob = Pattern(1000);
  bool honour = true;
  handler_ = [&](HttpRequest req, HttpResponder r) {
    if (honour && req.Header("Range") == "bytes=100-") {
      HttpResponse resp = HttpResponse::Text(206, blob.substr(100));
      resp.SetHeader("Content-Range", "bytes 100-999/1000");
      r.Respond(std::move(resp));
      return;
    }
    r.Respond(HttpResponse::Text(200, blob));
  };
  auto got = std::make_shared<std::string>();
  HttpClientRequest req = Get("/blob");
  req.resume_from = 100;
  req.body_sink = [got](std::string_view piece) {
    got->append(piece);
    return absl::OkStatus();
  };
  Result r = FetchSync(std::move(req));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].Header("Range"), "bytes=100-");
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(*got, blob.substr(100));

  // A server that ignores the range would hand us the whole body again.
  honour = false;
  HttpClientRequest again = Get("/blob");
  again.resume_from = 100;
  r = FetchSync(std::move(again));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
}

TEST_F(HttpClientKernelTest, BadUrlsAndHeadersAreInvalidArgument) {
  RefusingPort closed;
  for (std::string url :
       {std::string("not a url"), std::string("ftp://127.0.0.1/x"),
        std::string("http://127.0.0.1:99999/"), std::string("127.0.0.1/x"), std::string("")}) {
    auto out = std::make_shared<std::optional<Result>>();
    HttpClientRequest req;
    req.url = url;
    client_->Fetch(std::move(req), [out](Result r) { *out = std::move(r); });
    EXPECT_FALSE(out->has_value()) << "callback ran inside Fetch()";
    ASSERT_TRUE(RunUntil([&] { return out->has_value(); }));
    const Result& r = **out;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << url << ": " << r.status();
    EXPECT_THAT(std::string(r.status().message()), StartsWith("failed to GET " + url + ": "));
  }
  HttpClientRequest injected;
  injected.url = absl::StrCat("http://127.0.0.1:", closed.port(), "/");
  injected.headers = {{"X-Evil", "a\r\nHost: elsewhere"}};
  Result r = FetchSync(std::move(injected));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_TRUE(seen_.empty());
}

TEST_F(HttpClientKernelTest, RedirectsAreFollowedOnlyWhenAskedAndKeepFinalHeaders) {
  handler_ = [](HttpRequest req, HttpResponder r) {
    if (req.target == "/a") {
      HttpResponse resp = HttpResponse::Text(302, "moved");
      resp.SetHeader("Location", "/b").SetHeader("X-Hop", "a");
      r.Respond(std::move(resp));
      return;
    }
    HttpResponse resp = HttpResponse::Text(200, "final");
    resp.SetHeader("X-Final", "yes");
    r.Respond(std::move(resp));
  };
  Result r = FetchSync(Get("/a"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->Header("Location"), "/b");
  EXPECT_EQ(r->body, "moved");

  HttpClientRequest follow = Get("/a");
  follow.follow_redirects = true;
  r = FetchSync(std::move(follow));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "final");
  EXPECT_EQ(r->Header("X-Final"), "yes");
  EXPECT_EQ(r->Header("X-Hop"), "") << "headers of the redirect leaked into the final response";
  EXPECT_EQ(r->effective_url, base_ + "/b");
}

TEST_F(HttpClientKernelTest, ProxyEnvironmentIsIgnoredUnlessConfigured) {
  RefusingPort proxy;
  std::string proxy_url = absl::StrCat("http://127.0.0.1:", proxy.port());
  ScopedEnv env;
  for (const char* name : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) {
    env.Set(name, proxy_url.c_str());
  }
  env.Set("no_proxy", nullptr);
  env.Set("NO_PROXY", nullptr);
  Result r = FetchSync(Get("/direct"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "GET /direct ");

  // The same refusing proxy, configured, is used (and fails).
  HttpClientOptions options;
  options.proxy = proxy_url;
  client_ = MakeClient(options);
  r = FetchSync(Get("/via-proxy"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(seen_.size(), 1u);
}

TEST_F(HttpClientKernelTest, DestructorCancelsEverythingAndLeavesNoOpsBehind) {
  size_t baseline = loop_->pending_ops();
  ParkRequests();
  auto codes = std::make_shared<std::vector<absl::StatusCode>>();
  for (int i = 0; i < 5; ++i) {
    client_->Fetch(Get("/p/" + std::to_string(i)),
                   [codes](Result r) { codes->push_back(r.status().code()); });
  }
  ASSERT_TRUE(RunUntil([&] { return parked_.size() == 5; }));
  EXPECT_TRUE(codes->empty());
  client_.reset();
  ASSERT_EQ(codes->size(), 5u) << "the destructor did not complete every request";
  for (absl::StatusCode code : *codes) {
    EXPECT_EQ(code, absl::StatusCode::kCancelled);
  }
  EXPECT_TRUE(RunUntil([&] { return loop_->pending_ops() == baseline; }))
      << "pending ops " << loop_->pending_ops() << " (baseline " << baseline << ")";
  for (HttpResponder& r : parked_) {
    r.Respond(HttpResponse::Text(200, "too late"));
  }
  EXPECT_TRUE(RunUntil([&] { return server_->stats().open_connections == 0; }))
      << "open connections " << server_->stats().open_connections;
  RunUntil([] { return false; }, absl::Milliseconds(50));  // late completions find nothing
  EXPECT_EQ(codes->size(), 5u);
}

}  // namespace
}  // namespace berth::io
