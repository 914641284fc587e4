#ifndef BERTH_AGENT_SESSION_REGISTRATION_H_
#define BERTH_AGENT_SESSION_REGISTRATION_H_

// RegisterContainerInstance as Amazon's agent does it (../shared/reference/
// ecs-agent.md §4): with the saved container instance ARN when there is one
// (identity and outbox kept), the returned ARN saved before anything else
// happens, transient errors retried 3 s → 192 s ×2 with jitter 0.2 for at
// most an hour, terminal errors returned at once (the agent exits with
// kExitTerminal so systemd does not restart it).

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "agent/session/backoff.h"
#include "agent/session/control_client.h"
#include "agent/state/agent_state_store.h"
#include "io/event_loop.h"
#include "io/rng.h"

namespace berth::agent {

// Amazon's agent's exit code for an error a restart cannot fix.
inline constexpr int kExitTerminal = 5;

struct RegistrationOptions {
  BackoffPolicy backoff = kRegistrationBackoff;
  absl::Duration give_up_after = absl::Hours(1);
};

class Registration {
 public:
  Registration(io::EventLoop& loop, ControlClient& client, AgentStateStore& store, io::Rng& rng,
               RegistrationOptions options = {});
  ~Registration();
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

  // `body` is the request as agent/config builds it, without
  // containerInstanceArn; the saved ARN is added when there is one. `done`
  // gets the registered instance (its ARN already saved), a terminal error
  // (!IsTransient), or the last transient error once give_up_after has
  // passed. One registration at a time.
  void Register(std::string body, absl::AnyInvocable<void(absl::StatusOr<RegisteredInstance>)> done);

  // Attempts made by the current or last Register().
  int attempts() const { return attempts_; }

 private:
  void Attempt();
  void Finish(absl::StatusOr<RegisteredInstance> result);

  io::EventLoop& loop_;
  ControlClient& client_;
  AgentStateStore& store_;
  RegistrationOptions options_;
  Backoff backoff_;
  std::string body_;
  absl::Duration deadline_;
  int attempts_ = 0;
  io::TimerId timer_ = 0;
  absl::AnyInvocable<void(absl::StatusOr<RegisteredInstance>)> done_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The process exit code for a registration failure: kExitTerminal for a
// terminal error, 1 (restart me) otherwise.
int RegistrationExitCode(const absl::Status& status);

}  // namespace berth::agent

#endif  // BERTH_AGENT_SESSION_REGISTRATION_H_
