#include "agent/session/poll_session.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "agent/session/control_error.h"
#include "io/log.h"

namespace berth::agent {

PollSession::PollSession(io::EventLoop& loop, ControlClient& client, io::Rng& rng,
                         PollSessionOptions options, std::string instance_arn,
                         uint64_t applied_seq, ApplyFn apply, ReregisterFn reregister)
    : loop_(loop),
      client_(client),
      options_(std::move(options)),
      backoff_(options_.backoff, rng),
      session_id_(absl::StrFormat("%016x%016x", rng.Next(), rng.Next())),
      instance_arn_(std::move(instance_arn)),
      applied_seq_(applied_seq),
      apply_(std::move(apply)),
      reregister_(std::move(reregister)) {}

PollSession::~PollSession() { Stop(); }

void PollSession::Start() {
  if (running_) {
    return;
  }
  running_ = true;
  ++generation_;
  Discover();
}

void PollSession::Stop() {
  running_ = false;
  ++generation_;
  if (timer_ != 0) {
    loop_.CancelTimer(timer_);
    timer_ = 0;
  }
  scheduled_delay_.reset();
}

// Every asynchronous step captures the alive token and the generation, so a
// callback that outlives this object or a Stop() does nothing.
#define BERTH_POLL_GUARD(alive, generation)                      \
  if ((alive).expired() || !running_ || (generation) != generation_) { \
    return;                                                      \
  }

void PollSession::Discover() {
  client_.DiscoverPollEndpoint(
      instance_arn_, [this, alive = std::weak_ptr<bool>(alive_),
                      generation = generation_](std::string endpoint) {
        BERTH_POLL_GUARD(alive, generation);
        endpoint_ = std::move(endpoint);
        SendPoll();
      });
}

void PollSession::SendPoll() {
  ++stats_.polls;
  PollRequest request{options_.cluster, instance_arn_, session_id_, applied_seq_};
  client_.Poll(endpoint_, request, options_.poll_timeout + options_.http_margin,
               [this, alive = std::weak_ptr<bool>(alive_),
                generation = generation_](absl::StatusOr<PollAnswer> answer) {
                 BERTH_POLL_GUARD(alive, generation);
                 OnAnswer(std::move(answer));
               });
}

void PollSession::OnAnswer(absl::StatusOr<PollAnswer> answer) {
  if (!answer.ok()) {
    if (EcsErrorName(answer.status()) == kInactiveInstanceException) {
      // Deregistered: Amazon's agent waits an hour before it tries again.
      ++stats_.inactive;
      LOG(ERROR) << "container instance " << instance_arn_
                 << " is deregistered (INACTIVE); polling again in " << options_.inactive_wait;
      healthy_since_.reset();
      Schedule(options_.inactive_wait);
      return;
    }
    Fail(answer.status());
    return;
  }
  Healthy();
  epoch_ = answer->epoch;
  switch (answer->kind) {
    case PollAnswer::Kind::kHeartbeat:
      ++stats_.heartbeats;
      SendPoll();
      return;
    case PollAnswer::Kind::kSuperseded:
      ++stats_.superseded;
      Fail(absl::AlreadyExistsError(
          "poll superseded: another process polls as container instance " + instance_arn_));
      return;
    case PollAnswer::Kind::kReregister:
      ++stats_.reregisters;
      LOG(WARNING) << "berth-control does not know container instance " << instance_arn_
                   << "; registering again";
      reregister_([this, alive = std::weak_ptr<bool>(alive_),
                   generation = generation_](absl::StatusOr<std::string> arn) {
        BERTH_POLL_GUARD(alive, generation);
        if (!arn.ok()) {
          Fail(arn.status());
          return;
        }
        instance_arn_ = *std::move(arn);
        SendPoll();
      });
      return;
    case PollAnswer::Kind::kMessages:
      break;
  }
  const uint64_t up_to = answer->messages.back().seq;
  std::vector<PollMessage> fresh;
  for (PollMessage& message : answer->messages) {
    if (message.seq <= applied_seq_) {
      ++stats_.messages_skipped;
    } else {
      fresh.push_back(std::move(message));
    }
  }
  if (fresh.empty()) {
    SendPoll();  // all redelivered: the ack we send now drops them
    return;
  }
  const size_t count = fresh.size();
  apply_(std::move(fresh), up_to,
         [this, alive = std::weak_ptr<bool>(alive_), generation = generation_, up_to,
          count](absl::Status status) {
           BERTH_POLL_GUARD(alive, generation);
           OnApplied(up_to, count, std::move(status));
         });
}

void PollSession::OnApplied(uint64_t up_to_seq, size_t count, absl::Status status) {
  if (!status.ok()) {
    Fail(status);
    return;
  }
  ++stats_.batches;
  stats_.messages_applied += count;
  applied_seq_ = std::max(applied_seq_, up_to_seq);
  SendPoll();
}

void PollSession::Healthy() {
  if (!healthy_since_.has_value()) {
    healthy_since_ = loop_.time().Monotonic();
  }
}

void PollSession::Fail(const absl::Status& status) {
  ++stats_.failures;
  const absl::Duration now = loop_.time().Monotonic();
  if (healthy_since_.has_value() && now - *healthy_since_ >= options_.backoff_reset_after) {
    backoff_.Reset();
  }
  healthy_since_.reset();
  absl::Duration delay = backoff_.Next();
  LOG(ERROR) << status << "; polling again in " << delay;
  Schedule(delay);
}

void PollSession::Schedule(absl::Duration delay) {
  scheduled_delay_ = delay;
  timer_ = loop_.AddTimer(delay, [this] {
    timer_ = 0;
    scheduled_delay_.reset();
    Discover();
  });
}

#undef BERTH_POLL_GUARD

}  // namespace berth::agent
