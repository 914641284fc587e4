#include "control/store/data_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control {
namespace {

constexpr char kLockName[] = "berth.lock";
constexpr char kSqliteMagic[] = "SQLite format 3";  // and a NUL: 16 bytes

// mkdir -p: parents 0755, the leaf 0700. Returns whether the leaf was made.
absl::StatusOr<bool> MakeDirs(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("failed to use ", path, " as the data directory: it is not a directory"));
    }
    return false;
  }
  if (errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("stat ", path));
  }
  for (size_t pos = path.find('/', 1); pos != std::string::npos; pos = path.find('/', pos + 1)) {
    const std::string parent = path.substr(0, pos);
    if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, absl::StrCat("create directory ", parent));
    }
  }
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, absl::StrCat("create directory ", path));
  }
  return true;
}

std::string LockHolder(int fd) {
  char buf[32] = {};
  const ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  int pid = 0;
  if (n > 0 && absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buf, n)), &pid)) {
    return absl::StrCat("process ", pid);
  }
  return "another process";
}

}  // namespace

absl::Status DataDir::Sync() const {
  if (fsync(dir_fd.get()) != 0) {
    return ErrnoStatus(errno, absl::StrCat("fsync directory ", path));
  }
  if (created) {
    const size_t slash = path.find_last_of('/');
    const std::string parent = slash == std::string::npos ? "."
                               : slash == 0               ? "/"
                                                          : path.substr(0, slash);
    io::UniqueFd fd(open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid() || fsync(fd.get()) != 0) {
      return ErrnoStatus(errno, absl::StrCat("fsync directory ", parent));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DataDir> OpenDataDir(const std::string& raw_path) {
  if (raw_path.empty()) {
    return absl::InvalidArgumentError("the store needs a data directory (--data-dir)");
  }
  DataDir dir;
  dir.path = raw_path;
  while (dir.path.size() > 1 && dir.path.back() == '/') {
    dir.path.pop_back();
  }
  ASSIGN_OR_RETURN(dir.created, MakeDirs(dir.path));
  dir.dir_fd = io::UniqueFd(open(dir.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.dir_fd.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open data directory ", dir.path));
  }
  // open(O_RDONLY) proves read access; the store also creates and writes
  // files (the database, its WAL, the lock), which needs write and search.
  if (faccessat(dir.dir_fd.get(), ".", R_OK | W_OK | X_OK, AT_EACCESS) != 0) {
    return ErrnoStatus(errno, absl::StrCat("access data directory ", dir.path,
                                           " for reading and writing"));
  }
  const std::string lock_path = absl::StrCat(dir.path, "/", kLockName);
  dir.lock_fd = io::UniqueFd(openat(dir.dir_fd.get(), kLockName,
                                    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!dir.lock_fd.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open ", lock_path));
  }
  if (flock(dir.lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "failed to lock ", lock_path, ": ", LockHolder(dir.lock_fd.get()),
          " holds it; another berth-control is using the data directory ", dir.path,
          " (stop it, or give this one another --data-dir)"));
    }
    return ErrnoStatus(errno, absl::StrCat("lock ", lock_path));
  }
  // The holder's pid, for the message above; best effort.
  const std::string pid = absl::StrCat(getpid(), "\n");
  if (ftruncate(dir.lock_fd.get(), 0) != 0 ||
      pwrite(dir.lock_fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return ErrnoStatus(errno, absl::StrCat("write ", lock_path));
  }
  return dir;
}

absl::StatusOr<FileKind> ProbeFile(const std::string& path) {
  io::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return FileKind::kMissing;
    }
    return ErrnoStatus(errno, absl::StrCat("open ", path));
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("stat ", path));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("failed to open the store ", path, ": it is not a regular file"));
  }
  if (st.st_size == 0) {
    return FileKind::kEmpty;
  }
  char head[sizeof(kSqliteMagic)] = {};
  const ssize_t n = pread(fd.get(), head, sizeof(head), 0);
  if (n < 0) {
    return ErrnoStatus(errno, absl::StrCat("read ", path));
  }
  if (n == static_cast<ssize_t>(sizeof(head)) && std::memcmp(head, kSqliteMagic, sizeof(head)) == 0) {
    return FileKind::kSqlite;
  }
  return FileKind::kOther;
}

}  // namespace berth::control
