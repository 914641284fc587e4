#ifndef BERTH_CONTROL_API_AGENT_TELEMETRY_H_
#define BERTH_CONTROL_API_AGENT_TELEMETRY_H_

// The wire form of POST /agent/v1/metrics (docs/agent-protocol.md,
// "Telemetry"): an agent's PublishMetricsRequest, decoded and checked. The
// ApiService routes, authenticates and checks the cluster and instance;
// TelemetryStore (utilization.h) keeps the figures.
//
//   {"metadata": {"cluster","containerInstance","messageId","idle","fin"},
//    "timestamp": seconds,
//    "taskMetrics": [{"taskArn","taskDefinitionFamily","taskDefinitionVersion",
//                     "containerMetrics": [{"containerName",
//                        "cpuStatsSet":    {"min","max","sampleCount","sum"},  CPU units
//                        "memoryStatsSet": {"min","max","sampleCount","sum"},  MiB
//                        "networkStatsSet": {"rxBytes","txBytes"}}]}]}
//   → {"type": "AckPublishMetric", "messageId": "…"}

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/object.hpp"

namespace berth::control {

// At most this many tasks per message (Amazon's agent sends 10), and
// containers per task (a task definition's limit).
inline constexpr size_t kMaxTelemetryTasks = 10;
inline constexpr size_t kMaxTelemetryContainers = 10;

// Bounds on a stats set: no machine uses 10^12 CPU units or MiB, and a
// publish interval holds far fewer samples than 10^6.
inline constexpr double kMaxTelemetryValue = 1e12;
inline constexpr int64_t kMaxTelemetrySamples = 1'000'000;

// CloudWatch's StatisticSet: one value per sample of the interval.
struct TelemetryStatsSet {
  double min = 0;
  double max = 0;
  double sum = 0;
  int64_t sample_count = 0;
  // sum / sample_count.
  double Average() const { return sum / static_cast<double>(sample_count); }
};

struct TelemetryContainer {
  std::string name;
  std::optional<TelemetryStatsSet> cpu;     // CPU units (1024 = one CPU)
  std::optional<TelemetryStatsSet> memory;  // MiB
  std::optional<int64_t> rx_bytes;
  std::optional<int64_t> tx_bytes;
};

struct TelemetryTask {
  std::string task_arn;
  std::string family;
  std::string version;
  std::vector<TelemetryContainer> containers;
};

struct AgentTelemetryRequest {
  boost::json::object metadata;  // for RequestCluster (its "cluster" member)
  std::string instance;          // containerInstance (an ARN or an id)
  std::string message_id;
  bool idle = false;
  bool fin = true;
  std::optional<double> timestamp;
  std::vector<TelemetryTask> tasks;
};

// SerializationException for a body that is not a JSON object or a member of
// the wrong type; InvalidParameterException naming the member for a missing
// metadata, containerInstance, messageId, taskArn or containerName, more
// than kMaxTelemetryTasks tasks or kMaxTelemetryContainers containers, or a
// stats set that cannot be (a negative value or count, one past the bounds
// above, min > max, a sum outside [min, max] × sampleCount). A set with
// sampleCount 0 is dropped.
absl::StatusOr<AgentTelemetryRequest> DecodeAgentTelemetry(std::string_view body);

// {"type":"AckPublishMetric","messageId":…}
std::string AgentTelemetryAnswer(std::string_view message_id);

}  // namespace berth::control

#endif  // BERTH_CONTROL_API_AGENT_TELEMETRY_H_
