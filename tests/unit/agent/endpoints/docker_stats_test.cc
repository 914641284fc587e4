// Docker's stats JSON from two samples: every field's source, the cgroup v2
// omissions, precpu_stats without an earlier sample, the network rates.

#include "agent/endpoints/docker_stats.h"

#include <string>

#include "agent/endpoints/go_json.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::agent::endpoints {
namespace {

namespace json = boost::json;

stats::ContainerSample Sample(absl::Time at, uint64_t cpu_ns, uint64_t rx, uint64_t tx) {
  stats::ContainerSample s;
  s.read = at;
  s.cpu_usage_ns = cpu_ns + 999;  // cpu.stat: the eBPF figure wins
  s.cpu_user_ns = cpu_ns / 2;
  s.cpu_system_ns = cpu_ns / 4;
  s.cpu_periods = 10;
  s.cpu_throttled_periods = 2;
  s.cpu_throttled_ns = 5000;
  s.bpf = bpf::CgroupUsage{
      .on_cpu_ns = cpu_ns, .rx_bytes = rx, .rx_packets = 3, .tx_bytes = tx, .tx_packets = 4};
  s.has_memory = true;
  s.memory_usage = 10485760;
  s.memory_limit = 268435456;
  s.memory_stat = {{"anon", 6291456}, {"inactive_file", 4096}};
  s.has_pids = true;
  s.pids_current = 3;
  s.pids_limit = 4194304;
  s.io = {{.major = 259, .minor = 0, .rbytes = 4096, .wbytes = 8192}};
  s.host_cpu_ns = 9876543210000;
  return s;
}

TEST(DockerStatsTest, HasDockersShapeForCgroupV2) {
  const absl::Time t0 = absl::FromUnixMillis(1714557900100);
  const stats::ContainerSample before = Sample(t0, 1'000'000'000, 1000, 500);
  const stats::ContainerSample now = Sample(t0 + absl::Seconds(10), 1'500'000'000, 1125, 531);
  json::object s = DockerStatsJson(now, &before, "ecs-nginx-5-web-e4f0", "43481a6c",
                                   {.online_cpus = 2, .host_memory_bytes = 1 << 30});
  json::value want = json::parse(R"({
    "read": "2024-05-01T10:05:10.1Z", "preread": "2024-05-01T10:05:00.1Z",
    "pids_stats": {"current": 3, "limit": 4194304},
    "blkio_stats": {"io_service_bytes_recursive": [
        {"major": 259, "minor": 0, "op": "read", "value": 4096},
        {"major": 259, "minor": 0, "op": "write", "value": 8192}],
      "io_serviced_recursive": null, "io_queue_recursive": null, "io_service_time_recursive": null,
      "io_wait_time_recursive": null, "io_merged_recursive": null, "io_time_recursive": null,
      "sectors_recursive": null},
    "num_procs": 0, "storage_stats": {},
    "cpu_stats": {"cpu_usage": {"total_usage": 1500000000, "usage_in_kernelmode": 375000000,
                                "usage_in_usermode": 750000000},
                  "system_cpu_usage": 9876543210000, "online_cpus": 2,
                  "throttling_data": {"periods": 10, "throttled_periods": 2, "throttled_time": 5000}},
    "precpu_stats": {"cpu_usage": {"total_usage": 1000000000, "usage_in_kernelmode": 250000000,
                                   "usage_in_usermode": 500000000},
                     "system_cpu_usage": 9876543210000, "online_cpus": 2,
                     "throttling_data": {"periods": 10, "throttled_periods": 2,
                                         "throttled_time": 5000}},
    "memory_stats": {"usage": 10485760, "stats": {"anon": 6291456, "inactive_file": 4096},
                     "limit": 268435456},
    "name": "/ecs-nginx-5-web-e4f0", "id": "43481a6c",
    "networks": {"eth0": {"rx_bytes": 1125, "rx_packets": 3, "rx_errors": 0, "rx_dropped": 0,
                          "tx_bytes": 531, "tx_packets": 4, "tx_errors": 0, "tx_dropped": 0}},
    "network_rate_stats": {"rx_bytes_per_sec": 12.5, "tx_bytes_per_sec": 3.1}
  })");
  EXPECT_EQ(json::value(s), want) << json::serialize(s);
  // No cgroup v1 leftovers.
  EXPECT_EQ(GoJson(s).find("percpu_usage"), std::string::npos);
  EXPECT_EQ(GoJson(s).find("max_usage"), std::string::npos);
  EXPECT_EQ(GoJson(s).find("failcnt"), std::string::npos);
}

TEST(DockerStatsTest, TheFirstSampleHasZeroPrecpuAndRates) {
  stats::ContainerSample now = Sample(absl::FromUnixSeconds(1714557900), 7, 10, 20);
  json::object s = DockerStatsJson(now, nullptr, "n", "i", {.online_cpus = 4});
  EXPECT_EQ(s["preread"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(s["precpu_stats"],
            json::parse(R"({"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0,
                            "usage_in_usermode": 0},
                            "throttling_data": {"periods": 0, "throttled_periods": 0,
                                                "throttled_time": 0}})"));
  EXPECT_EQ(s["network_rate_stats"],
            json::parse(R"({"rx_bytes_per_sec": 0.0, "tx_bytes_per_sec": 0.0})"));
}

TEST(DockerStatsTest, WithoutAccountingOrLimitsDockersFallbacksApply) {
  stats::ContainerSample now;
  now.read = absl::FromUnixSeconds(1714557900);
  now.cpu_usage_ns = 42'000;
  json::object s = DockerStatsJson(
      now, nullptr, "n", "i",
      {.online_cpus = 1, .host_memory_bytes = 8ull << 30, .network_rate_stats = false});
  EXPECT_EQ(s["cpu_stats"].as_object()["cpu_usage"].as_object()["total_usage"], 42'000);
  EXPECT_EQ(s["memory_stats"].as_object()["limit"], 8ull << 30);  // no memory.max: the host's
  EXPECT_FALSE(s.contains("networks"));
  EXPECT_FALSE(s.contains("network_rate_stats"));
  EXPECT_EQ(s["pids_stats"], json::parse(R"({"current": 0})"));
  EXPECT_TRUE(s["blkio_stats"].as_object()["io_service_bytes_recursive"].is_null());
}

}  // namespace
}  // namespace berth::agent::endpoints
