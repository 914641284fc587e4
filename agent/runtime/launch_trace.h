#ifndef BERTH_AGENT_RUNTIME_LAUNCH_TRACE_H_
#define BERTH_AGENT_RUNTIME_LAUNCH_TRACE_H_

// Where a launch's time goes, step by step, for bench/agent_launch.
//
// Only in builds configured with -DBERTH_LAUNCH_TRACE=ON; elsewhere
// LaunchStamp is empty and inlined away. A stamp is a CLOCK_MONOTONIC read
// (the vDSO: no system call, async-signal-safe) stored in one global array.
// The shim and the container write theirs too: they share the agent's memory
// until they exec (spawn_clone.h), so the agent reads every stamp once Launch
// returns. One launch at a time: concurrent launches overwrite each other's.

#include <cstdint>

namespace berth::agent::runtime {

// In the order a successful launch passes them.
enum class LaunchStep : int {
  kCreateBegin = 0,     // RealDriver::Create entered
  kCreateEnd,           // container directory, cgroup and limits done
  kStartBegin,          // RealDriver::Start entered (the start intent is committed)
  kLaunchBegin,         // runtime::Launch entered (image config merged, hosts written)
  kPlanBuilt,           // BuildPlan done
  kShimCloning,         // pipes made, the shim's clone3 next
  kShimRunning,         // the shim's first instruction
  kShimFdsArranged,     // its fds in their slots, setsid, death signal
  kShimRecorded,        // <state>/shim written
  kContainerRunning,    // the container process's first instruction
  kRootMounted,         // private mounts and the overlay (or bind) root
  kOpsDone,             // /proc, /dev, /sys, cgroup2, masks, read-only paths
  kBindsOpened,         // bind sources cloned (open_tree)
  kPivoted,             // pivot_root, old root detached
  kBindsMounted,        // /etc/hosts and friends attached
  kExecuting,           // workdir, hostname, capabilities, ids, signals: execve next
  kShimResumed,         // the container exec'd; the shim runs again
  kShimReported,        // container record written, report sent: execveat of berth-shim next
  kLaunchResumed,       // the agent runs again (the shim is berth-shim)
  kLaunchEnd,           // runtime::Launch returns
  kStartEnd,            // RealDriver::Start returns (logs and exit watch set up)
  kCount,
};

inline constexpr const char* kLaunchStepNames[] = {
    "create_begin",   "create_end",    "start_begin",   "launch_begin",      "plan_built",
    "shim_cloning",   "shim_running",  "shim_fds",      "shim_recorded",     "container_running",
    "root_mounted",   "ops_done",      "binds_opened",  "pivoted",           "binds_mounted",
    "executing",      "shim_resumed",  "shim_reported", "launch_resumed",    "launch_end",
    "start_end"};
static_assert(sizeof(kLaunchStepNames) / sizeof(kLaunchStepNames[0]) ==
              static_cast<int>(LaunchStep::kCount));

#ifdef BERTH_LAUNCH_TRACE
inline constexpr bool kLaunchTraceEnabled = true;
// Nanoseconds, CLOCK_MONOTONIC, of the last launch's steps (0: not reached).
extern uint64_t launch_trace[static_cast<int>(LaunchStep::kCount)];
void LaunchStamp(LaunchStep step);
inline uint64_t LaunchStampOf(LaunchStep step) { return launch_trace[static_cast<int>(step)]; }
#else
inline constexpr bool kLaunchTraceEnabled = false;
inline void LaunchStamp(LaunchStep) {}
inline uint64_t LaunchStampOf(LaunchStep) { return 0; }
#endif

}  // namespace berth::agent::runtime

#endif  // BERTH_AGENT_RUNTIME_LAUNCH_TRACE_H_
