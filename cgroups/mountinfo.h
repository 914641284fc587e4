#ifndef BERTH_CGROUPS_MOUNTINFO_H_
#define BERTH_CGROUPS_MOUNTINFO_H_

// Finding the cgroup v2 hierarchy from /proc/self/mountinfo: the pure parser
// and the choice are separate from the read, so both are unit-tested on text.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::cgroups {

// One line of /proc/<pid>/mountinfo (proc(5)); octal escapes (\040) decoded.
struct MountInfo {
  std::string root;         // the mount's root within its filesystem ("/")
  std::string mount_point;  // "/sys/fs/cgroup/unified"
  std::string fs_type;      // "cgroup2"
  std::string source;       // "cgroup2"
  std::string super_options;
  friend bool operator==(const MountInfo&, const MountInfo&) = default;
};

// InvalidArgument naming the line for a malformed line.
absl::StatusOr<std::vector<MountInfo>> ParseMountInfo(std::string_view text);

// The cgroup2 mount point to use: `ecs_cgroup_path` (ECS_CGROUP_PATH) when
// it is itself a cgroup2 mount; otherwise the cgroup2 mount below it (a
// hybrid host's /sys/fs/cgroup/unified under /sys/fs/cgroup); otherwise the
// first cgroup2 mount. A later mount on the same point hides an earlier one.
// NotFound, saying what was looked for, when there is no cgroup2 mount.
absl::StatusOr<std::string> FindCgroup2Mount(std::string_view mountinfo,
                                             std::optional<std::string_view> ecs_cgroup_path);

// The same over /proc/self/mountinfo.
absl::StatusOr<std::string> FindCgroup2MountOfHost(std::optional<std::string_view> ecs_cgroup_path);

}  // namespace berth::cgroups

#endif  // BERTH_CGROUPS_MOUNTINFO_H_
