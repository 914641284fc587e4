#ifndef BERTH_AGENT_SESSION_TELEMETRY_PUBLISHER_H_
#define BERTH_AGENT_SESSION_TELEMETRY_PUBLISHER_H_

// The agent's telemetry (docs/agent-protocol.md, "Telemetry"): what each
// running container used, folded into min/max/sum/sampleCount sets per stats
// round, sent every interval (20 s) as PublishMetricsRequest-shaped JSON to
// POST <telemetryEndpoint>/agent/v1/metrics, signed like every call.
//
//   StatsCollector round ──▶ Record (one value per container and round:
//                            CPU units = Δcpu ns × 1024 / Δwall ns,
//                            MiB = working set / 2^20)
//   every interval ────────▶ messages of ≤ 10 tasks (fin on the last; one
//                            idle message when no task has figures); the
//                            sets start empty again
//                         ──▶ sent one after another; a failure is logged
//                            and dropped, never resent; messages still
//                            unsent at the next interval give way to it
//
// Best effort: nothing is stored and nothing is acknowledged. Loop thread
// only; time and message ids come from the loop and an injected io::Rng.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/session/control_client.h"
#include "agent/stats/container_stats.h"
#include "io/event_loop.h"
#include "io/rng.h"

namespace berth::agent {

struct TelemetryPublisherOptions {
  std::string cluster = "default";              // metadata.cluster (ECS_CLUSTER)
  absl::Duration interval = absl::Seconds(20);  // BERTH_TELEMETRY_INTERVAL
  size_t max_tasks_per_message = 10;
  // Each message's HTTP timeout, at most `interval`.
  absl::Duration request_timeout = absl::Seconds(10);
};

class TelemetryPublisher {
 public:
  TelemetryPublisher(io::EventLoop& loop, ControlClient& client, io::Rng& rng,
                     TelemetryPublisherOptions options = {});
  ~TelemetryPublisher();
  TelemetryPublisher(const TelemetryPublisher&) = delete;
  TelemetryPublisher& operator=(const TelemetryPublisher&) = delete;

  // Publishes every interval from now on, as `instance_arn` (registration's
  // answer). Figures recorded before Start go with the first publish.
  void Start(std::string instance_arn);
  // A new ARN after a re-registration; the next message carries it.
  void SetInstanceArn(std::string instance_arn) { instance_arn_ = std::move(instance_arn); }
  // No message is sent after this; an answer still in flight is ignored.
  void Stop();

  // One stats round of one container: `previous` is the container's sample
  // before `latest` (nullptr for its first, which gives no value: the CPU
  // needs two). Targets without a task ARN or container name are ignored.
  void Record(const stats::StatsCollector::Target& target, const stats::ContainerSample& latest,
              const stats::ContainerSample* previous);
  // Record for every container the collector sampled in its last round: what
  // main.cc calls from StatsCollector::SetRoundObserver.
  void RecordRound(const stats::StatsCollector& collector);

  // Builds the messages from what was recorded, starts the sets afresh and
  // sends them (the interval timer calls this; tests may too).
  void PublishNow();

  struct Stats {
    uint64_t publishes = 0;
    uint64_t messages_ok = 0;      // answered 2xx
    uint64_t messages_failed = 0;  // transport error or error answer, or dropped unsent
  };
  const Stats& stats() const { return stats_; }

 private:
  struct StatsSet {
    double min = 0;
    double max = 0;
    double sum = 0;
    uint64_t count = 0;
    void Add(double value);
  };
  struct ContainerFigures {
    StatsSet cpu;
    StatsSet memory;
    std::optional<std::pair<uint64_t, uint64_t>> network;  // rx, tx bytes
  };
  struct TaskFigures {
    std::string family;
    std::string version;
    std::map<std::string, ContainerFigures> containers;  // by name
  };

  void Schedule();
  void SendNext();
  void OnSent(absl::Status status);
  void Failed(const absl::Status& status);

  io::EventLoop& loop_;
  ControlClient& client_;
  io::Rng& rng_;
  const TelemetryPublisherOptions options_;
  std::string instance_arn_;
  std::map<std::string, TaskFigures> tasks_;  // by task ARN
  std::deque<std::string> unsent_;            // message bodies of the last publish
  bool sending_ = false;
  bool running_ = false;
  uint64_t generation_ = 0;  // bumped by Start and Stop: stale callbacks are ignored
  io::TimerId timer_ = 0;
  Stats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_SESSION_TELEMETRY_PUBLISHER_H_
