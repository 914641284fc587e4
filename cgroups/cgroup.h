#ifndef BERTH_CGROUPS_CGROUP_H_
#define BERTH_CGROUPS_CGROUP_H_

// A cgroup v2 directory held open: every file and child is reached with
// openat/mkdirat/unlinkat relative to its dirfd, so unit tests run on a temp
// dir with fake control files and kernel tests on the real mount.
//
//   Cgroup task = Cgroup::Open("/sys/fs/cgroup/unified/berth").value()
//                     .CreateChild("<task-id>", IfExists::kReuse).value();
//   Cgroup c = task.CreateChild("web").value();
//   clone3(... CLONE_INTO_CGROUP, .cgroup = c.fd() ...)  // or c.Enter(pid)
//   EventsWatch w = c.WatchEvents().value();            // poll w.fd() for POLLPRI
//   c.Kill();  ... w.Read()->populated == false ...  c.Destroy();
//
// Kill and destroy: Kill() starts the kill of every process in the subtree
// and returns; the processes are gone when cgroup.events says populated 0
// (watch it, do not poll procs). Destroy() removes the subtree depth first;
// while a process is still leaving it fails with ErrnoOf() == EBUSY.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cgroups/controllers.h"
#include "io/unique_fd.h"

namespace berth::cgroups {

using Fd = io::UniqueFd;

// cgroup.events: "populated 0|1" and "frozen 0|1".
struct CgroupEvents {
  bool populated = false;
  bool frozen = false;
  friend bool operator==(const CgroupEvents&, const CgroupEvents&) = default;
};
// InvalidArgument when a line is malformed or "populated" is missing.
absl::StatusOr<CgroupEvents> ParseCgroupEvents(std::string_view text);

// An open cgroup.events. The kernel marks it POLLPRI (and POLLERR) whenever
// its content changes, so "the cgroup became empty" is an event: arm a
// POLLPRI poll on fd() (io::EventLoop::Poll), and on each wake-up Read() it.
// Read() also re-arms the kernel's change detection, so read once after
// opening and after every wake-up.
class EventsWatch {
 public:
  EventsWatch(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  absl::StatusOr<CgroupEvents> Read() const;
  // Blocks (poll(2) on POLLPRI, no busy loop) until populated is 0 or
  // `timeout` passes (DeadlineExceeded). For tools, tests and shutdown; the
  // agent polls fd() on its loop instead.
  absl::Status WaitUntilEmpty(absl::Duration timeout) const;

 private:
  Fd fd_;
  std::string path_;
};

class Cgroup {
 public:
  enum class IfExists { kFail, kReuse };

  // Opens the cgroup directory at an absolute path (the hierarchy's mount
  // point, or a temp dir in tests).
  static absl::StatusOr<Cgroup> Open(std::string path);

  Cgroup(Cgroup&&) = default;
  Cgroup& operator=(Cgroup&&) = default;

  // mkdirat + open. With kFail an existing directory is AlreadyExists
  // (EEXIST); with kReuse it is opened. `name` is one path component.
  absl::StatusOr<Cgroup> CreateChild(std::string_view name, IfExists if_exists = IfExists::kFail) const;
  // Opens an existing child (NotFound/ENOENT if there is none).
  absl::StatusOr<Cgroup> OpenChild(std::string_view name) const;
  // Names of the child cgroups (subdirectories), sorted.
  absl::StatusOr<std::vector<std::string>> Children() const;

  // The path it was opened at (for messages), its last component, and the
  // dirfd: clone3's `cgroup` for CLONE_INTO_CGROUP.
  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }
  int fd() const { return fd_.get(); }
  // The directory's inode number: on cgroupfs the cgroup id that BPF
  // (bpf_get_current_cgroup_id, bpf_skb_cgroup_id) reports.
  absl::StatusOr<uint64_t> Id() const;

  // A control file of this cgroup, read whole / written in one write(2).
  absl::StatusOr<std::string> ReadFile(std::string_view file) const;
  absl::Status WriteFile(std::string_view file, std::string_view value) const;

  // cgroup.controllers: what this cgroup's parent lets it use.
  absl::StatusOr<ControllerSet> Controllers() const;
  // Writes "+a +b" to cgroup.subtree_control (no-op for an empty set).
  absl::Status EnableForChildren(ControllerSet controllers) const;

  // Moves `pid` (a whole process) into this cgroup: cgroup.procs.
  absl::Status Enter(pid_t pid) const;
  // The processes in this cgroup itself (cgroup.procs, not descendants).
  absl::StatusOr<std::vector<pid_t>> Procs() const;
  // Whether any process lives in this cgroup or below (cgroup.events).
  absl::StatusOr<bool> Populated() const;
  // An fd on cgroup.events for the event loop (see EventsWatch).
  absl::StatusOr<EventsWatch> WatchEvents() const;

  // Kills every process in this cgroup and below: "1" to cgroup.kill
  // (kernel >= 5.14); without that file, KillBySignals(). Returns once the
  // kill is started; populated 0 in cgroup.events says it is done. A
  // cgroup that is already removed gives ErrnoOf() == ENOENT.
  absl::Status Kill() const;
  // The fallback for kernels without cgroup.kill: freeze the subtree
  // (cgroup.freeze, where present), SIGKILL every pid in cgroup.procs of it
  // and its descendants, again until a pass finds no pid it has not already
  // signalled (a fork racing the freeze is caught), then thaw. Public so it
  // is tested on kernels that have cgroup.kill.
  absl::Status KillBySignals() const;
  // Removes every descendant, depth first, then this cgroup. A cgroup that
  // is already gone counts as removed. While processes are still leaving,
  // fails with ErrnoOf() == EBUSY; call again after populated goes to 0.
  // The root of a hierarchy (a mount point) is refused: FailedPrecondition.
  absl::Status Destroy() const;

 private:
  Cgroup(Fd fd, std::string path, std::string name)
      : fd_(std::move(fd)), path_(std::move(path)), name_(std::move(name)) {}
  std::string FilePath(std::string_view file) const;

  Fd fd_;
  std::string path_;
  std::string name_;
};

// The cgroup v2 path of a process from /proc/<pid>/cgroup text: the path of
// the "0::" line ("/berth/<task>/<container>"). NotFound when there is no
// such line (a v1-only system), InvalidArgument for a malformed line. The
// kernel appends " (deleted)" to the path of a removed cgroup; it is kept.
absl::StatusOr<std::string> ParseProcCgroup(std::string_view text);
// Reads /proc/<pid>/cgroup and parses it.
absl::StatusOr<std::string> CgroupOfPid(pid_t pid);

}  // namespace berth::cgroups

#endif  // BERTH_CGROUPS_CGROUP_H_
