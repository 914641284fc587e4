#include "agent/endpoints/docker_stats.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "agent/endpoints/go_json.h"
#include "boost/json.hpp"
#include "io/absl_compat.h"

namespace berth::agent::endpoints {

namespace json = boost::json;

namespace {

// Go's zero time.Time, which Docker prints for a missing preread.
constexpr char kZeroTime[] = "0001-01-01T00:00:00Z";

json::object CpuStats(const stats::ContainerSample* s, int online_cpus) {
  json::object usage;
  usage["total_usage"] = s != nullptr ? s->CpuNs() : 0;
  usage["usage_in_kernelmode"] = s != nullptr ? s->cpu_system_ns : 0;
  usage["usage_in_usermode"] = s != nullptr ? s->cpu_user_ns : 0;
  json::object throttling;
  throttling["periods"] = s != nullptr ? s->cpu_periods : 0;
  throttling["throttled_periods"] = s != nullptr ? s->cpu_throttled_periods : 0;
  throttling["throttled_time"] = s != nullptr ? s->cpu_throttled_ns : 0;
  json::object cpu;
  cpu["cpu_usage"] = std::move(usage);
  if (s != nullptr) {
    cpu["system_cpu_usage"] = s->host_cpu_ns;
    cpu["online_cpus"] = online_cpus;
  }
  cpu["throttling_data"] = std::move(throttling);
  return cpu;
}

}  // namespace

json::object DockerStatsJson(const stats::ContainerSample& now,
                             const stats::ContainerSample* before, std::string_view docker_name,
                             std::string_view docker_id, const DockerStatsOptions& options) {
  json::object out;
  out["read"] = GoTime(now.read);
  out["preread"] = before != nullptr ? GoTime(before->read) : std::string(kZeroTime);

  json::object pids;
  pids["current"] = now.pids_current;
  if (now.pids_limit.has_value()) {
    pids["limit"] = *now.pids_limit;
  }
  out["pids_stats"] = std::move(pids);

  json::object blkio;
  if (now.io.empty()) {
    blkio["io_service_bytes_recursive"] = nullptr;
  } else {
    json::array bytes;
    for (const cgroups::IoStatEntry& e : now.io) {
      for (auto [op, value] : {std::pair{"read", e.rbytes}, std::pair{"write", e.wbytes}}) {
        json::object entry;
        entry["major"] = e.major;
        entry["minor"] = e.minor;
        entry["op"] = op;
        entry["value"] = value;
        bytes.push_back(std::move(entry));
      }
    }
    blkio["io_service_bytes_recursive"] = std::move(bytes);
  }
  for (const char* key : {"io_serviced_recursive", "io_queue_recursive",
                          "io_service_time_recursive", "io_wait_time_recursive",
                          "io_merged_recursive", "io_time_recursive", "sectors_recursive"}) {
    blkio[key] = nullptr;
  }
  out["blkio_stats"] = std::move(blkio);
  out["num_procs"] = 0;
  out["storage_stats"] = json::object();
  out["cpu_stats"] = CpuStats(&now, options.online_cpus);
  out["precpu_stats"] = CpuStats(before, options.online_cpus);

  json::object memory;
  memory["usage"] = now.memory_usage;
  json::object memory_stat;
  for (const auto& [key, value] : now.memory_stat) {
    memory_stat[key] = value;
  }
  memory["stats"] = std::move(memory_stat);
  memory["limit"] = now.memory_limit.value_or(options.host_memory_bytes);
  out["memory_stats"] = std::move(memory);

  out["name"] = absl::StrCat("/", Absl(docker_name));
  out["id"] = std::string(docker_id);

  if (now.bpf.has_value()) {
    json::object eth0;
    eth0["rx_bytes"] = now.bpf->rx_bytes;
    eth0["rx_packets"] = now.bpf->rx_packets;
    eth0["rx_errors"] = 0;
    eth0["rx_dropped"] = 0;
    eth0["tx_bytes"] = now.bpf->tx_bytes;
    eth0["tx_packets"] = now.bpf->tx_packets;
    eth0["tx_errors"] = 0;
    eth0["tx_dropped"] = 0;
    json::object networks;
    networks["eth0"] = std::move(eth0);
    out["networks"] = std::move(networks);
    if (options.network_rate_stats) {
      json::object rates;
      double rx = 0;
      double tx = 0;
      if (before != nullptr && before->bpf.has_value() && now.read > before->read) {
        const double seconds = absl::ToDoubleSeconds(now.read - before->read);
        if (now.bpf->rx_bytes >= before->bpf->rx_bytes) {
          rx = static_cast<double>(now.bpf->rx_bytes - before->bpf->rx_bytes) / seconds;
        }
        if (now.bpf->tx_bytes >= before->bpf->tx_bytes) {
          tx = static_cast<double>(now.bpf->tx_bytes - before->bpf->tx_bytes) / seconds;
        }
      }
      rates["rx_bytes_per_sec"] = rx;
      rates["tx_bytes_per_sec"] = tx;
      out["network_rate_stats"] = std::move(rates);
    }
  }
  return out;
}

}  // namespace berth::agent::endpoints
