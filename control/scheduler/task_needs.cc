#include "control/scheduler/task_needs.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "ecs/task_size.h"

namespace berth::scheduler {
namespace {

absl::Status AddPort(int32_t port, ecs::TransportProtocol protocol, const std::string& where,
                     TaskNeeds* needs) {
  if (port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": host port ", port, " is outside 1..65535"));
  }
  std::vector<uint16_t>& ports =
      protocol == ecs::TransportProtocol::kUdp ? needs->udp_ports : needs->tcp_ports;
  uint16_t p = static_cast<uint16_t>(port);
  auto it = std::lower_bound(ports.begin(), ports.end(), p);
  if (it != ports.end() && *it == p) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": host port ", port, "/",
                                                   std::string(ecs::ToString(protocol)),
                                                   " is mapped twice in the task"));
  }
  ports.insert(it, p);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TaskNeeds> NeedsOf(const ecs::TaskDefinition& definition) {
  TaskNeeds needs;
  if (definition.cpu.has_value()) {
    absl::StatusOr<int64_t> cpu = ecs::ParseTaskCpu(*definition.cpu);
    if (!cpu.ok()) {
      return cpu.status();
    }
    needs.cpu = *cpu;
  }
  if (definition.memory.has_value()) {
    absl::StatusOr<int64_t> memory = ecs::ParseTaskMemory(*definition.memory);
    if (!memory.ok()) {
      return memory.status();
    }
    needs.memory = *memory;
  }
  ecs::NetworkMode mode = definition.EffectiveNetworkMode();
  for (size_t c = 0; c < definition.container_definitions.size(); ++c) {
    const ecs::ContainerDefinition& container = definition.container_definitions[c];
    if (!definition.cpu.has_value()) {
      needs.cpu += std::max<int32_t>(container.cpu, 0);
    }
    if (!definition.memory.has_value()) {
      needs.memory += std::max<int32_t>(
          container.memory_reservation.value_or(container.memory.value_or(0)), 0);
    }
    if (mode != ecs::NetworkMode::kBridge && mode != ecs::NetworkMode::kHost) {
      continue;
    }
    for (size_t m = 0; m < container.port_mappings.size(); ++m) {
      const ecs::PortMapping& mapping = container.port_mappings[m];
      std::string where = absl::StrCat("containerDefinitions[", c, "].portMappings[", m, "]");
      int32_t host = mapping.host_port.value_or(0);
      if (mode == ecs::NetworkMode::kHost) {
        int32_t container_port = mapping.container_port.value_or(0);
        if (host != 0 && host != container_port) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": in host network mode hostPort must equal containerPort (", host, " vs ",
              container_port, ")"));
        }
        host = container_port;
      }
      if (host == 0) {
        continue;  // dynamic
      }
      if (absl::Status s = AddPort(host, mapping.EffectiveProtocol(), where, &needs); !s.ok()) {
        return s;
      }
    }
  }
  return needs;
}

}  // namespace berth::scheduler
