#ifndef BERTH_AGENT_STATE_STATE_SINK_H_
#define BERTH_AGENT_STATE_STATE_SINK_H_

// The task engine's EngineSink over the state store: each Changed() is one
// transaction holding the task's new state and its report, committed before
// Changed() returns (so it survives a kill of the agent), and the report is
// then handed on for sending (agent/session's Reporter).

#include <cstdint>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "agent/engine/container_driver.h"
#include "agent/state/agent_state_store.h"

namespace berth::agent {

class StateSink final : public EngineSink {
 public:
  // Receives each report after it was stored, with its seq set (seq 0: the
  // write failed and the report exists only in memory).
  using ReportFn = absl::AnyInvocable<void(TaskChange)>;

  StateSink(AgentStateStore& store, ReportFn on_report);

  // A failed write is logged and counted; the report is still handed on, so
  // berth-control hears of the change while the agent runs (a restart would
  // then not resend it).
  void Changed(const TaskState& state, std::optional<TaskChange> report) override;
  void Forgotten(const std::string& task_arn) override;

  struct Stats {
    uint64_t changes = 0;
    uint64_t reports = 0;
    uint64_t forgotten = 0;
    uint64_t write_failures = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  AgentStateStore& store_;
  ReportFn on_report_;
  Stats stats_;
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_STATE_STATE_SINK_H_
