#include "agent/session/registration.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/session/control_error.h"
#include "boost/json/object.hpp"
#include "ecs/json_text.h"
#include "io/log.h"

namespace berth::agent {

Registration::Registration(io::EventLoop& loop, ControlClient& client, AgentStateStore& store,
                           io::Rng& rng, RegistrationOptions options)
    : loop_(loop),
      client_(client),
      store_(store),
      options_(options),
      backoff_(options.backoff, rng) {}

Registration::~Registration() {
  if (timer_ != 0) {
    loop_.CancelTimer(timer_);
  }
}

void Registration::Register(std::string body,
                            absl::AnyInvocable<void(absl::StatusOr<RegisteredInstance>)> done) {
  CHECK(!done_) << "a registration is already running";
  done_ = std::move(done);
  attempts_ = 0;
  backoff_.Reset();
  deadline_ = loop_.time().Monotonic() + options_.give_up_after;
  absl::StatusOr<boost::json::value> json = ecs::ParseJson(body);
  if (!json.ok() || !json->is_object()) {
    absl::Status error = absl::InvalidArgumentError(absl::StrCat(
        "failed to register the container instance: the request body is not a JSON object: ",
        json.ok() ? body : json.status().message()));
    loop_.Post([this, alive = std::weak_ptr<bool>(alive_), error] {
      if (!alive.expired()) {
        Finish(error);
      }
    });
    return;
  }
  if (!store_.container_instance_arn().empty()) {
    json->get_object()["containerInstanceArn"] = store_.container_instance_arn();
  }
  body_ = ecs::ToJsonText(*json);
  Attempt();
}

void Registration::Attempt() {
  timer_ = 0;
  ++attempts_;
  client_.RegisterContainerInstance(body_, [this, alive = std::weak_ptr<bool>(alive_)](
                                               absl::StatusOr<RegisteredInstance> result) mutable {
    if (alive.expired()) {
      return;
    }
    if (result.ok()) {
      if (result->arn != store_.container_instance_arn()) {
        if (!store_.container_instance_arn().empty()) {
          LOG(WARNING) << "registered as " << result->arn << ", not as the saved "
                       << store_.container_instance_arn();
        }
        if (absl::Status saved = store_.SaveInstanceArn(result->arn); !saved.ok()) {
          Finish(saved);
          return;
        }
      }
      LOG(INFO) << "registered container instance " << result->arn << " after " << attempts_
                << (attempts_ == 1 ? " attempt" : " attempts");
      Finish(std::move(result));
      return;
    }
    const absl::Status& error = result.status();
    if (!IsTransient(error)) {
      LOG(ERROR) << error << " (terminal, not retried)";
      Finish(error);
      return;
    }
    const absl::Duration now = loop_.time().Monotonic();
    absl::Duration delay = backoff_.Next();
    if (now + delay > deadline_) {
      LOG(ERROR) << error << "; giving up after " << attempts_ << " attempts";
      Finish(error);
      return;
    }
    LOG(WARNING) << error << "; retrying in " << delay;
    timer_ = loop_.AddTimer(delay, [this] { Attempt(); });
  });
}

void Registration::Finish(absl::StatusOr<RegisteredInstance> result) {
  auto done = std::move(done_);
  done_ = nullptr;
  done(std::move(result));
}

int RegistrationExitCode(const absl::Status& status) {
  return IsTransient(status) ? 1 : kExitTerminal;
}

}  // namespace berth::agent
