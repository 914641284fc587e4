#ifndef BERTH_CONTROL_API_API_SERVICE_H_
#define BERTH_CONTROL_API_API_SERVICE_H_

// The ECS API on an HTTP listener (docs/control.md, "The request path"):
//
//   POST /  ── authenticate (SigV4) ── decode (X-Amz-Target, JSON body)
//           ── run the operation on the model ── commit its changes
//           ── answer once every commit queued up to then is durable
//   POST /agent/v1/poll ── authenticate ── decode ── check the cluster and
//           instance ── AgentChannel::Poll ── answer when it answers
//           (docs/agent-protocol.md; needs an AgentDispatch)
//   GET /metrics ── Prometheus text
//   anything else ── 404
//
// Durability contract: a response — success or error, read or write — is
// released only when every commit queued before it was answered is durable,
// so no client ever sees a change the store could still lose. Commits are
// numbered; a response waits for the number current when its operation ran.
//
// A failed commit means memory now holds changes the store does not: every
// response still waiting gets ServerException, every later request gets
// ServerException, and the fatal handler runs once (berth-control then shuts
// down and exits non-zero, so systemd restarts it from what is durable).
//
// An operation's ctx.after_commit hooks run once its commit completed (with
// true when durable, false when it failed; at once with true when it changed
// nothing), in order, before its response is released.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "control/agents/agent_message.h"
#include "control/api/agent_dispatch.h"
#include "control/api/metrics.h"
#include "control/api/operation.h"
#include "control/api/utilization.h"
#include "control/auth/authenticator.h"
#include "control/state/model.h"
#include "control/store/store.h"
#include "io/event_loop.h"
#include "io/http_server.h"
#include "io/http_types.h"
#include "io/rng.h"

namespace berth::control {

struct ApiServiceOptions {
  // Larger bodies get 413 RequestEntityTooLargeException. Keep the HTTP
  // server's own limit above this, so the server reads the whole body and
  // the client gets this JSON answer rather than a transport-level 413 and
  // a connection closed halfway through its upload.
  size_t max_request_bytes = 1 << 20;
  // A poll whose ack advanced past the stored outbox header writes the header
  // this long after (at most one pending write per instance; lost acks only
  // cause redeliveries the agent skips by number).
  absl::Duration agent_ack_persist_delay = absl::Seconds(1);
};

class ApiService {
 public:
  using Reply = absl::AnyInvocable<void(io::HttpResponse)>;

  using Options = ApiServiceOptions;

  // Everything must outlive the service; loop thread only.
  ApiService(io::EventLoop& loop, state::Model& model, Store& store,
             const auth::Authenticator& authenticator, const OperationRegistry& ops, io::Rng& rng,
             Options options = {});
  ~ApiService();
  ApiService(const ApiService&) = delete;
  ApiService& operator=(const ApiService&) = delete;

  // Handles one request; `reply` runs exactly once, now or after a commit.
  void Handle(io::HttpRequest request, Reply reply);
  // Handle() as an io::HttpServer handler.
  io::HttpServer::Handler HttpHandler();

  // The agent channel (POST /agent/v1/poll, ctx.agents of every operation);
  // without one the poll route answers ServerException. Must outlive this.
  void SetAgentDispatch(AgentDispatch* agents) { agents_ = agents; }

  // An internal operation with no HTTP request (background writes: lazy ack
  // headers, expiring stopped tasks): `fn` runs on the model now, its changes
  // are committed like a request's (later responses wait for them) and its
  // after_commit hooks run. Does nothing once writes have failed.
  void RunInternal(absl::AnyInvocable<void(OpContext&)> fn);

  // Runs once, after the responses a failed commit affected were answered.
  void OnFatal(absl::AnyInvocable<void(const absl::Status&)> fn) { on_fatal_ = std::move(fn); }

  bool writes_failed() const { return failed_; }
  size_t responses_waiting() const { return waiting_.size(); }
  uint64_t commits_queued() const { return queued_; }
  uint64_t commits_durable() const { return durable_; }
  const ApiMetrics& metrics() const { return metrics_; }
  // The agents' telemetry (POST /agent/v1/metrics): what tasks use, for the
  // utilization metrics (and, later, service autoscaling).
  const TelemetryStore& telemetry() const { return telemetry_; }

 private:
  struct Waiting {
    uint64_t seq;
    std::string_view operation;
    std::string error_type;
    io::HttpResponse response;
    Reply reply;
    absl::Duration started;
  };

  using Hooks = std::vector<absl::AnyInvocable<void(bool durable)>>;

  void HandleApi(io::HttpRequest& request, Reply reply, absl::Duration started);
  // The checks every agent route makes first: the body's size, then the
  // signature.
  absl::Status CheckAgentRequest(const io::HttpRequest& request);
  void HandlePoll(io::HttpRequest& request, Reply reply, absl::Duration started);
  void HandleTelemetry(io::HttpRequest& request, Reply reply, absl::Duration started);
  void AnswerPoll(agents::PollResult result, const std::string& instance_arn,
                  const std::string& request_id, Reply reply, absl::Duration started);
  // Queues a lazy header write when the poll's ack advanced past it.
  void MaybePersistAck(const std::string& instance_arn);
  OpContext NewContext(state::ChangeSet& changes);
  // Commits `changes` (if any) as the next commit; runs `hooks` once it
  // completed, or at once with true when there was nothing to commit.
  void CommitChanges(state::ChangeSet& changes, Hooks hooks);
  // Sends now when every commit queued so far is durable, else waits.
  void Release(std::string_view operation, std::string error_type, io::HttpResponse response,
               Reply reply, absl::Duration started);
  // Answers at once (errors that depend on no state) and records metrics.
  void Send(std::string_view operation, std::string_view error_type, io::HttpResponse response,
            Reply& reply, absl::Duration started);
  void OnCommitted(uint64_t seq, size_t mutations, absl::Duration submitted,
                   const absl::Status& status);
  io::HttpResponse ErrorResponse(const absl::Status& status, std::string* error_type,
                                 std::string_view operation);
  std::string NewRequestId();
  // The registered operation an X-Amz-Target names, or "unknown" (metrics).
  std::string_view OperationLabel(std::string_view target) const;

  io::EventLoop& loop_;
  state::Model& model_;
  Store& store_;
  const auth::Authenticator& authenticator_;
  const OperationRegistry& ops_;
  io::Rng& rng_;
  Options options_;
  ApiMetrics metrics_;
  TelemetryStore telemetry_;
  AgentDispatch* agents_ = nullptr;
  absl::flat_hash_set<std::string> ack_writes_;  // instance ARNs with a header write queued

  std::deque<Waiting> waiting_;  // in arrival order; seq never decreases
  uint64_t queued_ = 0;          // number of the last commit handed to the store
  uint64_t durable_ = 0;         // number of the last commit known durable
  bool failed_ = false;
  absl::AnyInvocable<void(const absl::Status&)> on_fatal_;
  // Commit callbacks hold a weak reference, so one arriving after the
  // service is gone does nothing.
  std::shared_ptr<ApiService*> self_;
};

}  // namespace berth::control

#endif  // BERTH_CONTROL_API_API_SERVICE_H_
