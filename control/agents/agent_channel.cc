#include "control/agents/agent_channel.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "io/log.h"

namespace berth::agents {
namespace {

absl::Status UnknownInstance(absl::string_view verb, absl::string_view arn) {
  return absl::NotFoundError(
      absl::StrCat("failed to ", verb, " for ", arn, ": the instance has no agent channel"));
}

}  // namespace

AgentChannel::AgentChannel(io::EventLoop& loop, AgentChannelOptions options)
    : loop_(loop), options_(options) {}

AgentChannel::~AgentChannel() {
  for (auto& [arn, box] : boxes_) {
    if (box->held.has_value()) {
      loop_.CancelTimer(box->held->timer);
    }
    if (box->disconnect_timer != 0) {
      loop_.CancelTimer(box->disconnect_timer);
    }
  }
}

AgentChannel::Outbox* AgentChannel::Find(absl::string_view arn) {
  auto it = boxes_.find(arn);
  return it == boxes_.end() ? nullptr : it->second.get();
}

const AgentChannel::Outbox* AgentChannel::Find(absl::string_view arn) const {
  auto it = boxes_.find(arn);
  return it == boxes_.end() ? nullptr : it->second.get();
}

size_t AgentChannel::SizeOf(const AgentMessage& m) {
  return m.task_arn.size() + m.desired_status.size() + m.reason.size() + m.payload.size();
}

void AgentChannel::AddInstance(absl::string_view instance_arn, uint64_t last_seq) {
  if (Outbox* box = Find(instance_arn)) {
    Contact(*box);  // may call on_change_; nothing is touched after it
    if (Outbox* again = Find(instance_arn); again != nullptr && !again->held.has_value()) {
      ArmDisconnect(*again);
    }
    return;
  }
  auto box = std::make_unique<Outbox>();
  box->arn = std::string(instance_arn);
  box->last_seq = last_seq;
  box->acked_seq = last_seq;
  box->connected = true;
  Outbox& ref = *box;
  boxes_.emplace(ref.arn, std::move(box));
  ArmDisconnect(ref);
}

bool AgentChannel::Forget(absl::string_view instance_arn) {
  auto it = boxes_.find(instance_arn);
  if (it == boxes_.end()) {
    return false;
  }
  std::unique_ptr<Outbox> box = std::move(it->second);
  boxes_.erase(it);
  if (box->disconnect_timer != 0) {
    loop_.CancelTimer(box->disconnect_timer);
  }
  if (box->held.has_value()) {
    loop_.CancelTimer(box->held->timer);
    Reply reply = std::move(box->held->reply);
    PollResult result{.kind = PollResult::Kind::kReregister, .messages = {}, .epoch = box->epoch};
    box.reset();
    ++stats_.reregister;
    reply(std::move(result));
  }
  return true;
}

absl::StatusOr<uint64_t> AgentChannel::Enqueue(absl::string_view instance_arn,
                                               AgentMessage message, bool stage) {
  Outbox* box = Find(instance_arn);
  if (box == nullptr) {
    return UnknownInstance("enqueue a message", instance_arn);
  }
  const size_t size = SizeOf(message);
  if (box->entries.size() >= options_.max_outbox_messages ||
      box->bytes + size > options_.max_outbox_bytes) {
    ++stats_.rejected_full;
    return absl::ResourceExhaustedError(absl::StrCat(
        "failed to enqueue a message for ", instance_arn, ": its outbox holds ",
        box->entries.size(), " unacknowledged messages (", box->bytes,
        " bytes), the cap is ", options_.max_outbox_messages, " messages and ",
        options_.max_outbox_bytes, " bytes; is its agent polling?"));
  }
  const uint64_t seq = ++box->last_seq;
  box->entries.push_back(Entry{.msg = {.seq = seq, .message = std::move(message)},
                               .staged = stage, .delivered = false});
  box->bytes += size;
  ++stats_.enqueued;
  if (!stage) {
    WakeHeld(*box);
  }
  return seq;
}

absl::Status AgentChannel::Publish(absl::string_view instance_arn, uint64_t seq) {
  Outbox* box = Find(instance_arn);
  if (box == nullptr) {
    return UnknownInstance("publish a message", instance_arn);
  }
  for (Entry& e : box->entries) {
    if (e.msg.seq == seq) {
      e.staged = false;
      WakeHeld(*box);
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(absl::StrCat("failed to publish message ", seq, " for ",
                                          instance_arn, ": no such message is retained"));
}

absl::Status AgentChannel::Withdraw(absl::string_view instance_arn, uint64_t seq) {
  Outbox* box = Find(instance_arn);
  if (box == nullptr) {
    return UnknownInstance("withdraw a message", instance_arn);
  }
  for (auto it = box->entries.begin(); it != box->entries.end(); ++it) {
    if (it->msg.seq != seq) {
      continue;
    }
    if (!it->staged) {
      return absl::FailedPreconditionError(
          absl::StrCat("failed to withdraw message ", seq, " for ", instance_arn,
                       ": it was published and may have been delivered"));
    }
    box->bytes -= SizeOf(it->msg.message);
    box->entries.erase(it);
    WakeHeld(*box);  // later published messages may be deliverable now
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("failed to withdraw message ", seq, " for ",
                                          instance_arn, ": no such message is retained"));
}

void AgentChannel::Ack(Outbox& box, uint64_t ack_seq) {
  if (ack_seq <= box.acked_seq) {
    return;
  }
  uint64_t high = box.acked_seq;  // the highest sequence number ever delivered
  for (const Entry& e : box.entries) {
    if (e.delivered) {
      high = std::max(high, e.msg.seq);
    }
  }
  if (ack_seq > high) {
    // The agent applied numbers this outbox never delivered: the store lost
    // state the protocol relies on. Keep numbering past the agent's ack so
    // new messages are not mistaken for old ones.
    ++stats_.ack_ahead;
    LOG(WARNING) << "agent of " << box.arn << " acknowledged sequence number " << ack_seq
                 << " but only " << high << " was delivered; the control plane's outbox "
                 << "lost state";
    box.last_seq = std::max(box.last_seq, ack_seq);
    ack_seq = high;
  }
  box.acked_seq = std::max(box.acked_seq, ack_seq);
  while (!box.entries.empty() && box.entries.front().msg.seq <= box.acked_seq) {
    box.bytes -= SizeOf(box.entries.front().msg.message);
    box.entries.pop_front();
  }
}

std::vector<SequencedMessage> AgentChannel::Deliverable(Outbox& box) {
  std::vector<SequencedMessage> out;
  for (Entry& e : box.entries) {
    if (e.staged || out.size() >= options_.max_batch) {
      break;
    }
    if (e.delivered) {
      ++stats_.redelivered;
    }
    e.delivered = true;
    out.push_back(e.msg);
  }
  stats_.delivered += out.size();
  return out;
}

void AgentChannel::WakeHeld(Outbox& box) {
  if (!box.held.has_value() || box.entries.empty() || box.entries.front().staged) {
    return;
  }
  PollResult result{.kind = PollResult::Kind::kMessages, .messages = Deliverable(box),
                    .epoch = box.epoch};
  AnswerHeld(box, std::move(result));
}

void AgentChannel::AnswerHeld(Outbox& box, PollResult result) {
  HeldPoll held = std::move(*box.held);
  box.held.reset();
  loop_.CancelTimer(held.timer);
  ArmDisconnect(box);
  held.reply(std::move(result));  // last: it may call back into the channel
}

void AgentChannel::OnPollTimeout(const std::string& arn, uint64_t token) {
  Outbox* box = Find(arn);
  if (box == nullptr || !box->held.has_value() || box->held->token != token) {
    return;
  }
  box->held->timer = 0;
  ++stats_.heartbeats;
  AnswerHeld(*box, PollResult{.kind = PollResult::Kind::kHeartbeat, .messages = {},
                              .epoch = box->epoch});
}

void AgentChannel::Poll(absl::string_view instance_arn, absl::string_view session,
                        uint64_t ack_seq, Reply reply) {
  Outbox* box = Find(instance_arn);
  if (box == nullptr) {
    ++stats_.reregister;
    reply(PollResult{.kind = PollResult::Kind::kReregister, .messages = {}, .epoch = 0});
    return;
  }
  if (box->epoch == 0 || box->session != session) {
    box->session = std::string(session);
    ++box->epoch;
    ++stats_.new_epochs;
  }
  Ack(*box, ack_seq);

  // Everything below updates state first and calls out last, in this order:
  // the superseded poll, the connection change, this poll's answer.
  std::optional<HeldPoll> old = std::move(box->held);
  box->held.reset();
  if (old.has_value()) {
    loop_.CancelTimer(old->timer);
    ++stats_.superseded;
  }
  if (box->disconnect_timer != 0) {
    loop_.CancelTimer(box->disconnect_timer);
    box->disconnect_timer = 0;
  }
  const bool reconnected = !box->connected;
  box->connected = true;
  if (reconnected) {
    ++stats_.reconnects;
  }
  const uint64_t epoch = box->epoch;
  std::vector<SequencedMessage> now = Deliverable(*box);
  std::optional<Reply> answer_now;
  if (!now.empty()) {
    ArmDisconnect(*box);
    answer_now = std::move(reply);
  } else {
    const uint64_t token = next_token_++;
    std::string arn = box->arn;
    io::TimerId timer = loop_.AddTimer(options_.poll_timeout, [this, arn, token] {
      OnPollTimeout(arn, token);
    });
    box->held = HeldPoll{.reply = std::move(reply), .timer = timer, .token = token};
  }
  const std::string arn = box->arn;  // `box` may be gone after a callback
  if (old.has_value()) {
    old->reply(PollResult{.kind = PollResult::Kind::kSuperseded, .messages = {},
                          .epoch = epoch});
  }
  if (reconnected && on_change_) {
    on_change_(arn, true);
  }
  if (answer_now.has_value()) {
    (*answer_now)(PollResult{.kind = PollResult::Kind::kMessages, .messages = std::move(now),
                             .epoch = epoch});
  }
}

void AgentChannel::Contact(Outbox& box) {
  if (box.disconnect_timer != 0) {
    loop_.CancelTimer(box.disconnect_timer);
    box.disconnect_timer = 0;
  }
  if (!box.connected) {
    SetConnected(box, true);
  }
}

void AgentChannel::ArmDisconnect(Outbox& box) {
  if (box.disconnect_timer != 0) {
    loop_.CancelTimer(box.disconnect_timer);
  }
  std::string arn = box.arn;
  box.disconnect_timer =
      loop_.AddTimer(options_.disconnect_after, [this, arn] { OnDisconnectTimer(arn); });
}

void AgentChannel::OnDisconnectTimer(const std::string& arn) {
  Outbox* box = Find(arn);
  if (box == nullptr) {
    return;
  }
  box->disconnect_timer = 0;
  if (box->connected && !box->held.has_value()) {
    SetConnected(*box, false);
  }
}

void AgentChannel::SetConnected(Outbox& box, bool connected) {
  box.connected = connected;
  if (connected) {
    ++stats_.reconnects;
  } else {
    ++stats_.disconnects;
  }
  if (on_change_) {
    const std::string arn = box.arn;
    on_change_(arn, connected);
  }
}

size_t AgentChannel::AnswerHeldPolls() {
  std::vector<std::string> held;
  for (const auto& [arn, box] : boxes_) {
    if (box->held.has_value()) {
      held.push_back(arn);
    }
  }
  for (const std::string& arn : held) {
    // Looked up again: an earlier reply may have changed the channel.
    if (Outbox* box = Find(arn); box != nullptr && box->held.has_value()) {
      ++stats_.heartbeats;
      AnswerHeld(*box, PollResult{.kind = PollResult::Kind::kHeartbeat, .messages = {},
                                  .epoch = box->epoch});
    }
  }
  return held.size();
}

bool AgentChannel::Known(absl::string_view instance_arn) const {
  return Find(instance_arn) != nullptr;
}

bool AgentChannel::IsConnected(absl::string_view instance_arn) const {
  const Outbox* box = Find(instance_arn);
  return box != nullptr && box->connected;
}

size_t AgentChannel::Pending(absl::string_view instance_arn) const {
  const Outbox* box = Find(instance_arn);
  return box == nullptr ? 0 : box->entries.size();
}

}  // namespace berth::agents
