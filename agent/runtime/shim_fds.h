#ifndef BERTH_AGENT_RUNTIME_SHIM_FDS_H_
#define BERTH_AGENT_RUNTIME_SHIM_FDS_H_

// The shim's file descriptors: where Launch's clone of the agent puts them
// (shim.cc) and where berth-shim, the program it then becomes, finds them
// (shim_main.cc). Plain constants: berth-shim is built without the rest of
// the project.

namespace berth::agent::runtime {

// 0-2: /dev/null.
// The container's stdout and stderr read ends: kept so that a restarted
// agent can take them back (pidfd_getfd; reattach.h).
inline constexpr int kShimStdoutFd = 3;
inline constexpr int kShimStderrFd = 4;
// The report pipe to the agent (close-on-exec: closed by the exec into
// berth-shim, which is the agent's sign that the shim no longer uses the
// agent's memory).
inline constexpr int kShimReportFd = 5;
// The container's state directory (records).
inline constexpr int kShimStateFd = 6;
// The container's cgroup directory until the container exists, then the
// container's pidfd (berth-shim waits on it).
inline constexpr int kShimContainerFd = 7;
// The container's stdout and stderr write ends (given to the container).
inline constexpr int kShimStdoutWFd = 8;
inline constexpr int kShimStderrWFd = 9;
// The container's exec pipe (close-on-exec: EOF at the agent when the
// container has exec'd).
inline constexpr int kShimExecWFd = 10;
// berth-shim itself (O_PATH, close-on-exec), for execveat.
inline constexpr int kShimExeFd = 11;
inline constexpr int kShimFirstFreeFd = 12;

// berth-shim's exit status when it is not run by the agent (wrong
// arguments or fds).
inline constexpr int kShimUsageExit = 2;

}  // namespace berth::agent::runtime

#endif  // BERTH_AGENT_RUNTIME_SHIM_FDS_H_
