#ifndef BERTH_AGENT_ENDPOINTS_DOCKER_STATS_H_
#define BERTH_AGENT_ENDPOINTS_DOCKER_STATS_H_

// Docker's stats JSON (StatsJSON, the cgroup v2 shape) for one container,
// from the stats collector's last two samples: what the task metadata
// endpoint serves at /v4/<id>/stats (with network_rate_stats) and /v3
// (without). ../shared/reference/ecs-agent.md §2 has the fields; on cgroup
// v2 Docker leaves out percpu_usage, max_usage and failcnt, and memory.stat's
// keys are v2's (anon, file, inactive_file, ...).
//
//   cpu_stats.cpu_usage.total_usage      eBPF CPU time (cpu.stat without it), ns
//   .usage_in_usermode / _kernelmode     cpu.stat user_usec / system_usec, ns
//   cpu_stats.system_cpu_usage           /proc/stat's CPU line, ns
//   cpu_stats.throttling_data            cpu.stat nr_periods, nr_throttled, throttled_usec
//   precpu_stats                         the same from the sample before (zeros, and
//                                        preread 0001-01-01T00:00:00Z, without one)
//   memory_stats                         memory.current, memory.stat, memory.max (the
//                                        host's memory when there is no limit, as Docker)
//   pids_stats                           pids.current, pids.max (omitted: "max")
//   blkio_stats.io_service_bytes_recursive  io.stat rbytes / wbytes as "read" / "write"
//   networks.eth0                        the eBPF network counters (host network mode
//                                        has no interface of its own: one entry, named as
//                                        Docker's first interface, for the tools that sum
//                                        the map); omitted without accounting
//   network_rate_stats                   bytes per second between the two samples

#include <cstdint>
#include <string_view>

#include "agent/stats/container_stats.h"
#include "boost/json/object.hpp"

namespace berth::agent::endpoints {

struct DockerStatsOptions {
  int online_cpus = 1;
  uint64_t host_memory_bytes = 0;  // memory_stats.limit when the cgroup has none
  bool network_rate_stats = true;  // v4: true; v3: false
};

boost::json::object DockerStatsJson(const stats::ContainerSample& now,
                                    const stats::ContainerSample* before,
                                    std::string_view docker_name, std::string_view docker_id,
                                    const DockerStatsOptions& options);

}  // namespace berth::agent::endpoints

#endif  // BERTH_AGENT_ENDPOINTS_DOCKER_STATS_H_
