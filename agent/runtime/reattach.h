#ifndef BERTH_AGENT_RUNTIME_REATTACH_H_
#define BERTH_AGENT_RUNTIME_REATTACH_H_

// Finding a container again after an agent restart, and signalling a
// process known by its identity. A pid is only trusted together with its
// start time: the pidfd is opened first, then /proc/<pid>/stat is checked,
// then the pidfd is checked to still name a process, so a reused pid is
// never taken for ours.

#include <string>

#include "absl/status/statusor.h"
#include "agent/runtime/records.h"
#include "io/socket.h"

namespace berth::agent::runtime {

// A pidfd for the process `id` names. NotFound when it is gone or the pid
// now belongs to another process (a different start time).
absl::StatusOr<io::UniqueFd> OpenProcess(ProcessId id);

// pidfd_send_signal to the process `id` names (NotFound when gone).
absl::Status Signal(ProcessId id, int sig);

// <state_dir>/exit; NotFound when the shim left none.
absl::StatusOr<ExitRecord> ReadExitRecord(const std::string& state_dir);
// <state_dir>/shim or /container (records.h names); NotFound when absent.
absl::StatusOr<ProcessId> ReadIdentityRecord(const std::string& state_dir, const char* name);

struct Reattached {
  // true: the shim still runs. Poll `shim_pidfd` for POLLIN (it is not the
  // new agent's child, so it cannot be reaped); when it fires, call
  // ReadExitRecord. false: it ended while the agent was down; `exit` says how.
  bool running = false;
  io::UniqueFd shim_pidfd;
  // The container's stdout/stderr read ends, taken back from the shim
  // (pidfd_getfd of its fds 3 and 4; O_NONBLOCK). Invalid if the shim ended
  // between the check and the copy (its pidfd then fires at once).
  io::UniqueFd stdout_fd;
  io::UniqueFd stderr_fd;
  ExitRecord exit;
};

// The container whose shim is `shim` and state directory `state_dir`.
// NotFound "... the container vanished" when the shim is gone and left no
// exit record (the caller reports ContainerVanishedError); the message says
// whether the container process `container` still runs without its shim.
absl::StatusOr<Reattached> Reattach(const std::string& state_dir, ProcessId shim,
                                    ProcessId container);

}  // namespace berth::agent::runtime

#endif  // BERTH_AGENT_RUNTIME_REATTACH_H_
