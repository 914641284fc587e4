#include "control/api/utilization.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "control/api/metrics.h"
#include "ecs/arn.h"
#include "ecs/resource.h"
#include "io/absl_compat.h"

namespace berth::control {
namespace {

constexpr std::string_view kServiceGroupPrefix = "service:";

int64_t Registered(const ecs::ContainerInstance& instance, std::string_view name) {
  const ecs::Resource* r = ecs::FindResource(instance.registered_resources, name);
  return r != nullptr ? ecs::ResourceAmount(*r) : 0;
}

// A gauge family over rows (clusters, services): its value for each row
// where it is present.
template <typename Row>
struct GaugeSpec {
  std::string_view name;
  std::string_view help;
  double (*value)(const Row&);
  bool (*present)(const Row&);
};

template <typename Row, size_t N, typename LabelsFn>
void RenderGauges(const GaugeSpec<Row> (&specs)[N], const std::vector<Row>& rows, LabelsFn labels,
                  std::string* out) {
  for (const GaugeSpec<Row>& g : specs) {
    MetricHeader(out, g.name, "gauge", g.help);
    for (const Row& row : rows) {
      if (g.present(row)) {
        absl::StrAppend(out, Absl(g.name), "{", labels(row), "} ", MetricNumber(g.value(row)),
                        "\n");
      }
    }
  }
}

}  // namespace

void TelemetryStore::Record(const AgentTelemetryRequest& message, const state::Model& model,
                            std::string_view cluster, std::string_view instance_id,
                            absl::Time now) {
  ++stats_.messages;
  for (const TelemetryTask& t : message.tasks) {
    const state::TaskEntry* task = model.tasks().Find(cluster, ecs::IdOfArnOrId(t.task_arn));
    if (task == nullptr || task->container_instance_id != instance_id) {
      ++stats_.tasks_skipped;
      continue;
    }
    Usage usage{.instance_id = std::string(instance_id), .received = now};
    for (const TelemetryContainer& c : t.containers) {
      if (c.cpu.has_value()) {
        usage.cpu_units += c.cpu->Average();
        usage.has_cpu = true;
      }
      if (c.memory.has_value()) {
        usage.memory_mib += c.memory->Average();
        usage.has_memory = true;
      }
    }
    ++stats_.tasks;
    by_task_[task->id] = std::move(usage);
  }
  // Stale figures go, at most once per freshness period.
  if (now - last_prune_ >= kTelemetryFresh) {
    last_prune_ = now;
    absl::erase_if(
        by_task_, [&](const auto& entry) { return now - entry.second.received > kTelemetryFresh; });
  }
}

const TelemetryStore::Usage* TelemetryStore::Find(std::string_view task_id, absl::Time now) const {
  auto it = by_task_.find(Absl(task_id));
  if (it == by_task_.end() || now - it->second.received > kTelemetryFresh) {
    return nullptr;
  }
  return &it->second;
}

Utilization ComputeUtilization(const state::Model& model, const TelemetryStore& telemetry,
                               absl::Time now) {
  Utilization result;
  std::map<std::string, ClusterUtilization, std::less<>> clusters;
  for (const auto& [name, entry] : model.clusters().entries()) {
    if (entry.cluster.active()) {
      clusters[name].cluster = name;
    }
  }
  for (const auto& [key, entry] : model.container_instances().entries()) {
    auto it = clusters.find(entry.cluster);
    if (it == clusters.end() || !entry.registered()) continue;
    it->second.cpu_registered += Registered(entry.instance, ecs::kResourceCpu);
    it->second.memory_registered += Registered(entry.instance, ecs::kResourceMemory);
  }
  std::map<std::pair<std::string, std::string>, ServiceUtilization> services;
  for (const auto& [key, task] : model.tasks().entries()) {
    auto it = clusters.find(task.cluster);
    if (it == clusters.end() || task.last_status == state::TaskStatus::kStopped) continue;
    ClusterUtilization& c = it->second;
    const state::ContainerInstanceEntry* instance =
        task.container_instance_id.empty()
            ? nullptr
            : model.container_instances().Find(task.cluster, task.container_instance_id);
    const bool placed = instance != nullptr && instance->registered();
    if (placed) {
      c.cpu_reserved += task.needs.cpu;
      c.memory_reserved += task.needs.memory;
    }
    const bool running = task.last_status == state::TaskStatus::kRunning;
    const TelemetryStore::Usage* usage = running ? telemetry.Find(task.id, now) : nullptr;
    if (usage != nullptr && placed) {
      c.cpu_used += usage->cpu_units;
      c.memory_used += usage->memory_mib;
      ++c.tasks_reporting;
    }
    if (!task.group.starts_with(kServiceGroupPrefix)) continue;
    std::string service = task.group.substr(kServiceGroupPrefix.size());
    ServiceUtilization& s = services[{task.cluster, service}];
    s.cluster = task.cluster;
    s.service = std::move(service);
    if (!running) continue;
    ++s.tasks_running;
    if (usage == nullptr) continue;
    ++s.tasks_reporting;
    if (usage->has_cpu) {
      s.cpu_used += usage->cpu_units;
      s.cpu_reserved += task.needs.cpu;
    }
    if (usage->has_memory) {
      s.memory_used += usage->memory_mib;
      s.memory_reserved += task.needs.memory;
    }
  }
  for (auto& [name, c] : clusters) result.clusters.push_back(std::move(c));
  for (auto& [key, s] : services) result.services.push_back(std::move(s));
  return result;
}

void RenderUtilizationMetrics(const Utilization& utilization, const TelemetryStore::Stats& stats,
                              std::string* out) {
  const GaugeSpec<ClusterUtilization> cluster_gauges[] = {
      {"berth_cluster_cpu_reservation_percent",
       "CPU units reserved by the cluster's tasks × 100 / CPU units its instances registered "
       "(ECS CPUReservation).",
       [](const ClusterUtilization& c) {
         return 100.0 * static_cast<double>(c.cpu_reserved) / static_cast<double>(c.cpu_registered);
       },
       [](const ClusterUtilization& c) { return c.cpu_registered > 0; }},
      {"berth_cluster_memory_reservation_percent",
       "MiB reserved by the cluster's tasks × 100 / MiB its instances registered (ECS "
       "MemoryReservation).",
       [](const ClusterUtilization& c) {
         return 100.0 * static_cast<double>(c.memory_reserved) /
                static_cast<double>(c.memory_registered);
       },
       [](const ClusterUtilization& c) { return c.memory_registered > 0; }},
      {"berth_cluster_cpu_utilization_percent",
       "CPU units used by the cluster's running tasks × 100 / CPU units its instances "
       "registered (ECS CPUUtilization), from the agents' telemetry.",
       [](const ClusterUtilization& c) {
         return 100.0 * c.cpu_used / static_cast<double>(c.cpu_registered);
       },
       [](const ClusterUtilization& c) { return c.cpu_registered > 0; }},
      {"berth_cluster_memory_utilization_percent",
       "MiB used by the cluster's running tasks × 100 / MiB its instances registered (ECS "
       "MemoryUtilization), from the agents' telemetry.",
       [](const ClusterUtilization& c) {
         return 100.0 * c.memory_used / static_cast<double>(c.memory_registered);
       },
       [](const ClusterUtilization& c) { return c.memory_registered > 0; }},
      {"berth_cluster_registered_cpu_units",
       "CPU units registered by the cluster's ACTIVE and DRAINING instances.",
       [](const ClusterUtilization& c) { return static_cast<double>(c.cpu_registered); },
       [](const ClusterUtilization&) { return true; }},
      {"berth_cluster_registered_memory_mib",
       "MiB registered by the cluster's ACTIVE and DRAINING instances.",
       [](const ClusterUtilization& c) { return static_cast<double>(c.memory_registered); },
       [](const ClusterUtilization&) { return true; }},
      {"berth_cluster_tasks_reporting",
       "The cluster's running tasks whose agent published fresh figures.",
       [](const ClusterUtilization& c) { return static_cast<double>(c.tasks_reporting); },
       [](const ClusterUtilization&) { return true; }},
  };
  RenderGauges(
      cluster_gauges, utilization.clusters,
      [](const ClusterUtilization& c) {
        return absl::StrCat("cluster=\"", MetricLabel(c.cluster), "\"");
      },
      out);
  const GaugeSpec<ServiceUtilization> service_gauges[] = {
      {"berth_service_cpu_utilization_percent",
       "CPU units used by the service's running tasks × 100 / CPU units those tasks reserve "
       "(ECS CPUUtilization, Average), from the agents' telemetry.",
       [](const ServiceUtilization& s) {
         return 100.0 * s.cpu_used / static_cast<double>(s.cpu_reserved);
       },
       [](const ServiceUtilization& s) { return s.cpu_reserved > 0; }},
      {"berth_service_memory_utilization_percent",
       "MiB used by the service's running tasks × 100 / MiB those tasks reserve (ECS "
       "MemoryUtilization, Average), from the agents' telemetry.",
       [](const ServiceUtilization& s) {
         return 100.0 * s.memory_used / static_cast<double>(s.memory_reserved);
       },
       [](const ServiceUtilization& s) { return s.memory_reserved > 0; }},
      {"berth_service_tasks_running", "The service's RUNNING tasks.",
       [](const ServiceUtilization& s) { return static_cast<double>(s.tasks_running); },
       [](const ServiceUtilization&) { return true; }},
      {"berth_service_tasks_reporting",
       "The service's running tasks whose agent published fresh figures.",
       [](const ServiceUtilization& s) { return static_cast<double>(s.tasks_reporting); },
       [](const ServiceUtilization&) { return true; }},
  };
  RenderGauges(
      service_gauges, utilization.services,
      [](const ServiceUtilization& s) {
        return absl::StrCat("cluster=\"", MetricLabel(s.cluster), "\",service=\"",
                            MetricLabel(s.service), "\"");
      },
      out);
  MetricHeader(out, "berth_telemetry_messages_total", "counter",
               "Telemetry messages accepted from agents (POST /agent/v1/metrics).");
  absl::StrAppend(out, "berth_telemetry_messages_total ", stats.messages, "\n");
  MetricHeader(out, "berth_telemetry_tasks_total", "counter",
               "Task entries of accepted telemetry: recorded, or skipped (not a task of that "
               "instance).");
  absl::StrAppend(out, "berth_telemetry_tasks_total{result=\"recorded\"} ", stats.tasks, "\n");
  absl::StrAppend(out, "berth_telemetry_tasks_total{result=\"skipped\"} ", stats.tasks_skipped,
                  "\n");
}

}  // namespace berth::control
