#ifndef BERTH_CONTROL_API_METRICS_H_
#define BERTH_CONTROL_API_METRICS_H_

// What GET /metrics shows, in the Prometheus text format (version 0.0.4):
//   berth_api_requests_total{operation,error}      counter; error="none" on success
//   berth_api_request_duration_seconds{operation}  histogram, arrival → response
//                                                   released (commit wait included)
//   berth_store_commits_total{result}              counter, ok|error
//   berth_store_commit_mutations_total             counter
//   berth_store_commit_duration_seconds            histogram, Commit() → done
//   berth_store_transactions_total                 counter, from Store::stats()
//   berth_store_bytes_total                        counter, from Store::stats()
//   berth_store_batches_queued{state}              gauge, waiting|writing
//   berth_store_max_batches_per_transaction        gauge
//   berth_store_transaction_seconds{quantile}      summary (0.5, 0.99) of recent ones
//   berth_api_responses_waiting                    gauge, answers held for a commit
//   berth_api_writes_failed                        gauge, 1 once a commit failed
// With an agent channel (RenderAgentChannelMetrics, appended):
//   berth_agent_channel_<stat>_total               counter per AgentChannelStats field
//   berth_agent_channel_connected_instances        gauge, registered instances whose
//                                                   agent is connected
// Loop thread only.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "control/agents/agent_channel.h"
#include "control/store/store.h"

namespace berth::control {

class Histogram {
 public:
  // Upper bounds in seconds: 0.5 ms … 10 s.
  static constexpr std::array<double, 14> kBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  void Observe(absl::Duration d);
  // Appends the _bucket/_sum/_count lines; `labels` is "" or `a="b",`.
  void Render(std::string_view name, std::string_view labels, std::string* out) const;
  uint64_t count() const { return count_; }

 private:
  std::array<uint64_t, kBounds.size()> buckets_{};  // non-cumulative
  uint64_t count_ = 0;
  double sum_ = 0;
};

class ApiMetrics {
 public:
  // `operation` is a registered name or "unknown"; `error_type` "" on success.
  void RecordRequest(std::string_view operation, std::string_view error_type,
                     absl::Duration latency);
  void RecordCommit(size_t mutations, absl::Duration latency, bool ok);

  std::string Render(const Store::Stats& store, size_t responses_waiting, bool writes_failed) const;

  uint64_t requests(std::string_view operation, std::string_view error_type) const;

 private:
  std::map<std::pair<std::string, std::string>, uint64_t> requests_;
  std::map<std::string, Histogram, std::less<>> latency_;
  uint64_t commits_ok_ = 0;
  uint64_t commits_failed_ = 0;
  uint64_t mutations_ = 0;
  Histogram commit_latency_;
};

// The text format's pieces: "# HELP name help\n# TYPE name type\n"; a
// number ("%.9g"); a label value escaped (\\, \", newline).
void MetricHeader(std::string* out, std::string_view name, std::string_view type,
                  std::string_view help);
std::string MetricNumber(double v);
std::string MetricLabel(std::string_view value);

// Appends the agent channel's counters and the connected-instances gauge.
void RenderAgentChannelMetrics(const agents::AgentChannelStats& stats, size_t connected,
                               std::string* out);

}  // namespace berth::control

#endif  // BERTH_CONTROL_API_METRICS_H_
