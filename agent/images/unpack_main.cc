// berth-unpack: unpacks one image layer for berth-agent in a process of its
// own (README.md in this folder, "berth-unpack"), so that libarchive is never
// mapped into the agent and a bug in it, or a hostile tar, cannot reach the
// agent's memory. The agent runs it once per layer (HelperUnpacker):
//
//   berth-unpack [--parent-pid PID]  <blob  3<directory  >report
//
//   fd 0  the layer blob (tar, gzip or zstd): a regular file, read from offset 0
//   fd 3  the destination: an empty directory, opened O_RDONLY | O_DIRECTORY
//   fd 1  the report (unpack_report.h): written once, at the end
//   fd 2  diagnostics
//
// It sets no_new_privs and asks for SIGKILL when its parent dies; given
// --parent-pid, it refuses to start when its parent is already someone else
// (the agent died before the prctl).
//
// Exit status: 0 the layer is unpacked; 1 it is not (the report says why);
// 2 the invocation is wrong (usage, fds, parent) or the report could not be
// written.

#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "agent/images/fs_util.h"
#include "agent/images/layer_unpack.h"
#include "agent/images/unpack_report.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::images {
namespace {

constexpr int kBlobFd = 0;
constexpr int kReportFd = 1;
constexpr int kDestFd = 3;

// Writes the report; returns the exit status.
int Finish(const absl::Status& status, const UnpackStats& stats, int exit_status) {
  if (exit_status == 2) {
    fprintf(stderr, "berth-unpack: %s\n", std::string(status.message()).c_str());
  }
  absl::Status w = WriteAll(kReportFd, EncodeUnpackReport(status, stats), "the report to fd 1");
  if (!w.ok()) {
    fprintf(stderr, "berth-unpack: %s\n", std::string(w.message()).c_str());
    return 2;
  }
  return exit_status;
}

int Setup(const absl::Status& status) { return Finish(status, UnpackStats(), 2); }

// fd `fd` exists and has the type `mode` (S_IFREG, S_IFDIR).
absl::Status CheckFd(int fd, mode_t mode, std::string_view what) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("find ", Absl(what), " at fd ", fd));
  }
  if ((st.st_mode & S_IFMT) != mode) {
    return absl::FailedPreconditionError(
        absl::StrCat("failed to find ", Absl(what), " at fd ", fd, ": wrong file type"));
  }
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  pid_t parent = 0;
  if (argc == 3 && std::string_view(argv[1]) == "--parent-pid") {
    if (!absl::SimpleAtoi(argv[2], &parent) || parent <= 0) {
      return Setup(absl::InvalidArgumentError(absl::StrCat("bad --parent-pid ", argv[2])));
    }
  } else if (argc != 1) {
    return Setup(absl::InvalidArgumentError(
        "usage: berth-unpack [--parent-pid PID] <blob 3<directory >report "
        "(run by berth-agent: agent/images/README.md)"));
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Setup(ErrnoStatus(errno, "set no_new_privs"));
  }
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    return Setup(ErrnoStatus(errno, "ask for SIGKILL when the parent dies"));
  }
  if (parent != 0 && getppid() != parent) {
    return Setup(absl::FailedPreconditionError(
        absl::StrCat("failed to start: the parent, pid ", parent, ", is gone")));
  }
  for (absl::Status fd : {CheckFd(kBlobFd, S_IFREG, "the layer blob (a regular file)"),
                          CheckFd(kDestFd, S_IFDIR, "the destination directory")}) {
    if (!fd.ok()) {
      return Setup(fd);
    }
  }
  UnpackStats stats;
  absl::Status s = UnpackLayer(kBlobFd, kDestFd, &stats);
  return Finish(s, stats, s.ok() ? 0 : 1);
}

}  // namespace
}  // namespace berth::images

int main(int argc, char** argv) { return berth::images::Main(argc, argv); }
