#include "agent/images/helper_unpacker.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/images/fs_util.h"
#include "io/absl_compat.h"
#include "io/status.h"

extern char** environ;

namespace berth::images {

namespace {

// The sanitizers' settings (ASAN_OPTIONS, UBSAN_OPTIONS, ...): the only
// variables berth-unpack inherits.
std::vector<std::string> HelperEnvironment() {
  constexpr std::string_view kSuffix = "SAN_OPTIONS";
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view v = *e;
    std::string_view name = v.substr(0, v.find('='));
    if (name.size() > kSuffix.size() && name.substr(name.size() - kSuffix.size()) == kSuffix) {
      env.emplace_back(v);
    }
  }
  return env;
}

// A copy of `fd` at 10 or above (close-on-exec): the child's dup2s onto 0, 1
// and 3 then never overwrite one another's source, whatever fds the caller
// holds (an agent started with stdin closed can have the blob at 0).
absl::StatusOr<Fd> HighCopy(int fd, std::string_view what) {
  Fd copy(fcntl(fd, F_DUPFD_CLOEXEC, 10));
  if (!copy.valid()) {
    return ErrnoStatus(errno, absl::StrCat("duplicate ", Absl(what)));
  }
  return copy;
}

// posix_spawn's two attribute objects, destroyed on every path.
struct SpawnSetup {
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
};

absl::Status WithCode(absl::StatusCode code, const absl::Status& s) {
  absl::Status r(code, s.message());
  s.ForEachPayload([&](absl::string_view url, const absl::Cord& p) { r.SetPayload(url, p); });
  return r;
}

}  // namespace

HelperUnpacker::HelperUnpacker(std::string path)
    : path_(std::move(path)), environment_(HelperEnvironment()) {}

absl::Status HelperUnpacker::Unpack(int blob_fd, int dest_dirfd, UnpackStats* stats) {
  if (path_.empty()) {
    return absl::FailedPreconditionError("failed to run berth-unpack: no path was given");
  }
  ASSIGN_OR_RETURN(Fd blob, HighCopy(blob_fd, "the layer blob's fd"));
  ASSIGN_OR_RETURN(Fd dest, HighCopy(dest_dirfd, "the layer directory's fd"));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return ErrnoStatus(errno, "create a pipe for berth-unpack's report");
  }
  Fd report_read(pipe_fds[0]);
  Fd report_write;
  {
    Fd low(pipe_fds[1]);
    ASSIGN_OR_RETURN(report_write, HighCopy(low.get(), "the report pipe"));
  }

  // fd 0 = the blob, 1 = the report, 2 = ours, 3 = the directory; nothing
  // else, even an fd another thread opened without O_CLOEXEC.
  SpawnSetup setup;
  posix_spawn_file_actions_adddup2(&setup.actions, blob.get(), 0);
  posix_spawn_file_actions_adddup2(&setup.actions, report_write.get(), 1);
  posix_spawn_file_actions_adddup2(&setup.actions, dest.get(), 3);
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 4);
  // The agent blocks SIGINT/SIGTERM (its signalfd) and ignores SIGPIPE;
  // berth-unpack gets neither.
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string parent = absl::StrCat(getpid());
  std::string flag = "--parent-pid";
  char* argv[] = {path_.data(), flag.data(), parent.data(), nullptr};
  std::vector<char*> envp;
  for (std::string& e : environment_) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);

  pid_t pid = -1;
  int err = posix_spawn(&pid, path_.c_str(), &setup.actions, &setup.attr, argv, envp.data());
  report_write.Reset();  // else the read below never sees EOF
  blob.Reset();
  dest.Reset();
  if (err != 0) {
    return WithCode(absl::StatusCode::kFailedPrecondition,
                    ErrnoStatus(err, absl::StrCat("run berth-unpack ", path_)));
  }

  // The report first (it ends when berth-unpack exits), then the exit status
  // of that one child: never waitpid(-1), other children are not ours.
  absl::StatusOr<std::string> report =
      ReadFd(report_read.get(), kMaxUnpackReport, "berth-unpack's report");
  report_read.Reset();  // a berth-unpack still writing gets SIGPIPE
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) != pid) {
    if (errno != EINTR) {
      return WithCode(absl::StatusCode::kInternal,
                      ErrnoStatus(errno, absl::StrCat("wait for berth-unpack (pid ", pid, ")")));
    }
  }

  std::string who = absl::StrCat("berth-unpack ", path_, " (pid ", pid, ")");
  if (WIFSIGNALED(wstatus)) {
    const char* name = sigabbrev_np(WTERMSIG(wstatus));
    return absl::InternalError(absl::StrCat(
        who, " was killed by ",
        name != nullptr ? absl::StrCat("SIG", name) : absl::StrCat("signal ", WTERMSIG(wstatus))));
  }
  int code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  std::string exited = absl::StrCat(who, " exited with status ", code);
  if (!report.ok()) {
    return absl::InternalError(absl::StrCat(exited, ": ", report.status().message()));
  }
  if (report->empty()) {
    return absl::InternalError(absl::StrCat(exited, " without a report"));
  }
  absl::StatusOr<UnpackReport> parsed = ParseUnpackReport(*report);
  if (!parsed.ok()) {
    return absl::InternalError(absl::StrCat(exited, ": ", parsed.status().message()));
  }
  if (parsed->status.ok() != (code == 0)) {
    return absl::InternalError(absl::StrCat(exited, " but reported ", parsed->status.ToString()));
  }
  if (stats != nullptr) {
    *stats = parsed->stats;
  }
  return parsed->status;
}

}  // namespace berth::images
