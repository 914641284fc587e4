#ifndef BERTH_AGENT_CONFIG_HOST_FACTS_H_
#define BERTH_AGENT_CONFIG_HOST_FACTS_H_

// What registration needs to know about the host, read from procfs and
// sysfs under a root directory ("/" in the agent, a temp dir in tests):
//
//   CPUs             <root>/proc/self/status Cpus_allowed_list (the affinity
//                    mask, as Go's runtime.NumCPU counts)
//   memory           <root>/proc/meminfo MemTotal, in MiB (rounded down)
//   architecture     <root>/proc/sys/kernel/arch (uname -m; Linux 6.1+, so
//                    uname(2) when the root is "/" and the file is missing)
//   hostname         <root>/proc/sys/kernel/hostname
//   kernel release   <root>/proc/sys/kernel/osrelease
//   ephemeral ports  <root>/proc/sys/net/ipv4/ip_local_port_range (optional)
//   EC2 type         <root>/sys/class/dmi/id/{sys_vendor,product_name}
//                    (optional; product_name is the instance type on Nitro)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "agent/config/agent_config.h"

namespace berth::agent::config {

struct HostFacts {
  int cpus = 0;
  int64_t memory_mib = 0;
  std::string machine = {};  // uname -m: "x86_64", "aarch64", ...
  std::string hostname = {};
  std::string kernel_release = {};
  std::optional<PortRange> ephemeral_ports = {};
  std::optional<std::string> ec2_instance_type = {};
};

// Errors name the file and what was wrong with it.
absl::StatusOr<HostFacts> ReadHostFacts(const std::string& root);

// The ECS value of ecs.cpu-architecture for a uname machine: x86_64, arm64,
// or the machine name itself for others ("i686", "riscv64", ...).
std::string EcsCpuArchitecture(std::string_view machine);

// Pure parsers, exposed for tests.
// "0-3,8,10-11" → 7; std::nullopt when malformed.
std::optional<int> CountCpuList(std::string_view list);
// MemTotal of a /proc/meminfo text, in MiB.
std::optional<int64_t> MemTotalMib(std::string_view meminfo);
// "32768\t60999\n".
std::optional<PortRange> ParseLocalPortRange(std::string_view text);

// The dynamic host port range the agent uses: ECS_DYNAMIC_HOST_PORT_RANGE,
// else the host's ephemeral range, else Amazon's fallback 49153-65535.
PortRange DynamicHostPortRange(const AgentConfig& config, const HostFacts& host);

}  // namespace berth::agent::config

#endif  // BERTH_AGENT_CONFIG_HOST_FACTS_H_
