#ifndef BERTH_AGENT_RUNTIME_PLAN_H_
#define BERTH_AGENT_RUNTIME_PLAN_H_

// Internal to the runtime: everything the shim and the container process
// need, prepared by Launch before it creates the shim. Both run in memory
// shared with the multithreaded agent (spawn_clone.h), so they only read
// this plan and make system calls: no allocation, no locks.

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace berth::agent::runtime::internal {

// Where a launch failed; sent from the shim to the agent with the errno.
enum class Step : int32_t {
  kNone = 0,
  kShimFds,          // moving the shim's fds into place
  kShimRecord,       // writing <state>/shim
  kCloneContainer,   // clone3 of the container process
  kContainerRecord,  // writing <state>/container
  kStdio,            // the container's stdin/stdout/stderr
  kPrivateMounts,    // making / private in the new mount namespace
  kRootMount,        // overlayfs (or a bind) at rootfs/
  kOp,               // ops[index]
  kBindSource,       // opening binds[index].source
  kPivotRoot,
  kDetachOldRoot,
  kBindTarget,       // creating binds[index].target
  kBindMount,        // mounting binds[index]
  kReadonlyRoot,
  kHostname,
  kWorkdir,          // creating the working directory
  kChdir,
  kDropCaps,
  kSetGroups,
  kSetGid,
  kSetUid,
  kSignals,
  kLookPath,  // argv[0] not found (init only: checked before exec'ing init)
  kExec,
  kShimExec,  // the shim could not become berth-shim (after the report)
};

// The shim → agent message (and container → agent on the exec pipe, with
// the ids unset).
struct Report {
  int32_t step = 0;  // Step; kNone is success
  int32_t err = 0;   // with kNone: the container record could not be written
  int32_t index = 0;
  int32_t pid = 0;
  uint64_t start_time = 0;
  int32_t shim_pid = 0;
  int32_t pad = 0;
  uint64_t shim_start_time = 0;
};

// One filesystem action before pivot_root, on host paths under rootfs/.
struct Op {
  enum Kind : int32_t {
    kMountpoint,  // `target` must be a directory (made if missing), not a symlink
    kMkdir,       // mkdir `target` (mode in `flags`)
    kTouch,       // an empty file at `target`
    kMount,       // mount(source, target, fstype, flags, data)
    kSymlink,     // symlink(source, target)
    kMaskPath,    // hide `target` (/dev/null over a file, a read-only tmpfs over a
                  // directory); skipped when absent
    kReadonlyPath,  // bind `target` onto itself read-only; skipped when absent
    kMknod,       // a character device at `target`: mode in `flags`, dev_t in `data`
  };
  Kind kind = kMount;
  const char* source = nullptr;
  const char* target = nullptr;
  const char* fstype = nullptr;
  unsigned long flags = 0;
  const char* data = nullptr;
};

struct Plan {
  // Storage for every string the pointers below point into (a deque never
  // moves its elements).
  std::deque<std::string> strings;
  const char* Keep(std::string s) { return strings.emplace_back(std::move(s)).c_str(); }

  // The launching process: until the shim's record exists, the shim dies
  // with it (PR_SET_PDEATHSIG), and a shim whose launcher is already gone
  // when it starts does nothing (shim.cc).
  long launcher_pid = 0;

  // The agent's fds, moved by the shim into fixed slots (shim.cc).
  int devnull = -1;
  int stdout_r = -1, stdout_w = -1;
  int stderr_r = -1, stderr_w = -1;
  int report_w = -1;
  int exec_w = -1;  // the container's failure, or EOF at its exec
  int state_fd = -1;
  int cgroup_fd = -1;  // -1: no CLONE_INTO_CGROUP
  int shim_exe = -1;   // berth-shim (O_PATH)

  // Root filesystem.
  bool overlay = true;
  const char* rootfs = nullptr;      // mount point on the host
  const char* root_source = nullptr; // overlay: "overlay"; bind: the layer
  const char* overlay_data = nullptr;
  std::vector<Op> ops;  // before pivot_root, in order

  // Binds, after pivot_root (targets are container paths).
  std::vector<const char*> bind_sources;
  std::vector<char*> bind_targets;  // mutable: made with mkdir -p in place
  std::vector<int> bind_readonly;
  std::vector<int> bind_fds;        // filled in the container process
  std::vector<std::vector<char>> bind_target_bufs;

  bool readonly_root = false;
  const char* hostname = nullptr;  // nullptr: keep
  std::vector<char> workdir;       // NUL-terminated, mutable for mkdir -p

  // Signals whose disposition is not the default at Launch: ignored ones
  // (and SIGPIPE, which the shim ignores), which an exec would not reset,
  // and caught ones, whose handlers must not run in the container process
  // before its exec.
  std::vector<int> reset_signals;

  std::vector<int> keep_caps;  // capabilities kept in the bounding set
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;

  std::vector<char*> argv;       // NULL-terminated
  std::vector<char*> envp;       // NULL-terminated
  std::vector<char*> init_argv;  // "/dev/init", "--", argv..., NULL (init only)
  bool init = false;
  const char* path_env = nullptr;  // the PATH used to find argv[0]
  std::vector<char> path_buf;      // scratch for PATH candidates
};

// The shim (`plan` is a Plan*): never returns. Runs in the child Launch
// creates with SpawnClone; execs berth-shim once the container runs.
[[noreturn]] void RunShim(void* plan);

}  // namespace berth::agent::runtime::internal

#endif  // BERTH_AGENT_RUNTIME_PLAN_H_
