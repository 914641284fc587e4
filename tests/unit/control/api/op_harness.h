#ifndef BERTH_TESTS_UNIT_CONTROL_API_OP_HARNESS_H_
#define BERTH_TESTS_UNIT_CONTROL_API_OP_HARNESS_H_

// Runs registered operations directly on a Model, as ApiService does, and
// keeps the ChangeSet each call made, so operation tests read like requests.
//
// EnableAgents() gives operations an agent channel (ctx.agents) on a
// FakeLoop. A call's after_commit hooks are kept until the next call (which
// runs them with true first, as if the previous commit were durable),
// RunHooks() or SentTo().

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "boost/json/serialize.hpp"
#include "control/agents/agent_channel.h"
#include "control/api/agent_dispatch.h"
#include "control/api/ecs_error.h"
#include "control/api/operation.h"
#include "control/api/ops/ops.h"
#include "control/state/model.h"
#include "ecs/json_text.h"
#include "gtest/gtest.h"
#include "io/absl_compat.h"
#include "io/fake_loop.h"
#include "io/rng.h"

namespace berth::control::testing {

class OpHarness {
 public:
  explicit OpHarness(ecs::ArnScope scope = {}) : model_(std::move(scope)) {
    ops::RegisterAllOperations(registry_);
  }

  // Runs `operation` with `body` (JSON text).
  absl::StatusOr<boost::json::object> Call(std::string_view operation, std::string_view body) {
    absl::StatusOr<boost::json::value> json = ecs::ParseJson(body);
    EXPECT_TRUE(json.ok()) << body;
    OpFn fn = registry_.Find(operation);
    EXPECT_NE(fn, nullptr) << operation;
    RunHooks(true);
    changes_ = state::ChangeSet();
    OpContext ctx{model_, changes_, rng_, now_, model_.root_principal_arn()};
    ctx.agents = dispatch_.get();
    absl::StatusOr<boost::json::object> out = fn(ctx, Args(json->as_object()));
    hooks_ = std::move(ctx.after_commit);
    if (out.ok() && ctx.raw_response.has_value()) {
      // What the client would read.
      absl::StatusOr<boost::json::value> raw = ecs::ParseJson(*ctx.raw_response);
      EXPECT_TRUE(raw.ok() && raw->is_object()) << operation << ": " << *ctx.raw_response;
      return raw.ok() && raw->is_object() ? raw->as_object() : boost::json::object();
    }
    return out;
  }

  // An agent channel for the operations (DiscoverPollEndpoint answers
  // "http://127.0.0.1:8080").
  void EnableAgents(agents::AgentChannelOptions options = {}) {
    agent_loop_ = std::make_unique<io::FakeLoop>();
    channel_ = std::make_unique<agents::AgentChannel>(*agent_loop_, options);
    dispatch_ = std::make_unique<AgentDispatch>(*channel_, model_, "http://127.0.0.1:8080");
  }
  // Runs the last call's after_commit hooks (once).
  void RunHooks(bool durable) {
    std::vector<absl::AnyInvocable<void(bool)>> hooks = std::move(hooks_);
    hooks_.clear();
    for (auto& hook : hooks) {
      hook(durable);
    }
  }
  size_t pending_hooks() const { return hooks_.size(); }
  // The messages published (and not acknowledged) for the instance, after
  // running the last call's hooks with true.
  std::vector<agents::SequencedMessage> SentTo(std::string_view instance_arn) {
    RunHooks(true);
    if (channel_ == nullptr) {
      return {};
    }
    std::optional<agents::OutboxRecord> record = channel_->SnapshotInstance(Absl(instance_arn));
    return record.has_value() ? std::move(record->messages)
                              : std::vector<agents::SequencedMessage>{};
  }
  agents::AgentChannel& channel() { return *channel_; }
  AgentDispatch& dispatch() { return *dispatch_; }
  io::FakeLoop& agent_loop() { return *agent_loop_; }

  // The call must succeed; returns its output.
  boost::json::object Ok(std::string_view operation, std::string_view body) {
    absl::StatusOr<boost::json::object> out = Call(operation, body);
    EXPECT_TRUE(out.ok()) << operation << " " << body << ": " << out.status();
    return out.ok() ? *out : boost::json::object();
  }

  // "Type: message" of a failed call, or "OK".
  std::string Error(std::string_view operation, std::string_view body) {
    absl::StatusOr<boost::json::object> out = Call(operation, body);
    if (out.ok()) {
      return "OK";
    }
    EXPECT_TRUE(changes_.empty()) << operation << " changed the model before failing";
    return EcsErrorType(out.status()) + ": " + std::string(out.status().message());
  }

  state::Model& model() { return model_; }
  const state::ChangeSet& changes() const { return changes_; }
  const OperationRegistry& registry() const { return registry_; }

 private:
  state::Model model_;
  OperationRegistry registry_;
  state::ChangeSet changes_;
  io::Rng rng_{42};
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  std::unique_ptr<io::FakeLoop> agent_loop_;
  std::unique_ptr<agents::AgentChannel> channel_;
  std::unique_ptr<AgentDispatch> dispatch_;
  std::vector<absl::AnyInvocable<void(bool)>> hooks_;
};

inline std::string Json(const boost::json::value& v) { return boost::json::serialize(v); }

}  // namespace berth::control::testing

#endif  // BERTH_TESTS_UNIT_CONTROL_API_OP_HARNESS_H_
