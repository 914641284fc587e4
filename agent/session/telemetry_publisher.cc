#include "agent/session/telemetry_publisher.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "ecs/json_text.h"
#include "io/log.h"

namespace berth::agent {
namespace {

constexpr double kCpuUnitsPerCpu = 1024;
constexpr double kBytesPerMiB = 1 << 20;

// Failures are logged while there are few, then every 100th.
bool ShouldLog(uint64_t failures) { return failures <= 10 || failures % 100 == 0; }

boost::json::object SetJson(double min, double max, uint64_t count, double sum) {
  boost::json::object set;
  set["min"] = min;
  set["max"] = max;
  set["sampleCount"] = count;
  set["sum"] = sum;
  return set;
}

}  // namespace

void TelemetryPublisher::StatsSet::Add(double value) {
  min = count == 0 ? value : std::min(min, value);
  max = count == 0 ? value : std::max(max, value);
  sum += value;
  ++count;
}

TelemetryPublisher::TelemetryPublisher(io::EventLoop& loop, ControlClient& client, io::Rng& rng,
                                       TelemetryPublisherOptions options)
    : loop_(loop), client_(client), rng_(rng), options_(std::move(options)) {
  CHECK_GT(options_.max_tasks_per_message, 0u);
  CHECK_GT(options_.interval, absl::ZeroDuration());
}

TelemetryPublisher::~TelemetryPublisher() { Stop(); }

void TelemetryPublisher::Start(std::string instance_arn) {
  instance_arn_ = std::move(instance_arn);
  if (running_) {
    return;
  }
  running_ = true;
  ++generation_;
  sending_ = false;
  Schedule();
}

void TelemetryPublisher::Stop() {
  running_ = false;
  ++generation_;
  sending_ = false;
  unsent_.clear();
  if (timer_ != 0) {
    loop_.CancelTimer(timer_);
    timer_ = 0;
  }
}

void TelemetryPublisher::Schedule() {
  timer_ = loop_.AddTimer(options_.interval, [this] {
    timer_ = 0;
    PublishNow();
    Schedule();
  });
}

void TelemetryPublisher::Record(const stats::StatsCollector::Target& target,
                                const stats::ContainerSample& latest,
                                const stats::ContainerSample* previous) {
  if (target.task_arn.empty() || target.container_name.empty() || previous == nullptr) {
    return;
  }
  const absl::Duration wall = latest.read - previous->read;
  if (wall <= absl::ZeroDuration()) {
    return;
  }
  // The eBPF on-CPU figure when both samples have it, else cpu.stat's for
  // both: a difference across the two sources would mean nothing.
  const bool bpf = latest.bpf.has_value() && previous->bpf.has_value();
  const uint64_t before = bpf ? previous->bpf->on_cpu_ns : previous->cpu_usage_ns;
  const uint64_t after = bpf ? latest.bpf->on_cpu_ns : latest.cpu_usage_ns;
  if (after < before) {
    return;  // the counter went back (a cgroup made anew under the same id)
  }
  const double cpu_units =
      static_cast<double>(after - before) * kCpuUnitsPerCpu / absl::ToDoubleNanoseconds(wall);
  TaskFigures& task = tasks_[target.task_arn];
  task.family = target.task_family;
  task.version = target.task_version;
  ContainerFigures& container = task.containers[target.container_name];
  container.cpu.Add(cpu_units);
  // Without the memory controller there is no memory figure: the set stays
  // empty and is left out, rather than reporting 0 MiB.
  if (latest.has_memory) {
    container.memory.Add(static_cast<double>(latest.WorkingSet()) / kBytesPerMiB);
  }
  if (latest.bpf.has_value()) {
    container.network = std::pair{latest.bpf->rx_bytes, latest.bpf->tx_bytes};
  }
}

void TelemetryPublisher::RecordRound(const stats::StatsCollector& collector) {
  collector.ForEachSampled(
      [this](const stats::StatsCollector::Target& target, const stats::ContainerSample& latest,
             const stats::ContainerSample* previous) { Record(target, latest, previous); });
}

void TelemetryPublisher::PublishNow() {
  if (!running_) {
    return;
  }
  ++stats_.publishes;
  std::vector<boost::json::value> entries;
  for (const auto& [arn, task] : tasks_) {
    boost::json::array containers;
    for (const auto& [name, c] : task.containers) {
      if (c.cpu.count == 0) {
        continue;
      }
      boost::json::object entry;
      entry["containerName"] = name;
      entry["cpuStatsSet"] = SetJson(c.cpu.min, c.cpu.max, c.cpu.count, c.cpu.sum);
      if (c.memory.count != 0) {
        entry["memoryStatsSet"] =
            SetJson(c.memory.min, c.memory.max, c.memory.count, c.memory.sum);
      }
      if (c.network.has_value()) {
        boost::json::object network;
        network["rxBytes"] = c.network->first;
        network["txBytes"] = c.network->second;
        entry["networkStatsSet"] = std::move(network);
      }
      containers.push_back(std::move(entry));
    }
    if (containers.empty()) {
      continue;
    }
    boost::json::object entry;
    entry["taskArn"] = arn;
    entry["taskDefinitionFamily"] = task.family;
    entry["taskDefinitionVersion"] = task.version;
    entry["containerMetrics"] = std::move(containers);
    entries.push_back(std::move(entry));
  }
  tasks_.clear();

  if (!unsent_.empty()) {
    // The last publish is still being sent: its rest gives way to fresher
    // figures.
    stats_.messages_failed += unsent_.size();
    if (ShouldLog(stats_.messages_failed)) {
      LOG(WARNING) << "telemetry: " << unsent_.size()
                   << " messages of the last publish dropped unsent (" << stats_.messages_failed
                   << " failed so far)";
    }
    unsent_.clear();
  }
  const double timestamp = static_cast<double>(absl::ToUnixMillis(loop_.time().Now())) / 1000.0;
  const size_t per_message = options_.max_tasks_per_message;
  const size_t messages = std::max<size_t>(1, (entries.size() + per_message - 1) / per_message);
  for (size_t m = 0; m < messages; ++m) {
    boost::json::object metadata;
    metadata["cluster"] = options_.cluster;
    metadata["containerInstance"] = instance_arn_;
    metadata["messageId"] = absl::StrFormat("%016x%016x", rng_.Next(), rng_.Next());
    metadata["idle"] = entries.empty();
    metadata["fin"] = m + 1 == messages;
    boost::json::array task_metrics;
    for (size_t i = m * per_message; i < std::min(entries.size(), (m + 1) * per_message); ++i) {
      task_metrics.push_back(std::move(entries[i]));
    }
    boost::json::object message;
    message["metadata"] = std::move(metadata);
    message["timestamp"] = timestamp;
    message["taskMetrics"] = std::move(task_metrics);
    unsent_.push_back(ecs::ToJsonText(message));
  }
  SendNext();
}

// Every asynchronous step captures the alive token and the generation, so a
// callback that outlives this object or a Stop() does nothing.
#define BERTH_TELEMETRY_GUARD(alive, generation)                       \
  if ((alive).expired() || !running_ || (generation) != generation_) { \
    return;                                                            \
  }

void TelemetryPublisher::SendNext() {
  if (sending_ || unsent_.empty()) {
    return;
  }
  sending_ = true;
  std::string body = std::move(unsent_.front());
  unsent_.pop_front();
  client_.DiscoverTelemetryEndpoint(
      instance_arn_, [this, alive = std::weak_ptr<bool>(alive_), generation = generation_,
                      body = std::move(body)](std::string endpoint) mutable {
        BERTH_TELEMETRY_GUARD(alive, generation);
        client_.PublishMetrics(endpoint, std::move(body),
                               std::min(options_.request_timeout, options_.interval),
                               [this, alive, generation](absl::Status status) {
                                 BERTH_TELEMETRY_GUARD(alive, generation);
                                 OnSent(std::move(status));
                               });
      });
}

#undef BERTH_TELEMETRY_GUARD

void TelemetryPublisher::OnSent(absl::Status status) {
  sending_ = false;
  if (status.ok()) {
    ++stats_.messages_ok;
  } else {
    Failed(status);
  }
  SendNext();
}

void TelemetryPublisher::Failed(const absl::Status& status) {
  ++stats_.messages_failed;
  if (ShouldLog(stats_.messages_failed)) {
    LOG(WARNING) << "telemetry message dropped (" << stats_.messages_failed
                 << " failed so far): " << status;
  }
}

}  // namespace berth::agent
