#ifndef BERTH_AGENT_SESSION_CONTROL_CLIENT_H_
#define BERTH_AGENT_SESSION_CONTROL_CLIENT_H_

// The agent's calls to berth-control (docs/agent-protocol.md): ECS JSON 1.1
// operations on `POST /` (X-Amz-Target AmazonEC2ContainerServiceV20141113.<Op>,
// Content-Type application/x-amz-json-1.1), the long poll on
// `POST /agent/v1/poll` and telemetry on `POST /agent/v1/metrics`, every one
// SigV4-signed (service "ecs"). Errors come back as control_error.h
// describes. Loop thread only.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/session/http_transport.h"
#include "agent/session/request_signer.h"
#include "agent/task/task_state.h"
#include "io/event_loop.h"

namespace berth::agent {

struct ControlClientOptions {
  // ECS_BACKEND_HOST: "http://127.0.0.1:8080" (https works the same way).
  std::string backend_url;
  std::string region = "us-east-1";
  AwsCredentials credentials;
  std::string cluster = "default";
  absl::Duration call_timeout = absl::Seconds(30);
  // DiscoverPollEndpoint's answer is reused this long, as Amazon's agent does.
  absl::Duration endpoint_cache_ttl = absl::Hours(12);
};

struct RegisteredInstance {
  std::string arn;            // containerInstance.containerInstanceArn
  std::string response_body;  // the whole answer (attributes, resources, ...)
};

// One message of a poll answer.
struct PollMessage {
  uint64_t seq = 0;
  std::string type;  // "task" | "stop"
  std::string task_arn;
  std::string desired_status;
  std::string reason;
  std::string task_payload;  // "task": the payload's JSON text (for DecodeTaskPayload)
  friend bool operator==(const PollMessage&, const PollMessage&) = default;
};

struct PollAnswer {
  enum class Kind { kMessages, kHeartbeat, kSuperseded, kReregister };
  Kind kind = Kind::kHeartbeat;
  uint64_t epoch = 0;
  std::vector<PollMessage> messages;  // in increasing seq order
};

struct PollRequest {
  std::string cluster;
  std::string instance_arn;
  std::string session_id;
  uint64_t ack = 0;
};

// DiscoverPollEndpoint's answer: base URLs without a trailing '/'.
struct DiscoveredEndpoints {
  std::string poll;       // "endpoint"
  std::string telemetry;  // "telemetryEndpoint"; the poll endpoint when the answer has none
};

// Decodes a poll answer's body; InvalidArgument naming the member.
absl::StatusOr<PollAnswer> DecodePollAnswer(std::string_view body);
std::string EncodePollRequest(const PollRequest& request);

class ControlClient {
 public:
  ControlClient(io::EventLoop& loop, HttpTransport& http, ControlClientOptions options);
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  const ControlClientOptions& options() const { return options_; }

  // Any ECS operation: the answer's body on 2xx.
  void Call(std::string_view operation, std::string body,
            absl::AnyInvocable<void(absl::StatusOr<std::string>)> done);

  // `body` as built by the caller (agent/config), sent as is.
  void RegisterContainerInstance(std::string body,
                                 absl::AnyInvocable<void(absl::StatusOr<RegisteredInstance>)> done);

  // DiscoverPollEndpoint's base URLs: the cached answer while it is younger
  // than endpoint_cache_ttl, else a DiscoverPollEndpoint call (callers that
  // ask while one is in flight share it); if that fails, the expired cached
  // answer, else backend_url for both. Never fails.
  void DiscoverEndpoints(const std::string& instance_arn,
                         absl::AnyInvocable<void(DiscoveredEndpoints endpoints)> done);
  // DiscoverEndpoints' poll endpoint.
  void DiscoverPollEndpoint(const std::string& instance_arn,
                            absl::AnyInvocable<void(std::string endpoint)> done);
  // DiscoverEndpoints' telemetry endpoint.
  void DiscoverTelemetryEndpoint(const std::string& instance_arn,
                                 absl::AnyInvocable<void(std::string endpoint)> done);

  // SubmitTaskStateChange with agent/task's body.
  void SubmitTaskStateChange(const TaskChange& change, absl::AnyInvocable<void(absl::Status)> done);

  // POST <endpoint>/agent/v1/poll; `timeout` is the HTTP timeout (the
  // server's poll_timeout + 10 s).
  void Poll(const std::string& endpoint, const PollRequest& request, absl::Duration timeout,
            absl::AnyInvocable<void(absl::StatusOr<PollAnswer>)> done);

  // POST <endpoint>/agent/v1/metrics with a PublishMetricsRequest-shaped
  // `body` (application/json); OK on 2xx (the acknowledgement's content is
  // not checked: telemetry keeps no acknowledgement state).
  void PublishMetrics(const std::string& endpoint, std::string body, absl::Duration timeout,
                      absl::AnyInvocable<void(absl::Status)> done);

 private:
  // Signs and sends; `done` gets the response of any status.
  void Send(io::HttpClientRequest request,
            absl::AnyInvocable<void(absl::StatusOr<io::HttpClientResponse>)> done);

  io::EventLoop& loop_;
  HttpTransport& http_;
  ControlClientOptions options_;
  std::optional<DiscoveredEndpoints> endpoints_;
  absl::Duration endpoints_fetched_at_;
  // Callers waiting for the DiscoverPollEndpoint call in flight.
  std::vector<absl::AnyInvocable<void(DiscoveredEndpoints)>> discover_waiters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_SESSION_CONTROL_CLIENT_H_
