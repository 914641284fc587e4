#ifndef BERTH_BENCH_AGENT_LAUNCH_LAUNCH_FLOOR_H_
#define BERTH_BENCH_AGENT_LAUNCH_LAUNCH_FLOOR_H_

// The bare kernel floor of a container launch, with no agent: mkdir a new
// cgroup, clone3(CLONE_INTO_CGROUP | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS
// | CLONE_NEWIPC), make mounts private, bind the root filesystem onto itself,
// pivot_root into it, execve. The clone3 shares the bench's memory until
// the exec (posix_spawn's way, as the runtime's own clones do), so the floor
// does not grow with the size of the process that measures it. One sample is the time from the start of the
// mkdir to the moment the execve succeeded (the child's close-on-exec pipe
// reaches EOF); the reap and the rmdir come after the clock stops.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace berth::bench {

struct FloorOptions {
  std::string cgroup_parent;  // an existing cgroup2 directory we may create children in
  std::string rootfs;         // a directory with the program to exec in it
  std::string program;        // path inside rootfs, e.g. "/bin/true"
};

// Runs one launch; returns how long the launch took (see above).
absl::StatusOr<absl::Duration> LaunchFloorOnce(const FloorOptions& options, int index);

}  // namespace berth::bench

#endif  // BERTH_BENCH_AGENT_LAUNCH_LAUNCH_FLOOR_H_
