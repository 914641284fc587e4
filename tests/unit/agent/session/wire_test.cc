// The session over real HTTP: io::HttpClient on a real io::UringLoop talking
// to the fake control plane behind an io::HttpServer on 127.0.0.1:0.
// Registration, endpoint discovery, one poll round and a report, each
// signature checked by berth-control's verifier.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/session/control_client.h"
#include "agent/session/poll_session.h"
#include "agent/session/registration.h"
#include "agent/session/reporter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/http_client.h"
#include "io/http_server.h"
#include "io/log.h"
#include "io/socket.h"
#include "io/uring_loop.h"
#include "tests/unit/agent/session/fake_control_plane.h"
#include "tests/unit/agent/state/state_test_util.h"

namespace berth::agent {
namespace {

using testing::FakeControlPlane;

class SessionWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = io::UringLoop::Create();
    if (!loop.ok()) {
      GTEST_SKIP() << "io_uring unavailable here: " << loop.status();
    }
    loop_ = std::move(*loop);
    plane_ = std::make_unique<FakeControlPlane>(*loop_);
    server_ = std::make_unique<io::HttpServer>(
        *loop_, io::HttpServer::Options{}, [this](io::HttpRequest req, io::HttpResponder r) {
          auto responder = std::make_shared<io::HttpResponder>(std::move(r));
          plane_->Handle(std::move(req),
                         [responder](io::HttpResponse response) {
                           responder->Respond(std::move(response));
                         });
        });
    ASSERT_TRUE(server_->Listen(io::SocketAddress::Loopback4(0)).ok());
    const std::string base = "http://" + server_->address().ToString();
    plane_->set_poll_endpoint(base);
    auto http = io::HttpClient::Create(*loop_);
    ASSERT_TRUE(http.ok());
    http_ = std::move(*http);
    transport_ = std::make_unique<HttpClientTransport>(*http_);
    ControlClientOptions options;
    options.backend_url = base;
    options.credentials = {testing::kAccessKey, testing::kSecret};
    client_ = std::make_unique<ControlClient>(*loop_, *transport_, options);
    AgentStateOptions state;
    state.data_dir = dir_.Sub("data");
    auto store = AgentStateStore::Open(state);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
  }
  void TearDown() override {
    reporter_.reset();
    session_.reset();
    registration_.reset();
    client_.reset();
    transport_.reset();
    http_.reset();
    server_.reset();
  }

  bool RunUntil(const std::function<bool()>& done) {
    absl::Time end = absl::Now() + absl::Seconds(10);
    while (!done() && absl::Now() < end) {
      CHECK_OK(loop_->RunOnce(absl::Milliseconds(10)));
    }
    return done();
  }

  testing::TempDir dir_;
  std::unique_ptr<io::UringLoop> loop_;
  std::unique_ptr<FakeControlPlane> plane_;
  std::unique_ptr<io::HttpServer> server_;
  std::unique_ptr<io::HttpClient> http_;
  std::unique_ptr<HttpClientTransport> transport_;
  std::unique_ptr<ControlClient> client_;
  std::unique_ptr<AgentStateStore> store_;
  io::Rng rng_{1};
  std::unique_ptr<Registration> registration_;
  std::unique_ptr<PollSession> session_;
  std::unique_ptr<Reporter> reporter_;
};

TEST_F(SessionWireTest, RegisterPollApplyAckAndReportOverLoopback) {
  registration_ = std::make_unique<Registration>(*loop_, *client_, *store_, rng_);
  std::optional<absl::StatusOr<RegisteredInstance>> registered;
  registration_->Register(R"({"cluster":"default"})",
                          [&](absl::StatusOr<RegisteredInstance> r) { registered = r; });
  ASSERT_TRUE(RunUntil([&] { return registered.has_value(); }));
  ASSERT_TRUE(registered->ok()) << registered->status();

  std::vector<PollMessage> applied;
  session_ = std::make_unique<PollSession>(
      *loop_, *client_, rng_, PollSessionOptions{}, (*registered)->arn, store_->applied_seq(),
      [&](std::vector<PollMessage> messages, uint64_t up_to,
          absl::AnyInvocable<void(absl::Status)> done) {
        applied.insert(applied.end(), messages.begin(), messages.end());
        done(store_->ApplyBatch(AppliedBatch{.applied_seq = up_to}));
      },
      [](absl::AnyInvocable<void(absl::StatusOr<std::string>)> done) {
        done(absl::UnimplementedError("not in this test"));
      });
  session_->Start();
  ASSERT_TRUE(RunUntil([&] { return plane_->held_polls() == 1; }));
  plane_->AnswerPoll(R"({"type":"messages","epoch":1,"messages":[{"seq":1,"type":"stop",)"
                     R"("taskArn":"arn:t","desiredStatus":"STOPPED","reason":"bye"}]})");
  ASSERT_TRUE(RunUntil([&] { return plane_->CallCount("Poll") == 2; }));
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].reason, "bye");
  EXPECT_EQ(plane_->Calls("Poll")[1].body.as_object().at("ack"), 1);
  EXPECT_EQ(store_->applied_seq(), 1u);

  reporter_ = std::make_unique<Reporter>(*loop_, *client_, store_.get(), rng_);
  auto stored = store_->PutTask(testing::MakeTask("a"), testing::MakeChange("a", "RUNNING"));
  ASSERT_TRUE(stored.ok());
  reporter_->Enqueue(**stored);
  ASSERT_TRUE(RunUntil([&] { return reporter_->stats().sent == 1; }));
  EXPECT_TRUE(store_->Load()->reports.empty());

  EXPECT_EQ(plane_->auth_failures(), 0);
  EXPECT_EQ(plane_->unsigned_requests(), 0);
  EXPECT_EQ(plane_->CallCount("RegisterContainerInstance"), 1u);
  EXPECT_EQ(plane_->CallCount("DiscoverPollEndpoint"), 1u);
  session_->Stop();
}

}  // namespace
}  // namespace berth::agent
