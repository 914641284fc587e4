#include "agent/session/control_client.h"

#include <optional>
#include <string>
#include <vector>

#include "agent/session/backoff.h"
#include "agent/session/control_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/session/session_test_base.h"

namespace berth::agent {
namespace {

using ::testing::HasSubstr;
using testing::SessionTestBase;

class ControlClientTest : public SessionTestBase {
 protected:
  absl::StatusOr<std::string> CallAndWait(const std::string& op, const std::string& body) {
    std::optional<absl::StatusOr<std::string>> result;
    client_->Call(op, body, [&](absl::StatusOr<std::string> r) { result = std::move(r); });
    EXPECT_FALSE(result.has_value()) << "answered inside Call";
    loop_.RunUntilIdle();
    CHECK(result.has_value());
    return *result;
  }
  std::string Discover() {
    std::optional<std::string> endpoint;
    client_->DiscoverPollEndpoint("arn:ci", [&](std::string e) { endpoint = e; });
    loop_.RunUntilIdle();
    CHECK(endpoint.has_value());
    return *endpoint;
  }
};

TEST_F(ControlClientTest, CallsAreSignedJson11PostsThatTheControlPlaneVerifies) {
  auto answer = CallAndWait("SubmitTaskStateChange", R"({"cluster":"default"})");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(*answer, R"({"acknowledgment":"ok"})");
  EXPECT_EQ(plane_.auth_failures(), 0);
  EXPECT_EQ(plane_.unsigned_requests(), 0);
  ASSERT_EQ(plane_.CallCount("SubmitTaskStateChange"), 1u);
  const auto& sent = transport_.sent().back();
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, std::string(testing::kBackend) + "/");
  EXPECT_EQ(io::FindHeader(sent.headers, "X-Amz-Target"),
            "AmazonEC2ContainerServiceV20141113.SubmitTaskStateChange");
  EXPECT_EQ(io::FindHeader(sent.headers, "Host"), "control.invalid:8080");
  EXPECT_THAT(std::string(io::FindHeader(sent.headers, "Authorization")),
              HasSubstr("Credential=AKIDAGENTTEST/20231114/us-east-1/ecs/aws4_request"));
}

TEST_F(ControlClientTest, ASessionTokenIsSentAndSignedAsXAmzSecurityToken) {
  ControlClientOptions options = client_->options();
  options.credentials.session_token = "token/with+chars==";
  ControlClient client(loop_, transport_, options);
  std::optional<absl::StatusOr<std::string>> result;
  client.Call("DiscoverPollEndpoint", "{}", [&](absl::StatusOr<std::string> r) { result = r; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(result.has_value());
  // berth-control issues no temporary credentials, so it refuses any token,
  // as AWS refuses an unknown one; what matters here is that it was sent.
  EXPECT_EQ(EcsErrorName(result->status()), "InvalidSignatureException");
  EXPECT_THAT(std::string(result->status().message()),
              HasSubstr("The security token included in the request is invalid"));
  const auto& sent = transport_.sent().back();
  EXPECT_EQ(io::FindHeader(sent.headers, "X-Amz-Security-Token"), "token/with+chars==");
  EXPECT_THAT(std::string(io::FindHeader(sent.headers, "Authorization")),
              HasSubstr("x-amz-security-token"));
}

TEST_F(ControlClientTest, AWrongSecretIsRefusedByTheVerifier) {
  ControlClientOptions options = client_->options();
  options.credentials.secret_access_key = "wrong";
  ControlClient client(loop_, transport_, options);
  std::optional<absl::StatusOr<std::string>> result;
  client.Call("DiscoverPollEndpoint", "{}", [&](absl::StatusOr<std::string> r) { result = r; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(EcsErrorName(result->status()), "InvalidSignatureException");
  EXPECT_FALSE(IsTransient(result->status()));
  EXPECT_EQ(plane_.auth_failures(), 1);
}

TEST_F(ControlClientTest, EcsErrorShapeBecomesAStatusCarryingItsName) {
  plane_.ScriptError("DiscoverPollEndpoint", 400, "ClusterNotFoundException", "Cluster not found.");
  auto answer = CallAndWait("DiscoverPollEndpoint", "{}");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(EcsErrorName(answer.status()), "ClusterNotFoundException");
  EXPECT_EQ(answer.status().message(),
            "failed to DiscoverPollEndpoint: ClusterNotFoundException: Cluster not found.");
}

TEST_F(ControlClientTest, ErrorKindsMapToCodes) {
  struct Case {
    int http;
    std::string type;
    absl::StatusCode code;
    bool transient;
    bool permanent_for_reports;
  };
  for (const Case& c : {
           Case{500, "ServerException", absl::StatusCode::kUnavailable, true, false},
           Case{400, "ThrottlingException", absl::StatusCode::kResourceExhausted, true, false},
           Case{400, "LimitExceededException", absl::StatusCode::kResourceExhausted, true, false},
           Case{400, "ClientException", absl::StatusCode::kInvalidArgument, false, true},
           Case{400, "InvalidParameterException", absl::StatusCode::kInvalidArgument, false, true},
           Case{400, "InactiveInstanceException", absl::StatusCode::kFailedPrecondition, false,
                true},
           Case{400, "UnrecognizedClientException", absl::StatusCode::kPermissionDenied, false,
                false},
       }) {
    plane_.ScriptError("SubmitTaskStateChange", c.http, c.type);
    auto answer = CallAndWait("SubmitTaskStateChange", "{}");
    EXPECT_EQ(answer.status().code(), c.code) << c.type;
    EXPECT_EQ(EcsErrorName(answer.status()), c.type);
    EXPECT_EQ(IsTransient(answer.status()), c.transient) << c.type;
    EXPECT_EQ(IsPermanentReportError(answer.status()), c.permanent_for_reports) << c.type;
  }
}

TEST_F(ControlClientTest, AnHttpErrorWithoutTheErrorShapeNamesTheStatus) {
  plane_.Script("SubmitTaskStateChange", io::HttpResponse::Text(502, "bad gateway"));
  auto answer = CallAndWait("SubmitTaskStateChange", "{}");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(answer.status().message(), "failed to SubmitTaskStateChange: HTTP 502");
  EXPECT_EQ(EcsErrorName(answer.status()), "");
  EXPECT_FALSE(IsPermanentReportError(answer.status()));
}

TEST_F(ControlClientTest, ATransportFailureIsTransient) {
  transport_.FailNext(1);
  auto answer = CallAndWait("SubmitTaskStateChange", "{}");
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsTransient(answer.status()));
  EXPECT_FALSE(IsPermanentReportError(answer.status()));
}

TEST_F(ControlClientTest, RegisterReturnsTheArnAndTheWholeAnswer) {
  std::optional<absl::StatusOr<RegisteredInstance>> result;
  client_->RegisterContainerInstance(R"({"cluster":"default"})",
                                     [&](absl::StatusOr<RegisteredInstance> r) { result = r; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(result.has_value() && result->ok()) << result->status();
  EXPECT_EQ((*result)->arn,
            "arn:aws:ecs:us-east-1:000000000000:container-instance/default/0123456789abcdef");
  EXPECT_THAT((*result)->response_body, HasSubstr(R"("status":"ACTIVE")"));
}

TEST_F(ControlClientTest, RegisterAnswerWithoutAnArnIsAnError) {
  plane_.Script("RegisterContainerInstance", io::HttpResponse::Json(200, R"({"x":1})"));
  std::optional<absl::StatusOr<RegisteredInstance>> result;
  client_->RegisterContainerInstance("{}", [&](absl::StatusOr<RegisteredInstance> r) { result = r; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ControlClientTest, PollEndpointIsCachedForTwelveHours) {
  plane_.set_poll_endpoint("http://10.0.0.1:9000/");
  EXPECT_EQ(Discover(), "http://10.0.0.1:9000");
  ASSERT_EQ(plane_.CallCount("DiscoverPollEndpoint"), 1u);
  auto body = plane_.Calls("DiscoverPollEndpoint")[0].body.as_object();
  EXPECT_EQ(body["containerInstance"], "arn:ci");
  EXPECT_EQ(body["cluster"], "default");
  loop_.AdvanceTime(absl::Hours(11));
  EXPECT_EQ(Discover(), "http://10.0.0.1:9000");
  EXPECT_EQ(plane_.CallCount("DiscoverPollEndpoint"), 1u);
  loop_.AdvanceTime(absl::Hours(1));
  plane_.set_poll_endpoint("http://10.0.0.2:9000");
  EXPECT_EQ(Discover(), "http://10.0.0.2:9000");
  EXPECT_EQ(plane_.CallCount("DiscoverPollEndpoint"), 2u);
}

TEST_F(ControlClientTest, PollEndpointFallsBackToTheExpiredAnswerThenToTheBackend) {
  plane_.ScriptError("DiscoverPollEndpoint", 500, "ServerException");
  EXPECT_EQ(Discover(), testing::kBackend);
  plane_.set_poll_endpoint("http://10.0.0.1:9000");
  EXPECT_EQ(Discover(), "http://10.0.0.1:9000");
  loop_.AdvanceTime(absl::Hours(13));
  plane_.ScriptError("DiscoverPollEndpoint", 500, "ServerException");
  EXPECT_EQ(Discover(), "http://10.0.0.1:9000");
  EXPECT_EQ(plane_.CallCount("DiscoverPollEndpoint"), 3u);
}

TEST_F(ControlClientTest, TheTelemetryEndpointComesFromTheSameCachedAnswer) {
  plane_.set_poll_endpoint("http://10.0.0.1:9000");
  plane_.set_telemetry_endpoint("http://10.0.0.9:9100/");
  std::optional<std::string> telemetry;
  client_->DiscoverTelemetryEndpoint("arn:ci", [&](std::string e) { telemetry = e; });
  loop_.RunUntilIdle();
  EXPECT_EQ(telemetry, "http://10.0.0.9:9100");
  EXPECT_EQ(Discover(), "http://10.0.0.1:9000");
  EXPECT_EQ(plane_.CallCount("DiscoverPollEndpoint"), 1u);
  // An answer without a usable telemetryEndpoint: the poll endpoint.
  loop_.AdvanceTime(absl::Hours(12));
  plane_.set_telemetry_endpoint("not a url");
  telemetry.reset();
  client_->DiscoverTelemetryEndpoint("arn:ci", [&](std::string e) { telemetry = e; });
  loop_.RunUntilIdle();
  EXPECT_EQ(telemetry, "http://10.0.0.1:9000");
  // A failed discovery with nothing cached: ECS_BACKEND_HOST for both.
  ControlClient fresh(loop_, transport_, client_->options());
  plane_.ScriptError("DiscoverPollEndpoint", 500, "ServerException");
  telemetry.reset();
  fresh.DiscoverTelemetryEndpoint("arn:ci", [&](std::string e) { telemetry = e; });
  loop_.RunUntilIdle();
  EXPECT_EQ(telemetry, testing::kBackend);
}

TEST_F(ControlClientTest, CallersAskingWhileADiscoveryIsInFlightShareIt) {
  plane_.set_poll_endpoint("http://10.0.0.1:9000");
  std::vector<std::string> answers;
  client_->DiscoverPollEndpoint("arn:ci", [&](std::string e) { answers.push_back(e); });
  client_->DiscoverTelemetryEndpoint("arn:ci", [&](std::string e) { answers.push_back(e); });
  client_->DiscoverPollEndpoint("arn:ci", [&](std::string e) { answers.push_back(e); });
  EXPECT_TRUE(answers.empty()) << "answered inside the call";
  loop_.RunUntilIdle();
  EXPECT_EQ(answers, std::vector<std::string>(3, "http://10.0.0.1:9000"));
  EXPECT_EQ(plane_.CallCount("DiscoverPollEndpoint"), 1u);
}

TEST_F(ControlClientTest, PublishMetricsIsASignedJsonPostToAgentV1Metrics) {
  std::optional<absl::Status> result;
  client_->PublishMetrics("http://telemetry.invalid:9100", R"({"metadata":{"messageId":"m1"}})",
                          absl::Seconds(7), [&](absl::Status s) { result = s; });
  EXPECT_FALSE(result.has_value()) << "answered inside the call";
  loop_.RunUntilIdle();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok()) << *result;
  const auto& sent = transport_.sent().back();
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "http://telemetry.invalid:9100/agent/v1/metrics");
  EXPECT_EQ(sent.timeout, absl::Seconds(7));
  EXPECT_EQ(io::FindHeader(sent.headers, "Content-Type"), "application/json");
  EXPECT_EQ(io::FindHeader(sent.headers, "X-Amz-Target"), "");
  EXPECT_EQ(plane_.CallCount("PublishMetrics"), 1u);
  EXPECT_EQ(plane_.auth_failures(), 0);
  EXPECT_EQ(plane_.unsigned_requests(), 0);

  plane_.ScriptError("PublishMetrics", 400, "InvalidParameterException", "taskMetrics[0]");
  result.reset();
  client_->PublishMetrics("http://telemetry.invalid:9100", "{}", absl::Seconds(7),
                          [&](absl::Status s) { result = s; });
  loop_.RunUntilIdle();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EcsErrorName(*result), "InvalidParameterException");
  EXPECT_EQ(result->message(),
            "failed to PublishMetrics: InvalidParameterException: taskMetrics[0]");
}

TEST_F(ControlClientTest, PollSendsItsRequestAndDecodesTheAnswer) {
  plane_.set_poll_endpoint("http://poll.invalid:1");
  plane_.ScriptPoll(R"({"type":"messages","epoch":3,"messages":[
      {"seq":4,"type":"task","taskArn":"arn:t","desiredStatus":"RUNNING","reason":"",
       "task":{"task":{"taskArn":"arn:t"}}},
      {"seq":6,"type":"stop","taskArn":"arn:u","desiredStatus":"STOPPED","reason":"bye"}]})");
  std::optional<absl::StatusOr<PollAnswer>> result;
  client_->Poll("http://poll.invalid:1",
                PollRequest{"default", "arn:ci", "sess", 3}, absl::Seconds(30),
                [&](absl::StatusOr<PollAnswer> r) { result = std::move(r); });
  loop_.RunUntilIdle();
  ASSERT_TRUE(result.has_value() && result->ok()) << result->status();
  EXPECT_EQ((*result)->kind, PollAnswer::Kind::kMessages);
  EXPECT_EQ((*result)->epoch, 3u);
  ASSERT_EQ((*result)->messages.size(), 2u);
  EXPECT_EQ((*result)->messages[0],
            (PollMessage{4, "task", "arn:t", "RUNNING", "", R"({"task":{"taskArn":"arn:t"}})"}));
  EXPECT_EQ((*result)->messages[1], (PollMessage{6, "stop", "arn:u", "STOPPED", "bye", ""}));
  const auto& sent = transport_.sent().back();
  EXPECT_EQ(sent.url, "http://poll.invalid:1/agent/v1/poll");
  EXPECT_EQ(sent.body,
            R"({"cluster":"default","containerInstanceArn":"arn:ci","sessionId":"sess","ack":3})");
  EXPECT_EQ(io::FindHeader(sent.headers, "Content-Type"), "application/json");
  EXPECT_EQ(sent.timeout, absl::Seconds(30));
  EXPECT_EQ(plane_.auth_failures(), 0);
}

TEST(DecodePollAnswerTest, RefusesWhatTheProtocolDoesNotAllow) {
  EXPECT_EQ(DecodePollAnswer(R"({"type":"heartbeat","epoch":1})")->kind,
            PollAnswer::Kind::kHeartbeat);
  EXPECT_EQ(DecodePollAnswer(R"({"type":"reregister","epoch":0})")->kind,
            PollAnswer::Kind::kReregister);
  EXPECT_EQ(DecodePollAnswer(R"({"type":"superseded"})")->kind, PollAnswer::Kind::kSuperseded);
  for (const char* bad : {
           "[]", "not json", R"({"type":"party"})", R"({"epoch":1})",
           R"({"type":"messages","messages":[]})",
           R"({"type":"messages","messages":[{"seq":2,"type":"task","taskArn":"a"},
                                             {"seq":2,"type":"task","taskArn":"b"}]})",
           R"({"type":"messages","messages":[{"seq":1,"type":"jump","taskArn":"a"}]})",
           R"({"type":"messages","messages":[{"seq":1,"type":"task"}]})",
           R"({"type":"messages","messages":[{"seq":-1,"type":"task","taskArn":"a"}]})",
       }) {
    auto answer = DecodePollAnswer(bad);
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  auto answer = DecodePollAnswer(
      R"({"type":"messages","messages":[{"seq":3,"type":"task","taskArn":"a"},
                                        {"seq":2,"type":"task","taskArn":"b"}]})");
  EXPECT_THAT(answer.status().message(), HasSubstr("messages[1].seq' does not increase"));
}

TEST(BackoffTest, GrowsByTheMultiplierUpToTheMaximumWithPositiveJitter) {
  io::Rng rng(7);
  Backoff backoff(kRegistrationBackoff, rng);
  absl::Duration base = absl::Seconds(3);
  for (int i = 0; i < 10; ++i) {
    absl::Duration d = backoff.Next();
    EXPECT_GE(d, base) << i;
    EXPECT_LE(d, base * 1.2) << i;
    base = std::min(base * 2, absl::Seconds(192));
  }
  backoff.Reset();
  absl::Duration first = backoff.Next();
  EXPECT_GE(first, absl::Seconds(3));
  EXPECT_LE(first, absl::Seconds(3.6));
}

}  // namespace
}  // namespace berth::agent
