#ifndef BERTH_CONTROL_AGENTS_AGENT_CHANNEL_H_
#define BERTH_CONTROL_AGENTS_AGENT_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "control/agents/agent_message.h"
#include "io/event_loop.h"

namespace berth::agents {

struct AgentChannelOptions {
  // How long a poll is held when there is nothing to deliver.
  absl::Duration poll_timeout = absl::Seconds(20);
  // An instance with no poll held and none received for this long is
  // disconnected (three missed polls at the default poll timeout).
  absl::Duration disconnect_after = absl::Seconds(60);
  // At most this many messages in one poll answer.
  size_t max_batch = 100;
  // Per-instance cap on retained (unacknowledged) messages and their bytes.
  size_t max_outbox_messages = 1000;
  size_t max_outbox_bytes = 16 << 20;
};

// Counters for /metrics.
struct AgentChannelStats {
  uint64_t enqueued = 0;
  uint64_t delivered = 0;    // messages in answers, counting redeliveries
  uint64_t redelivered = 0;  // messages answered again after an earlier answer
  uint64_t rejected_full = 0;
  uint64_t superseded = 0;
  uint64_t heartbeats = 0;
  uint64_t reregister = 0;
  uint64_t new_epochs = 0;
  uint64_t ack_ahead = 0;  // acks past what was ever delivered
  uint64_t disconnects = 0;
  uint64_t reconnects = 0;
};

// The control-plane side of the agent protocol (docs/agent-protocol.md):
// one outbox per container instance with sequence numbers, long polls that
// acknowledge and receive, and connection tracking driven by poll arrivals.
// No I/O besides the loop's timers; everything runs on the loop thread, and
// callbacks (poll replies, connection changes) are called synchronously from
// the call or timer that causes them, after the channel's state is updated,
// so they may call back into the channel.
//
//   AddInstance ──► connected ──(no poll for disconnect_after)──► disconnected
//                       ▲                                            │
//                       └──────────────── Poll ◄─────────────────────┘
class AgentChannel {
 public:
  using Reply = absl::AnyInvocable<void(PollResult)>;
  using ConnectionCallback = absl::AnyInvocable<void(absl::string_view instance_arn,
                                                     bool connected)>;

  AgentChannel(io::EventLoop& loop, AgentChannelOptions options = {});
  ~AgentChannel();  // cancels timers; held replies are dropped unanswered
  AgentChannel(const AgentChannel&) = delete;
  AgentChannel& operator=(const AgentChannel&) = delete;

  // Called on every connected/disconnected transition.
  void set_on_connection_change(ConnectionCallback cb) { on_change_ = std::move(cb); }

  // RegisterContainerInstance: makes the instance known (idempotent; an
  // existing outbox is kept). Registration counts as contact: the instance is
  // connected until disconnect_after passes without a poll. A new outbox
  // numbers its messages from `last_seq` + 1: an instance registered again
  // after a deregistration passes the last number it was ever given, so no
  // number is reused.
  void AddInstance(absl::string_view instance_arn, uint64_t last_seq = 0);
  // DeregisterContainerInstance: drops the outbox; a held poll is answered
  // kReregister. No connection callback. Returns false if unknown.
  bool Forget(absl::string_view instance_arn);

  // Appends a message and returns its sequence number. A staged message
  // (stage = true) is held back, with every later message, until Publish()
  // (after the store committed it) or dropped by Withdraw() (the commit
  // failed): an agent never sees a message the control plane could lose.
  // NotFound for an unknown instance; ResourceExhausted when the outbox is
  // at its cap (nothing is appended).
  absl::StatusOr<uint64_t> Enqueue(absl::string_view instance_arn, AgentMessage message,
                                   bool stage = false);
  absl::Status Publish(absl::string_view instance_arn, uint64_t seq);
  absl::Status Withdraw(absl::string_view instance_arn, uint64_t seq);

  // One long poll. `ack_seq` is the highest sequence number the agent has
  // durably applied: messages up to it are dropped. Answers at once with the
  // deliverable messages past the ack, else holds `reply` until a message
  // is published or poll_timeout passes (kHeartbeat). A held poll for the
  // same instance is answered kSuperseded first. An unknown instance gets
  // kReregister. A session id different from the last one seen starts a new
  // epoch (an agent restart); the ack still counts.
  void Poll(absl::string_view instance_arn, absl::string_view session, uint64_t ack_seq,
            Reply reply);

  // Shutdown: answers every held poll with kHeartbeat now (the agent polls
  // again, finds the listener gone and backs off), so a graceful stop does
  // not wait out the poll timeout. Returns how many were answered.
  size_t AnswerHeldPolls();

  bool Known(absl::string_view instance_arn) const;
  bool IsConnected(absl::string_view instance_arn) const;
  // Retained messages (staged ones included); 0 for an unknown instance.
  size_t Pending(absl::string_view instance_arn) const;

  // What must survive a restart: every instance, its last_seq and acked
  // seq, and its published unacknowledged messages (staged ones are not
  // durable yet by definition), ordered by instance ARN.
  std::vector<OutboxRecord> Snapshot() const;
  std::optional<OutboxRecord> SnapshotInstance(absl::string_view instance_arn) const;
  // SnapshotInstance without the messages: the outbox header (last_seq,
  // acked_seq) the API layer stores as acks advance.
  std::optional<OutboxRecord> SnapshotHeader(absl::string_view instance_arn) const;
  // Replaces the channel's contents with `records` (on start, before any
  // poll). Restored instances start disconnected, with no callback: nothing
  // has been heard from them since the restart. Messages at or below a
  // record's acked_seq are dropped; sequence numbers must increase and not
  // pass last_seq (InvalidArgument, and nothing is restored).
  absl::Status Restore(std::vector<OutboxRecord> records);

  const AgentChannelStats& stats() const { return stats_; }
  const AgentChannelOptions& options() const { return options_; }

 private:
  struct Entry {
    SequencedMessage msg;
    bool staged = false;
    bool delivered = false;
  };
  struct HeldPoll {
    Reply reply;
    io::TimerId timer = 0;
    uint64_t token = 0;
  };
  struct Outbox {
    std::string arn;
    std::deque<Entry> entries;  // seq increasing, all > acked_seq
    uint64_t last_seq = 0;
    uint64_t acked_seq = 0;
    size_t bytes = 0;
    std::string session;
    uint64_t epoch = 0;
    std::optional<HeldPoll> held;
    bool connected = false;
    io::TimerId disconnect_timer = 0;
  };

  Outbox* Find(absl::string_view arn);
  const Outbox* Find(absl::string_view arn) const;
  void Ack(Outbox& box, uint64_t ack_seq);
  std::vector<SequencedMessage> Deliverable(Outbox& box);
  void WakeHeld(Outbox& box);
  void AnswerHeld(Outbox& box, PollResult result);
  void OnPollTimeout(const std::string& arn, uint64_t token);
  void Contact(Outbox& box);
  void ArmDisconnect(Outbox& box);
  void OnDisconnectTimer(const std::string& arn);
  void SetConnected(Outbox& box, bool connected);
  static size_t SizeOf(const AgentMessage& m);

  io::EventLoop& loop_;
  const AgentChannelOptions options_;
  absl::flat_hash_map<std::string, std::unique_ptr<Outbox>> boxes_;
  ConnectionCallback on_change_;
  AgentChannelStats stats_;
  uint64_t next_token_ = 1;
};

}  // namespace berth::agents

#endif  // BERTH_CONTROL_AGENTS_AGENT_CHANNEL_H_
