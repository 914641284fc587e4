#include "agent/state/state_sink.h"

#include <utility>

#include "io/log.h"

namespace berth::agent {

StateSink::StateSink(AgentStateStore& store, ReportFn on_report)
    : store_(store), on_report_(std::move(on_report)) {}

void StateSink::Changed(const TaskState& state, std::optional<TaskChange> report) {
  ++stats_.changes;
  std::optional<TaskChange> stored;
  absl::StatusOr<std::optional<TaskChange>> result = store_.PutTask(state, report);
  if (result.ok()) {
    stored = *std::move(result);
  } else {
    ++stats_.write_failures;
    LOG(ERROR) << "task " << state.spec.arn << " is not persisted: " << result.status();
    stored = std::move(report);
    if (stored.has_value()) {
      stored->seq = 0;
    }
  }
  if (stored.has_value()) {
    ++stats_.reports;
    if (on_report_) {
      on_report_(*std::move(stored));
    }
  }
}

void StateSink::Forgotten(const std::string& task_arn) {
  ++stats_.forgotten;
  if (absl::Status s = store_.ForgetTask(task_arn); !s.ok()) {
    ++stats_.write_failures;
    LOG(ERROR) << s;
  }
}

}  // namespace berth::agent
