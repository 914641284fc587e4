#ifndef BERTH_TESTS_UNIT_AGENT_SESSION_FAKE_CONTROL_PLANE_H_
#define BERTH_TESTS_UNIT_AGENT_SESSION_FAKE_CONTROL_PLANE_H_

// A scripted stand-in for berth-control: checks every request's SigV4
// signature with berth-control's own Authenticator, records the calls, and
// answers from per-operation scripts (or a default). Polls with nothing
// scripted are held until the test answers them. Reachable in process
// through InProcessTransport (FakeLoop, fake time) or over loopback through
// an io::HttpServer.

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "agent/session/http_transport.h"
#include "boost/json/value.hpp"
#include "control/auth/authenticator.h"
#include "io/event_loop.h"
#include "io/http_types.h"

namespace berth::agent::testing {

inline constexpr char kAccessKey[] = "AKIDAGENTTEST";
inline constexpr char kSecret[] = "agent-test-secret";

class FakeControlPlane {
 public:
  using Respond = absl::AnyInvocable<void(io::HttpResponse)>;

  struct Call {
    std::string op;  // the X-Amz-Target operation, "Poll" or "PublishMetrics"
    boost::json::value body;
    absl::Duration at;  // the loop's monotonic time
  };

  explicit FakeControlPlane(io::EventLoop& loop);

  void Handle(io::HttpRequest request, Respond respond);

  // The next call of `op` gets this answer ("Poll" for the long poll,
  // "PublishMetrics" for POST /agent/v1/metrics, which is otherwise answered
  // 200 AckPublishMetric).
  void Script(const std::string& op, io::HttpResponse response);
  void ScriptError(const std::string& op, int status, const std::string& type,
                   const std::string& message = "scripted");
  void ScriptPoll(const std::string& answer_json) {
    Script("Poll", io::HttpResponse::Json(200, answer_json));
  }
  // When set, SubmitTaskStateChange calls are held (HeldReports) instead of
  // answered 200.
  void HoldReports(bool hold) { hold_reports_ = hold; }
  // When set, PublishMetrics calls are held (held_metrics) instead of
  // answered.
  void HoldMetrics(bool hold) { hold_metrics_ = hold; }
  std::deque<Respond>& held_metrics() { return held_metrics_; }

  std::vector<Call> Calls(const std::string& op) const;
  size_t CallCount(const std::string& op) const { return Calls(op).size(); }
  const std::vector<Call>& calls() const { return calls_; }
  int auth_failures() const { return auth_failures_; }
  int unsigned_requests() const { return unsigned_requests_; }

  // Held polls and reports, oldest first.
  size_t held_polls() const { return held_polls_.size(); }
  void AnswerPoll(const std::string& answer_json);
  struct HeldReport {
    boost::json::value body;
    Respond respond;
  };
  std::deque<HeldReport>& held_reports() { return held_reports_; }

  void set_poll_endpoint(std::string endpoint) { poll_endpoint_ = std::move(endpoint); }
  // DiscoverPollEndpoint's telemetryEndpoint: the poll endpoint unless set;
  // std::nullopt leaves the member out.
  void set_telemetry_endpoint(std::optional<std::string> endpoint) {
    telemetry_endpoint_ = std::move(endpoint);
    telemetry_endpoint_set_ = true;
  }
  void set_instance_arn(std::string arn) { instance_arn_ = std::move(arn); }

 private:
  io::EventLoop& loop_;
  control::auth::Authenticator auth_;
  std::vector<Call> calls_;
  std::map<std::string, std::deque<io::HttpResponse>> scripts_;
  std::deque<Respond> held_polls_;
  std::deque<HeldReport> held_reports_;
  bool hold_reports_ = false;
  std::deque<Respond> held_metrics_;
  bool hold_metrics_ = false;
  int auth_failures_ = 0;
  int unsigned_requests_ = 0;
  std::string poll_endpoint_ = "http://poll.invalid:8080";
  std::optional<std::string> telemetry_endpoint_;
  bool telemetry_endpoint_set_ = false;
  std::string instance_arn_ =
      "arn:aws:ecs:us-east-1:000000000000:container-instance/default/0123456789abcdef";
};

// Delivers requests to a FakeControlPlane on the same loop: the answer comes
// back through Post (never inside Fetch), a request not answered within its
// timeout fails with DeadlineExceeded, and FailNext() makes requests fail as
// a refused connection would.
class InProcessTransport final : public HttpTransport {
 public:
  InProcessTransport(io::EventLoop& loop, FakeControlPlane& plane) : loop_(loop), plane_(plane) {}
  void Fetch(io::HttpClientRequest request, io::HttpClientCallback done) override;
  void FailNext(int count) { fail_next_ = count; }
  // What was sent (HttpClientRequest itself is move-only).
  struct Sent {
    std::string method;
    std::string url;
    io::HttpHeaders headers;
    std::string body;
    absl::Duration timeout;
  };
  const std::vector<Sent>& sent() const { return sent_; }

 private:
  io::EventLoop& loop_;
  FakeControlPlane& plane_;
  int fail_next_ = 0;
  std::vector<Sent> sent_;
};

}  // namespace berth::agent::testing

#endif  // BERTH_TESTS_UNIT_AGENT_SESSION_FAKE_CONTROL_PLANE_H_
