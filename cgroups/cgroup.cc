#include "cgroups/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::cgroups {
namespace {

// Upper bound on KillBySignals' passes; each pass signals at least one new
// process, so only a fork bomb outrunning a failed freeze gets near it.
constexpr int kMaxKillPasses = 1000;

absl::Status ValidName(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid cgroup name '", Absl(name), "': want one path component"));
  }
  return absl::OkStatus();
}

std::string Join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') {
    out += '/';
  }
  out += name;
  return out;
}

// Reads the whole file `name` relative to `dirfd`; `path` names it in errors.
absl::StatusOr<std::string> ReadAt(int dirfd, std::string_view name, const std::string& path) {
  Fd fd(openat(dirfd, std::string(name).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open ", path));
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus(errno, absl::StrCat("read ", path));
    }
    if (n == 0) {
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

// One write(2): cgroupfs takes each write as one command.
absl::Status WriteAt(int dirfd, std::string_view name, std::string_view value,
                     const std::string& path) {
  Fd fd(openat(dirfd, std::string(name).c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open ", path));
  }
  ssize_t n;
  do {
    n = write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return ErrnoStatus(errno, absl::StrCat("write '", Absl(value), "' to ", path));
  }
  if (static_cast<size_t>(n) != value.size()) {
    return ErrnoStatus(EIO, absl::StrCat("write '", Absl(value), "' to ", path, " (short write)"));
  }
  return absl::OkStatus();
}

// Names of the subdirectories of `dirfd`, sorted.
absl::StatusOr<std::vector<std::string>> SubdirsAt(int dirfd, const std::string& path) {
  // A fresh open file description: a dup would share (and move) the
  // directory offset of the cgroup's own fd.
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(errno, absl::StrCat("open ", path));
  }
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    close(fd);
    return ErrnoStatus(err, absl::StrCat("list ", path));
  }
  std::vector<std::string> out;
  for (;;) {
    errno = 0;
    dirent* e = readdir(dir);
    if (e == nullptr) {
      break;
    }
    std::string_view name = e->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) {
      out.emplace_back(name);
    }
  }
  int err = errno;
  closedir(dir);
  if (err != 0) {
    return ErrnoStatus(err, absl::StrCat("list ", path));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Removes the subtree `name` under `parent_fd`, depth first.
absl::Status RemoveTree(int parent_fd, const std::string& name, const std::string& path) {
  Fd fd(openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return absl::OkStatus();
    }
    return ErrnoStatus(errno, absl::StrCat("open ", path));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> children, SubdirsAt(fd.get(), path));
  for (const std::string& child : children) {
    RETURN_IF_ERROR(RemoveTree(fd.get(), child, Join(path, child)));
  }
  if (unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("remove cgroup ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<pid_t>> ParsePids(std::string_view text, const std::string& path) {
  std::vector<pid_t> out;
  for (absl::string_view line : absl::StrSplit(Absl(text), '\n', absl::SkipWhitespace())) {
    int pid = 0;
    if (!absl::SimpleAtoi(line, &pid) || pid <= 0) {
      return absl::InternalError(
          absl::StrCat("failed to parse ", path, ": '", line, "' is not a pid"));
    }
    out.push_back(pid);
  }
  return out;
}

// One pass of KillBySignals over the subtree at `fd`: SIGKILLs every pid not
// in `signalled` and records it. Returns how many were newly signalled.
absl::StatusOr<int> SignalPass(int fd, const std::string& path, std::set<pid_t>& signalled) {
  int fresh = 0;
  ASSIGN_OR_RETURN(std::string procs, ReadAt(fd, "cgroup.procs", Join(path, "cgroup.procs")));
  ASSIGN_OR_RETURN(std::vector<pid_t> pids, ParsePids(procs, Join(path, "cgroup.procs")));
  for (pid_t pid : pids) {
    if (signalled.insert(pid).second) {
      ++fresh;
      if (kill(pid, SIGKILL) != 0 && errno != ESRCH) {
        return ErrnoStatus(errno, absl::StrCat("kill pid ", pid, " of cgroup ", path));
      }
    }
  }
  ASSIGN_OR_RETURN(std::vector<std::string> children, SubdirsAt(fd, path));
  for (const std::string& child : children) {
    Fd child_fd(openat(fd, child.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!child_fd.valid()) {
      if (errno == ENOENT) {
        continue;
      }
      return ErrnoStatus(errno, absl::StrCat("open ", Join(path, child)));
    }
    ASSIGN_OR_RETURN(int n, SignalPass(child_fd.get(), Join(path, child), signalled));
    fresh += n;
  }
  return fresh;
}

}  // namespace

absl::StatusOr<CgroupEvents> ParseCgroupEvents(std::string_view text) {
  CgroupEvents events;
  bool have_populated = false;
  for (absl::string_view line : absl::StrSplit(Absl(text), '\n', absl::SkipWhitespace())) {
    std::vector<absl::string_view> kv = absl::StrSplit(line, ' ', absl::SkipEmpty());
    const bool known = kv.size() == 2 && (kv[0] == "populated" || kv[0] == "frozen");
    if (kv.size() != 2 || (known && kv[1] != "0" && kv[1] != "1")) {
      return absl::InvalidArgumentError(
          absl::StrCat("failed to parse cgroup.events: malformed line '", line, "'"));
    }
    if (kv[0] == "populated") {
      events.populated = kv[1] == "1";
      have_populated = true;
    } else if (kv[0] == "frozen") {
      events.frozen = kv[1] == "1";
    }
  }
  if (!have_populated) {
    return absl::InvalidArgumentError("failed to parse cgroup.events: no 'populated' line");
  }
  return events;
}

absl::StatusOr<CgroupEvents> EventsWatch::Read() const {
  std::string text;
  char buf[256];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(fd_.get(), buf, sizeof(buf), off);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus(errno, absl::StrCat("read ", path_));
    }
    if (n == 0) {
      break;
    }
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return ParseCgroupEvents(text);
}

absl::Status EventsWatch::WaitUntilEmpty(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    ASSIGN_OR_RETURN(CgroupEvents events, Read());
    if (!events.populated) {
      return absl::OkStatus();
    }
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("cgroup of ", path_, " still populated after ", absl::FormatDuration(timeout)));
    }
    pollfd p{fd_.get(), POLLPRI, 0};
    int ms = static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 60'000));
    if (poll(&p, 1, ms) < 0 && errno != EINTR) {
      return ErrnoStatus(errno, absl::StrCat("poll ", path_));
    }
  }
}

