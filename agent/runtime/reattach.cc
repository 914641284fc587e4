#include "agent/runtime/reattach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "agent/runtime/launch.h"
#include "io/status.h"

namespace berth::agent::runtime {
namespace {

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  io::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open ", path));
  }
  std::string data;
  char buf[1024];
  while (data.size() < 65536) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return ErrnoStatus(errno, absl::StrCat("read ", path));
    }
    if (n == 0) {
      break;
    }
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

absl::StatusOr<io::UniqueFd> TakeFd(int pidfd, int target) {
  io::UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, target, 0)));
  if (!fd.valid()) {
    return ErrnoStatus(errno, absl::StrCat("copy fd ", target, " from the shim"));
  }
  int flags = fcntl(fd.get(), F_GETFL);
  if (flags < 0 || fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return ErrnoStatus(errno, "make a container output pipe non-blocking");
  }
  return fd;
}

}  // namespace

absl::StatusOr<io::UniqueFd> OpenProcess(ProcessId id) {
  if (id.pid <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid pid ", id.pid));
  }
  io::UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, id.pid, 0)));
  if (!fd.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open process ", id.pid));
  }
  auto stat = ReadSmallFile(absl::StrCat("/proc/", id.pid, "/stat"));
  if (!stat.ok()) {
    return ErrnoOf(stat.status()) == ENOENT ? ErrnoStatus(ESRCH, absl::StrCat("open process ", id.pid))
                                            : stat.status();
  }
  uint64_t start = 0;
  if (!ParseStatStartTime(stat->data(), stat->size(), &start)) {
    return absl::DataLossError(absl::StrCat("malformed /proc/", id.pid, "/stat"));
  }
  if (start != id.start_time) {
    return absl::NotFoundError(absl::StrCat("process ", id.pid, " is not the one recorded: it started at ",
                                            start, ", the record says ", id.start_time));
  }
  // The stat we read was the pidfd's process only if that still runs (or is
  // a zombie) now: a pid is not reused while its process is unreaped.
  if (syscall(SYS_pidfd_send_signal, fd.get(), 0, nullptr, 0) != 0) {
    return ErrnoStatus(errno, absl::StrCat("open process ", id.pid));
  }
  return fd;
}

absl::Status Signal(ProcessId id, int sig) {
  ASSIGN_OR_RETURN(io::UniqueFd fd, OpenProcess(id));
  if (syscall(SYS_pidfd_send_signal, fd.get(), sig, nullptr, 0) != 0) {
    return ErrnoStatus(errno, absl::StrCat("send signal ", sig, " to process ", id.pid));
  }
  return absl::OkStatus();
}

absl::StatusOr<ExitRecord> ReadExitRecord(const std::string& state_dir) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(absl::StrCat(state_dir, "/", kExitRecord)));
  return ParseExitRecord(text);
}

absl::StatusOr<ProcessId> ReadIdentityRecord(const std::string& state_dir, const char* name) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(absl::StrCat(state_dir, "/", name)));
  return ParseIdentityRecord(text);
}

absl::StatusOr<Reattached> Reattach(const std::string& state_dir, ProcessId shim,
                                    ProcessId container) {
  Reattached r;
  auto pidfd = OpenProcess(shim);
  if (pidfd.ok()) {
    // A shim that has exited but is not reaped yet (a zombie, its parent
    // gone too) has written its exit record already.
    pollfd p = {pidfd->get(), POLLIN, 0};
    if (poll(&p, 1, 0) == 1) {
      pidfd = ErrnoStatus(ESRCH, absl::StrCat("open process ", shim.pid));
    }
  }
  if (pidfd.ok()) {
    r.running = true;
    r.shim_pidfd = std::move(*pidfd);
    auto out = TakeFd(r.shim_pidfd.get(), kShimStdoutFd);
    auto err = TakeFd(r.shim_pidfd.get(), kShimStderrFd);
    if (out.ok() && err.ok()) {
      r.stdout_fd = std::move(*out);
      r.stderr_fd = std::move(*err);
    } else if (ErrnoOf(out.ok() ? err.status() : out.status()) != ESRCH) {
      return out.ok() ? err.status() : out.status();
    }
    return r;
  }
  if (!absl::IsNotFound(pidfd.status()) && ErrnoOf(pidfd.status()) != ESRCH) {
    return pidfd.status();
  }
  auto exit = ReadExitRecord(state_dir);
  if (exit.ok()) {
    r.exit = *exit;
    return r;
  }
  if (!absl::IsNotFound(exit.status())) {
    return exit.status();
  }
  bool container_runs = OpenProcess(container).ok();
  return absl::NotFoundError(absl::StrCat(
      "the container vanished: its shim (pid ", shim.pid, ") is gone and left no exit record in ",
      state_dir,
      container_runs ? absl::StrCat("; its process ", container.pid, " still runs without it")
                     : std::string()));
}

}  // namespace berth::agent::runtime
