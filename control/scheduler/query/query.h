#ifndef BERTH_CONTROL_SCHEDULER_QUERY_QUERY_H_
#define BERTH_CONTROL_SCHEDULER_QUERY_QUERY_H_

// The ECS cluster query language: parse once, evaluate many times.
// Used by memberOf placement constraints and ListContainerInstances --filter.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace berth::scheduler::query {

// What an expression can ask about one container instance. The scheduler
// adapts its instance model to this; tests use a plain struct.
class Subject {
 public:
  virtual ~Subject() = default;
  virtual bool AgentConnected() const = 0;
  virtual std::string_view AgentVersion() const = 0;
  virtual std::string_view Ec2InstanceId() const = 0;
  virtual absl::Time RegisteredAt() const = 0;
  virtual int64_t RunningTasksCount() const = 0;
  // The attribute's value; std::nullopt when the instance lacks it, "" when
  // it is present without a value.
  virtual std::optional<std::string_view> Attribute(std::string_view name) const = 0;
  // Calls `fn` with the group of every task on the instance (running or
  // pending); stops early when `fn` returns false.
  virtual void ForEachTaskGroup(absl::FunctionRef<bool(std::string_view)> fn) const = 0;
};

// Which subjects an expression reads, so callers can cache results: an
// expression that reads only attributes/ec2InstanceId/registeredAt/
// agentVersion changes value only when the instance is re-registered or its
// attributes change.
struct Dependencies {
  bool attributes = false;
  bool agent = false;  // agentConnected, agentVersion
  bool identity = false;  // ec2InstanceId, registeredAt
  bool tasks = false;  // runningTasksCount, task:group
};

class Expression {
 public:
  virtual ~Expression() = default;
  virtual bool Evaluate(const Subject& subject) const = 0;
  virtual const Dependencies& dependencies() const = 0;
  // The expression as the user wrote it.
  virtual std::string_view text() const = 0;
};

// Parses an expression. On error the status is InvalidArgument with a
// message naming the position and what was expected, e.g.
// "invalid expression at position 27: expected an operator after
// 'attribute:ecs.instance-type'". Expressions longer than 2,000 characters
// are rejected.
absl::StatusOr<std::shared_ptr<const Expression>> Parse(std::string_view text);

// Parses through a process-wide cache keyed by the text; thread-safe.
absl::StatusOr<std::shared_ptr<const Expression>> ParseCached(std::string_view text);

}  // namespace berth::scheduler::query

#endif  // BERTH_CONTROL_SCHEDULER_QUERY_QUERY_H_