absl::StatusOr<Cgroup> Cgroup::Open(std::string path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open cgroup ", path));
  }
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') {
    trimmed.pop_back();
  }
  size_t slash = trimmed.rfind('/');
  std::string name = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  return Cgroup(std::move(fd), std::move(trimmed), std::move(name));
}

absl::StatusOr<Cgroup> Cgroup::CreateChild(std::string_view name, IfExists if_exists) const {
  RETURN_IF_ERROR(ValidName(name));
  std::string n(name);
  std::string path = Join(path_, name);
  if (mkdirat(fd_.get(), n.c_str(), 0755) != 0 &&
      !(errno == EEXIST && if_exists == IfExists::kReuse)) {
    return ErrnoStatus(errno, absl::StrCat("create cgroup ", path));
  }
  return OpenChild(name);
}

absl::StatusOr<Cgroup> Cgroup::OpenChild(std::string_view name) const {
  RETURN_IF_ERROR(ValidName(name));
  std::string n(name);
  std::string path = Join(path_, name);
  Fd fd(openat(fd_.get(), n.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open cgroup ", path));
  }
  return Cgroup(std::move(fd), std::move(path), std::move(n));
}

absl::StatusOr<std::vector<std::string>> Cgroup::Children() const {
  return SubdirsAt(fd_.get(), path_);
}

std::string Cgroup::FilePath(std::string_view file) const { return Join(path_, file); }

absl::StatusOr<uint64_t> Cgroup::Id() const {
  struct stat st;
  if (fstat(fd_.get(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat cgroup ", path_));
  }
  return static_cast<uint64_t>(st.st_ino);
}

absl::StatusOr<std::string> Cgroup::ReadFile(std::string_view file) const {
  return ReadAt(fd_.get(), file, FilePath(file));
}

absl::Status Cgroup::WriteFile(std::string_view file, std::string_view value) const {
  return WriteAt(fd_.get(), file, value, FilePath(file));
}

absl::StatusOr<ControllerSet> Cgroup::Controllers() const {
  ASSIGN_OR_RETURN(std::string text, ReadFile("cgroup.controllers"));
  return ControllerSet::Parse(text);
}

absl::Status Cgroup::EnableForChildren(ControllerSet controllers) const {
  if (controllers.empty()) {
    return absl::OkStatus();
  }
  return WriteFile("cgroup.subtree_control", controllers.EnableCommand());
}

absl::Status Cgroup::Enter(pid_t pid) const { return WriteFile("cgroup.procs", absl::StrCat(pid)); }

absl::StatusOr<std::vector<pid_t>> Cgroup::Procs() const {
  ASSIGN_OR_RETURN(std::string text, ReadFile("cgroup.procs"));
  return ParsePids(text, FilePath("cgroup.procs"));
}

absl::StatusOr<bool> Cgroup::Populated() const {
  ASSIGN_OR_RETURN(std::string text, ReadFile("cgroup.events"));
  absl::StatusOr<CgroupEvents> events = ParseCgroupEvents(text);
  if (!events.ok()) {
    return absl::InternalError(absl::StrCat(events.status().message(), " (", FilePath("cgroup.events"), ")"));
  }
  return events->populated;
}

absl::StatusOr<EventsWatch> Cgroup::WatchEvents() const {
  std::string path = FilePath("cgroup.events");
  Fd fd(openat(fd_.get(), "cgroup.events", O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open ", path));
  }
  return EventsWatch(std::move(fd), std::move(path));
}

absl::Status Cgroup::Kill() const {
  absl::Status st = WriteFile("cgroup.kill", "1");
  if (ErrnoOf(st) == ENOENT) {
    // No cgroup.kill: an older kernel, or a cgroup already removed.
    if (faccessat(fd_.get(), "cgroup.procs", F_OK, 0) != 0) {
      return ErrnoStatus(errno, absl::StrCat("kill cgroup ", path_));
    }
    return KillBySignals();
  }
  return st;
}

absl::Status Cgroup::KillBySignals() const {
  // Freezing first stops forks racing the signals; the v2 freezer lets a
  // fatal signal through, so frozen processes still die. Without
  // cgroup.freeze (kernel < 5.2) the passes alone have to catch forks.
  absl::Status frozen = WriteFile("cgroup.freeze", "1");
  if (!frozen.ok() && ErrnoOf(frozen) != ENOENT) {
    return frozen;
  }
  std::set<pid_t> signalled;
  absl::Status result = absl::OkStatus();
  int pass = 0;
  for (;; ++pass) {
    absl::StatusOr<int> fresh = SignalPass(fd_.get(), path_, signalled);
    if (!fresh.ok()) {
      result = fresh.status();
      break;
    }
    if (*fresh == 0) {
      break;
    }
    if (pass == kMaxKillPasses) {
      result = absl::ResourceExhaustedError(absl::StrCat(
          "failed to kill cgroup ", path_, ": new processes still appearing after ",
          kMaxKillPasses, " passes (", signalled.size(), " signalled)"));
      break;
    }
  }
  if (frozen.ok()) {
    absl::Status thawed = WriteFile("cgroup.freeze", "0");
    if (result.ok()) {
      result = thawed;
    }
  }
  return result;
}

absl::Status Cgroup::Destroy() const {
  Fd parent(openat(fd_.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open the parent of ", path_));
  }
  // Never the root of a hierarchy: that would remove every empty cgroup on
  // the machine. The mount point's parent lies on another filesystem.
  struct stat self_st, parent_st;
  if (fstat(fd_.get(), &self_st) != 0 || fstat(parent.get(), &parent_st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat cgroup ", path_));
  }
  if (name_.empty() || name_ == "/" || self_st.st_dev != parent_st.st_dev) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to destroy cgroup ", path_, ": it is the root of its hierarchy"));
  }
  absl::StatusOr<std::vector<std::string>> listed = Children();
  if (!listed.ok()) {
    // A removed directory cannot be listed: it is already gone.
    return ErrnoOf(listed.status()) == ENOENT ? absl::OkStatus() : listed.status();
  }
  for (const std::string& child : *listed) {
    RETURN_IF_ERROR(RemoveTree(fd_.get(), child, Join(path_, child)));
  }
  if (unlinkat(parent.get(), name_.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("remove cgroup ", path_));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ParseProcCgroup(std::string_view text) {
  for (absl::string_view line : absl::StrSplit(Absl(text), '\n', absl::SkipEmpty())) {
    // "hierarchy-id:controllers:path"; the path may itself hold ':'.
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("failed to parse /proc/<pid>/cgroup: malformed line '", line, "'"));
    }
    if (parts[0] == "0" && parts[1].empty()) {
      if (parts[2].empty() || parts[2][0] != '/') {
        return absl::InvalidArgumentError(
            absl::StrCat("failed to parse /proc/<pid>/cgroup: path of '", line,
                         "' is not absolute"));
      }
      return std::string(parts[2]);
    }
  }
  return absl::NotFoundError("failed to parse /proc/<pid>/cgroup: no cgroup v2 ('0::') line");
}

absl::StatusOr<std::string> CgroupOfPid(pid_t pid) {
  std::string path = absl::StrCat("/proc/", pid, "/cgroup");
  ASSIGN_OR_RETURN(std::string text, ReadAt(AT_FDCWD, path, path));
  return ParseProcCgroup(text);
}

}  // namespace berth::cgroups
