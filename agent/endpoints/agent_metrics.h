#ifndef BERTH_AGENT_ENDPOINTS_AGENT_METRICS_H_
#define BERTH_AGENT_ENDPOINTS_AGENT_METRICS_H_

// The agent's Prometheus metrics (GET /metrics on the introspection port).
// The rest of the agent records events through the methods below; what can
// be read off the task state is computed when /metrics is scraped.
//
// Recorded (counters unless noted):
//   berth_agent_task_launches_total                  tasks the engine started launching
//   berth_agent_task_launch_failures_total{reason}   by the reason's error name
//                                                    ("CannotPullContainerError")
//   berth_agent_state_reports_total{result}          sent | failed (each attempt)
//   berth_agent_state_reports_queued                 gauge, changes not yet acknowledged
//   berth_agent_polls_total{answer}                  long-poll answers by type
//   berth_agent_telemetry_messages_total{result}     ok | error (main.cc feeds it from
//                                                    TelemetryPublisher::stats())
//   berth_agent_registration_state{state}            gauge, 1 for the current state, 0
//                                                    for states seen before
//   berth_agent_cgroup_enforcement                   gauge, 1 when limits are enforced
//   berth_agent_introspection_requests_total{route,code}
// Computed at scrape time:
//   berth_agent_tasks{status}                        gauge, tasks by known status
//                                                    (NONE PULLED CREATED RUNNING STOPPED)
//   berth_agent_containers_running                   gauge
//   berth_agent_task_state{cluster,task_arn,family,revision}        gauge, known status
//   berth_agent_container_state{cluster,task_arn,family,container}  gauge, known status
//       (states as numbers: 0 NONE, 1 PULLED, 2 CREATED, 3 RUNNING, 4 STOPPED)
//   berth_agent_container_exit_code{cluster,task_arn,family,container}  gauge, once known
//   berth_agent_uptime_seconds                       gauge
//   process_resident_memory_bytes                    gauge, when it could be read
// Other parts of the agent may declare their own families on registry().
// Loop thread only.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "agent/endpoints/introspection_source.h"
#include "agent/endpoints/metric_registry.h"
#include "io/time_source.h"

namespace berth::agent::endpoints {

class AgentMetrics {
 public:
  // Uptime counts from construction, on `time`'s monotonic clock.
  explicit AgentMetrics(const io::TimeSource& time);

  void RecordLaunch();
  void RecordLaunchFailure(std::string_view reason_name);
  void RecordReportSent();
  void RecordReportFailed();
  void SetReportsQueued(size_t queued);
  // "messages", "heartbeat", "superseded", "reregister", "error", ...
  void RecordPoll(std::string_view answer);
  // "registering", "registered", "reconnecting", ... (the session's words).
  void SetRegistrationState(std::string_view state);
  void SetCgroupEnforcement(bool enforced);
  // Once at start-up: the eBPF accounting loaded (how it hooks in), or not
  // (why).
  void SetAccounting(bool enabled, std::string_view scheduler_hooks, std::string_view oom_hook,
                     std::string_view reason);
  void RecordIntrospectionRequest(std::string_view route, int status);

  MetricRegistry& registry() { return registry_; }
  const MetricRegistry& registry() const { return registry_; }

  // The whole exposition: recorded families, then the ones computed from
  // `source`; `rss_bytes` is left out when nullopt.
  std::string Render(const IntrospectionSource& source, std::optional<uint64_t> rss_bytes) const;

 private:
  const io::TimeSource& time_;
  absl::Duration started_;
  MetricRegistry registry_;
  std::string registration_state_;
};

// The process's resident set size from /proc/self/statm, or nullopt.
std::optional<uint64_t> ReadSelfRssBytes();

}  // namespace berth::agent::endpoints

#endif  // BERTH_AGENT_ENDPOINTS_AGENT_METRICS_H_
