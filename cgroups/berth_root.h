#ifndef BERTH_CGROUPS_BERTH_ROOT_H_
#define BERTH_CGROUPS_BERTH_ROOT_H_

// berth's subtree of the cgroup v2 hierarchy:
//
//   <cgroup2 mount>/berth/                    subtree_control: +cpu +memory +pids +io (those offered)
//   <cgroup2 mount>/berth/<task-id>/          limits of the task; subtree_control: the same
//   <cgroup2 mount>/berth/<task-id>/<name>/   a container: its limits and its processes
//
// Processes live only in the leaf container cgroups (cgroup v2's "no
// internal processes" rule for domain controllers). On a host whose
// hierarchy offers none of the controllers (a hybrid host:
// /sys/fs/cgroup/unified has only hugetlb) the layout is the same, limits
// are skipped, and controllers() says so: the agent logs one warning and
// registers berth.cgroup-enforcement=false.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cgroups/cgroup.h"
#include "cgroups/controllers.h"

namespace berth::cgroups {

class BerthRoot {
 public:
  static constexpr std::string_view kDirName = "berth";

  // Creates (or reuses) <hierarchy>/berth under the hierarchy's root cgroup
  // (the cgroup2 mount, or a temp dir in tests) and enables for berth's
  // children every controller of ControllerSet::All() that it can get: one
  // the root offers but has not enabled for its children is enabled there
  // first (as runc does for a cgroup path).
  static absl::StatusOr<BerthRoot> Open(const Cgroup& hierarchy);
  // The same from the mount point's path (FindCgroup2Mount's answer).
  static absl::StatusOr<BerthRoot> OpenMount(std::string mount_path);

  const Cgroup& cgroup() const { return berth_; }
  // The controllers task and container cgroups get.
  ControllerSet controllers() const { return controllers_; }
  // Whether the ECS limits are enforced: cpu, memory and pids all available.
  bool enforces_limits() const {
    return controllers_.Contains({Controller::kCpu, Controller::kMemory, Controller::kPids});
  }

  // berth/<task-id>, created if absent (a restarted agent finds it again),
  // with controllers() enabled for its containers.
  absl::StatusOr<Cgroup> CreateTask(std::string_view task_id) const;
  absl::StatusOr<Cgroup> OpenTask(std::string_view task_id) const;
  // The task cgroups present (for recovery after a restart).
  absl::StatusOr<std::vector<std::string>> TaskIds() const { return berth_.Children(); }

 private:
  BerthRoot(Cgroup berth, ControllerSet controllers)
      : berth_(std::move(berth)), controllers_(controllers) {}

  Cgroup berth_;
  ControllerSet controllers_;
};

}  // namespace berth::cgroups

#endif  // BERTH_CGROUPS_BERTH_ROOT_H_
