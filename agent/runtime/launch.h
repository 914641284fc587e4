#ifndef BERTH_AGENT_RUNTIME_LAUNCH_H_
#define BERTH_AGENT_RUNTIME_LAUNCH_H_

// Starting a container: the caller (the agent) creates a per-container shim
// that starts the container's first process in its own namespaces and
// cgroup, reports it, then becomes berth-shim, a small program that waits
// for it, records how it ended and exits the same way. The shim and the
// container share their parent's memory until they exec (spawn_clone.h), so
// a launch copies none of the agent's address space. See README.md.
//
//   agent ──clone3(CLONE_PIDFD)──▶ shim ──clone3(CLONE_INTO_CGROUP | CLONE_PIDFD |
//    ▲ ▲  (stays in the agent's    │  CLONE_NEWNS|NEWPID|NEWUTS|NEWIPC|NEWCGROUP)──▶ container
//    │ │   cgroup, setsid)         │                                 (mounts, pivot_root,
//    │ └── report pipe ◀───────────┤ pids + start times, or step + errno    user, execve)
//    │     (EOF: it is berth-shim) └─▶ execveat: berth-shim (waits, records the exit)
//    └──── exec pipe (close-on-exec): EOF at the exec, or step + errno ◀───────┘
//
// The shim writes <state_dir>/shim, /container and /exit (records.h); it
// keeps copies of the container's stdout/stderr read ends at fds 3 and 4
// (shim_fds.h) so a restarted agent can take them back (Reattach).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/runtime/records.h"
#include "agent/runtime/shim_fds.h"
#include "io/socket.h"

namespace berth::agent::runtime {

// A host path bind-mounted into the container after pivot_root (so a symlink
// in the image resolves inside the container, never on the host). A missing
// target is created (a directory or an empty file, as the source is).
struct BindMount {
  std::string source;  // host path
  std::string target;  // absolute path in the container
  bool readonly = true;
};

struct LaunchSpec {
  // The container's cgroup directory (O_DIRECTORY); the container is born in
  // it (CLONE_INTO_CGROUP). -1: the shim's cgroup (tests only).
  int cgroup_fd = -1;
  // Where the shim writes its records; must exist. Old records are removed.
  std::string state_dir;
  // Image layer directories, top first (overlayfs's lowerdir order).
  std::vector<std::string> layers;
  // Per-container directory: upper/, work/ and rootfs/ are made here.
  std::string container_dir;
  bool readonly_root = false;
  std::vector<std::string> argv;  // argv[0] is looked up in the env's PATH
  // "NAME=value", exactly as given, plus HOME from the user's passwd entry
  // when absent (as runc does).
  std::vector<std::string> env;
  std::string user;         // "", "uid", "uid:gid", "name", "name:group"
  std::string working_dir;  // absolute; created if missing; "" is "/"
  std::string hostname;     // "" keeps the new UTS namespace's (the host's)
  // initProcessEnabled: berth-init (at `init_path` on the host) runs as PID 1
  // at /dev/init and runs argv as its child.
  bool init = false;
  std::string init_path;
  // berth-shim on the host (required).
  std::string shim_path;
  std::vector<BindMount> binds = {};
};

struct Launched {
  io::UniqueFd shim_pidfd;  // our child: io::EventLoop::WaitPidfd reaps it
  ProcessId shim;
  ProcessId container;  // host pid of the container's first process
  // The read ends of the container's stdout and stderr (O_NONBLOCK).
  io::UniqueFd stdout_fd;
  io::UniqueFd stderr_fd;
};

// Starts the container and returns once it has exec'd (≈ a millisecond; it
// blocks the caller's thread for that long). Errors: InvalidArgument for a
// bad spec (no command, a relative working dir, an unknown user); the errno
// of the step that failed otherwise, worded for that step, e.g.
// "failed to exec /bin/nope: No such file or directory [ENOENT]" or
// "failed to mount overlay at /x/rootfs: ...". The shim is reaped on failure.
absl::StatusOr<Launched> Launch(const LaunchSpec& spec);

// For a container directory made ahead (agent/driver/spare_dirs.h) whose
// upper layer already holds etc/ with empty files for the bind targets
// under /etc, so that the launch creates no inode for them: fits upper/etc
// to the image given by `layers` (top first) before the overlay is mounted.
// If the image's /etc is a directory, upper/etc takes its mode and owner (the
// merged directory shows the upper one's); if it is anything else (a
// symlink, a file, a whiteout), upper/etc and its files are removed, as the
// launch would not have made them. Files named in `unused` are removed in
// any case. Nothing to do without upper/etc.
absl::Status FitPremadeEtc(const std::string& upper, const std::vector<std::string>& layers,
                           const std::vector<std::string>& unused);

}  // namespace berth::agent::runtime

#endif  // BERTH_AGENT_RUNTIME_LAUNCH_H_
