#ifndef BERTH_CONTROL_API_OPERATION_H_
#define BERTH_CONTROL_API_OPERATION_H_

// An ECS operation is one function over the in-memory model:
//
//   absl::StatusOr<boost::json::object> CreateCluster(OpContext& ctx, const Args& args);
//
// It reads its members through `args`, checks everything before it changes
// anything, changes the model through the tables' mutators (which record
// each write in `ctx.changes`), and returns the response body. The framework
// (ApiService) then commits `ctx.changes` through the Store and sends the
// body — or the error — only once that commit, and every commit queued
// before it, is durable. An operation does no I/O and never waits.
//
// Errors: EcsError(type, message) (control/api/ecs_error.h) for anything the
// caller did; any other status is a fault, answered as ServerException.
// Should an operation fail after it changed the model, its changes are still
// committed, so memory and disk never disagree — but validate first.
//
// Registering: add the function to an OperationRegistry under its model name
// (ops/ops.h has one Register* function per resource family).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/json/object.hpp"
#include "control/api/args.h"
#include "control/state/change_set.h"
#include "control/state/model.h"
#include "io/rng.h"

namespace berth::control {

class AgentDispatch;  // control/api/agent_dispatch.h

struct OpContext {
  state::Model& model;
  state::ChangeSet& changes;
  io::Rng& rng;           // ids (ecs::NewResourceId)
  absl::Time now;         // timestamps users see (createdAt, ...)
  std::string principal;  // the caller's principal ARN (berth: the account root)
  // The agent channel (RunTask/StartTask/StopTask send through it). nullptr
  // where there is none (unit tests of operations that send nothing): an
  // operation then sends nothing and says so in no way.
  AgentDispatch* agents = nullptr;
  // Run by the framework once this request's ChangeSet is durable (true) or
  // its commit failed (false); at once with true when nothing changed. In
  // the order added. For effects that must wait for durability (publishing
  // staged agent messages).
  std::vector<absl::AnyInvocable<void(bool durable)>> after_commit = {};
  // Set by an operation that wrote its response body itself (DescribeTasks
  // splices cached task JSON): sent instead of the returned object, which
  // it may leave empty. Must be a JSON object (tests parse it instead).
  std::optional<std::string> raw_response = std::nullopt;
};

using OpFn = absl::StatusOr<boost::json::object> (*)(OpContext& ctx, const Args& args);

// The ECS JSON 1.1 target prefix: X-Amz-Target is "<prefix>.<Operation>".
inline constexpr std::string_view kTargetPrefix = "AmazonEC2ContainerServiceV20141113";

class OperationRegistry {
 public:
  // `name` as in the model ("CreateCluster"). Registering a name twice is a bug.
  void Add(std::string_view name, OpFn fn);
  // nullptr for an unknown name.
  OpFn Find(std::string_view name) const;
  // The registered name (stable storage, for metrics labels), or "".
  std::string_view CanonicalName(std::string_view name) const;
  std::vector<std::string_view> Names() const;

 private:
  std::map<std::string, OpFn, std::less<>> ops_;
};

}  // namespace berth::control

#endif  // BERTH_CONTROL_API_OPERATION_H_
