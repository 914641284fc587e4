#ifndef BERTH_CONTROL_SCHEDULER_NODE_H_
#define BERTH_CONTROL_SCHEDULER_NODE_H_

// The scheduler's compact view of one container instance (internal to
// control/scheduler). A ClusterSnapshot keeps one Node per slot.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "ecs/container_instance.h"

namespace berth::scheduler::internal {

using Slot = uint32_t;

// A sorted multiset of port numbers in a vector (a handful per instance).
class PortSet {
 public:
  bool Contains(uint16_t port) const { return std::binary_search(ports_.begin(), ports_.end(), port); }
  void Add(uint16_t port) { ports_.insert(std::upper_bound(ports_.begin(), ports_.end(), port), port); }
  // Removes one occurrence; false when absent.
  bool Remove(uint16_t port) {
    auto it = std::lower_bound(ports_.begin(), ports_.end(), port);
    if (it == ports_.end() || *it != port) {
      return false;
    }
    ports_.erase(it);
    return true;
  }
  const std::vector<uint16_t>& ports() const { return ports_; }
  void Clear() { ports_.clear(); }

 private:
  std::vector<uint16_t> ports_;
};

struct Node {
  bool live = false;
  std::string arn;
  std::string id;  // the ARN's last part
  std::string ec2_instance_id;
  std::string agent_version;
  absl::Time registered_at;
  ecs::ContainerInstanceStatus status = ecs::ContainerInstanceStatus::kActive;
  bool agent_connected = false;

  int64_t cpu_registered = 0;
  int64_t memory_registered = 0;
  int64_t cpu_used = 0;
  int64_t memory_used = 0;
  PortSet reserved_tcp;  // registered PORTS
  PortSet reserved_udp;  // registered PORTS_UDP
  PortSet used_tcp;      // static host ports of tasks
  PortSet used_udp;

  // Sorted by name; value std::nullopt for valueless attributes.
  std::vector<std::pair<std::string, std::optional<std::string>>> attributes;
  // Task groups on the node: (group id, task count), sorted by group id.
  std::vector<std::pair<uint32_t, int32_t>> groups;
  int32_t running = 0;
  int32_t pending = 0;

  int64_t RemainingCpu() const { return cpu_registered - cpu_used; }
  int64_t RemainingMemory() const { return memory_registered - memory_used; }
  bool Candidate() const {
    return status == ecs::ContainerInstanceStatus::kActive && agent_connected;
  }

  // The attribute's value: nullopt when absent, "" when valueless.
  std::optional<std::string_view> Attribute(std::string_view name) const {
    auto it = std::lower_bound(attributes.begin(), attributes.end(), name,
                               [](const auto& a, std::string_view n) { return a.first < n; });
    if (it == attributes.end() || it->first != name) {
      return std::nullopt;
    }
    return it->second.has_value() ? std::string_view(*it->second) : std::string_view();
  }

  int32_t GroupCount(uint32_t group) const {
    auto it = std::lower_bound(groups.begin(), groups.end(), group,
                               [](const auto& g, uint32_t id) { return g.first < id; });
    return it != groups.end() && it->first == group ? it->second : 0;
  }
};

}  // namespace berth::scheduler::internal

#endif  // BERTH_CONTROL_SCHEDULER_NODE_H_
