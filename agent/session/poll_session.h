#ifndef BERTH_AGENT_SESSION_POLL_SESSION_H_
#define BERTH_AGENT_SESSION_POLL_SESSION_H_

// The agent's side of the long poll (docs/agent-protocol.md): one
// POST /agent/v1/poll at a time, each acknowledging the highest message seq
// the agent has durably applied.
//
//        Start ──▶ discover endpoint ──▶ poll(ack = applied) ◀─────────────┐
//                         ▲                 │                              │
//                         │   messages ─────┼─▶ apply (async, durable) ──ok┤
//                         │   heartbeat ────┼──────────────────────────────┤
//                         │   reregister ───┼─▶ re-register ────────────ok─┘
//                         │   superseded, failure, apply/re-register error
//                         └── backoff 250 ms → 2 min ×1.5 (reset after 1 min of answers)
//                             InactiveInstanceException: wait 1 h
//
// Exactly once: messages with seq ≤ applied are skipped by number; the next
// poll (carrying the new ack) is sent only after the apply callback said the
// batch is applied and durable.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/session/backoff.h"
#include "agent/session/control_client.h"
#include "io/event_loop.h"
#include "io/rng.h"

namespace berth::agent {

struct PollSessionOptions {
  std::string cluster = "default";
  // berth-control's poll_timeout; the HTTP timeout is this + http_margin.
  absl::Duration poll_timeout = absl::Seconds(20);
  absl::Duration http_margin = absl::Seconds(10);
  BackoffPolicy backoff = kPollBackoff;
  absl::Duration backoff_reset_after = absl::Minutes(1);
  absl::Duration inactive_wait = absl::Hours(1);
};

class PollSession {
 public:
  // Applies `messages` (each seq > the applied one, in order) and persists
  // their effect with `up_to_seq` as the new applied seq (AgentStateStore::
  // ApplyBatch), then calls `applied` once, on the loop thread. An error
  // keeps the old ack: the batch comes again after a backoff.
  using ApplyFn = absl::AnyInvocable<void(std::vector<PollMessage> messages, uint64_t up_to_seq,
                                          absl::AnyInvocable<void(absl::Status)> applied)>;
  // Registers again (Registration::Register) and returns the ARN.
  using ReregisterFn =
      absl::AnyInvocable<void(absl::AnyInvocable<void(absl::StatusOr<std::string>)> done)>;

  // `session_id` is chosen here from `rng` (32 hex digits).
  PollSession(io::EventLoop& loop, ControlClient& client, io::Rng& rng, PollSessionOptions options,
              std::string instance_arn, uint64_t applied_seq, ApplyFn apply,
              ReregisterFn reregister);
  ~PollSession();
  PollSession(const PollSession&) = delete;
  PollSession& operator=(const PollSession&) = delete;

  void Start();
  // No poll is sent after this; an answer still in flight is ignored.
  void Stop();

  const std::string& session_id() const { return session_id_; }
  const std::string& instance_arn() const { return instance_arn_; }
  uint64_t applied_seq() const { return applied_seq_; }
  uint64_t epoch() const { return epoch_; }

  struct Stats {
    uint64_t polls = 0;
    uint64_t batches = 0;           // answers with messages that were applied
    uint64_t messages_applied = 0;
    uint64_t messages_skipped = 0;  // seq ≤ applied: redelivered
    uint64_t heartbeats = 0;
    uint64_t reregisters = 0;
    uint64_t superseded = 0;
    uint64_t failures = 0;  // failed polls, applies and re-registrations
    uint64_t inactive = 0;  // InactiveInstanceException answers
  };
  const Stats& stats() const { return stats_; }
  // The delay before the next poll when one is scheduled (for tests/logs).
  std::optional<absl::Duration> scheduled_delay() const { return scheduled_delay_; }

 private:
  void Discover();
  void SendPoll();
  void OnAnswer(absl::StatusOr<PollAnswer> answer);
  void OnApplied(uint64_t up_to_seq, size_t count, absl::Status status);
  void Healthy();
  void Fail(const absl::Status& status);
  void Schedule(absl::Duration delay);

  io::EventLoop& loop_;
  ControlClient& client_;
  PollSessionOptions options_;
  Backoff backoff_;
  std::string session_id_;
  std::string instance_arn_;
  uint64_t applied_seq_;
  uint64_t epoch_ = 0;
  ApplyFn apply_;
  ReregisterFn reregister_;
  std::string endpoint_;
  bool running_ = false;
  uint64_t generation_ = 0;  // bumped by Start and Stop: stale callbacks are ignored
  std::optional<absl::Duration> healthy_since_;
  io::TimerId timer_ = 0;
  std::optional<absl::Duration> scheduled_delay_;
  Stats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_SESSION_POLL_SESSION_H_
