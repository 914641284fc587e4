#ifndef BERTH_CONTROL_API_UTILIZATION_H_
#define BERTH_CONTROL_API_UTILIZATION_H_

// What tasks use, from the agents' telemetry (POST /agent/v1/metrics), and
// the utilization and reservation figures ECS publishes to CloudWatch, as
// ECS defines them (docs/accounting.md, "Utilization in berth-control"):
//
//   service CPUUtilization    = Σ CPU units used by its RUNNING tasks × 100
//                               / Σ CPU units those tasks reserve
//   service MemoryUtilization = the same with MiB
//   cluster CPUReservation    = Σ CPU units reserved by tasks on its
//                               instances × 100 / Σ CPU registered by them
//   cluster CPUUtilization    = Σ CPU units used by its tasks × 100
//                               / Σ CPU registered
//   (Memory likewise.)
//
// A service is a task group "service:<name>" (what ECS gives a service's
// tasks). A task's figures count while they are fresh (kTelemetryFresh) and
// it is RUNNING. Kept in memory only: after a restart the figures come back
// with the next publish. Loop thread only.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "control/api/agent_telemetry.h"
#include "control/state/model.h"

namespace berth::control {

// Three missed publishes (every 20 s) and a task's figures no longer count.
inline constexpr absl::Duration kTelemetryFresh = absl::Seconds(60);

class TelemetryStore {
 public:
  struct Usage {
    std::string instance_id;  // the instance that reported it
    absl::Time received;
    double cpu_units = 0;  // Σ over its containers of the interval's average
    double memory_mib = 0;
    bool has_cpu = false;
    bool has_memory = false;
  };
  struct Stats {
    uint64_t messages = 0;       // accepted messages
    uint64_t tasks = 0;          // task entries recorded
    uint64_t tasks_skipped = 0;  // entries naming a task not on that instance
  };

  // Records one accepted message from `instance` (an entry of
  // `model.container_instances()` registered to `cluster`): every task entry
  // naming a task of that cluster placed on that instance replaces the
  // task's figures; the others are skipped. Drops figures gone stale.
  void Record(const AgentTelemetryRequest& message, const state::Model& model,
              std::string_view cluster, std::string_view instance_id, absl::Time now);

  // The task's figures if fresh at `now`, else nullptr.
  const Usage* Find(std::string_view task_id, absl::Time now) const;
  size_t size() const { return by_task_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  absl::flat_hash_map<std::string, Usage> by_task_;  // by task id
  Stats stats_;
  absl::Time last_prune_ = absl::InfinitePast();
};

struct ClusterUtilization {
  std::string cluster;
  int64_t cpu_registered = 0;  // CPU units, registered instances (ACTIVE, DRAINING)
  int64_t memory_registered = 0;
  int64_t cpu_reserved = 0;  // by tasks on those instances that are not STOPPED
  int64_t memory_reserved = 0;
  double cpu_used = 0;  // by RUNNING tasks with fresh figures
  double memory_used = 0;
  int tasks_reporting = 0;
};

struct ServiceUtilization {
  std::string cluster;
  std::string service;
  double cpu_used = 0;
  int64_t cpu_reserved = 0;  // of the tasks reporting CPU
  double memory_used = 0;
  int64_t memory_reserved = 0;  // of the tasks reporting memory
  int tasks_running = 0;
  int tasks_reporting = 0;
};

struct Utilization {
  std::vector<ClusterUtilization> clusters;  // ACTIVE clusters, by name
  std::vector<ServiceUtilization> services;  // by cluster, then service
};

Utilization ComputeUtilization(const state::Model& model, const TelemetryStore& telemetry,
                               absl::Time now);

// Appends, in the Prometheus text format:
//   berth_cluster_cpu_reservation_percent{cluster}       gauge (omitted without registered CPU)
//   berth_cluster_memory_reservation_percent{cluster}
//   berth_cluster_cpu_utilization_percent{cluster}
//   berth_cluster_memory_utilization_percent{cluster}
//   berth_cluster_registered_cpu_units{cluster}, berth_cluster_registered_memory_mib{cluster}
//   berth_service_cpu_utilization_percent{cluster,service}   (omitted while no task reports, or
//   berth_service_memory_utilization_percent{cluster,service} the tasks reserve nothing)
//   berth_service_tasks_reporting{cluster,service}
//   berth_telemetry_messages_total, berth_telemetry_tasks_total{result="recorded|skipped"}
void RenderUtilizationMetrics(const Utilization& utilization, const TelemetryStore::Stats& stats,
                              std::string* out);

}  // namespace berth::control

#endif  // BERTH_CONTROL_API_UTILIZATION_H_
