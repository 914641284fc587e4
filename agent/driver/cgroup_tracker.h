#ifndef BERTH_AGENT_DRIVER_CGROUP_TRACKER_H_
#define BERTH_AGENT_DRIVER_CGROUP_TRACKER_H_

// Whoever counts what containers use (the eBPF accounting, bpf/) learns of
// each container's cgroup from the driver: when the cgroup is made, before
// the container's first instruction, and again when a restarted agent finds
// a container an earlier process started. An interface, so the driver needs
// no BPF and its tests can watch.

#include <cstdint>

namespace berth::agent {

class CgroupTracker {
 public:
  virtual ~CgroupTracker() = default;
  // Idempotent; failures are the tracker's to log (a container runs with or
  // without its figures).
  virtual void Track(uint64_t cgroup_id) = 0;
};

}  // namespace berth::agent

#endif  // BERTH_AGENT_DRIVER_CGROUP_TRACKER_H_
