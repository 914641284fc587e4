#include "agent/images/fs_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::images {

absl::StatusOr<Fd> OpenBeneath(int dirfd, std::string_view path, int flags, int mode) {
  std::string p(path.empty() ? "." : path);
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? static_cast<uint64_t>(mode) : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    long fd = syscall(SYS_openat2, dirfd, p.c_str(), &how, sizeof(how));
    if (fd >= 0) {
      return Fd(static_cast<int>(fd));
    }
    if (errno == EINTR || errno == EAGAIN) {
      continue;
    }
    return ErrnoStatus(errno, absl::StrCat("open ", p));
  }
}

namespace {

absl::Status RemoveChildren(int dirfd, const std::string& what) {
  int fd = dup(dirfd);
  if (fd < 0) {
    return ErrnoStatus(errno, absl::StrCat("dup ", what));
  }
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    close(fd);
    return ErrnoStatus(err, absl::StrCat("read directory ", what));
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = readdir(dir)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") {
      names.emplace_back(n);
    }
  }
  closedir(dir);
  for (const std::string& n : names) {
    RETURN_IF_ERROR(RemoveTreeAt(dirfd, n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RemoveTreeAt(int dirfd, std::string_view name) {
  std::string n(name);
  if (unlinkat(dirfd, n.c_str(), 0) == 0 || errno == ENOENT) {
    return absl::OkStatus();
  }
  if (errno != EISDIR && errno != EPERM) {
    return ErrnoStatus(errno, absl::StrCat("remove ", n));
  }
  int fd = openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(errno, absl::StrCat("open ", n));
  }
  // A directory left read-only (a layer's 0555 dir) still empties as root;
  // as another user make it writable first.
  fchmod(fd, 0700);
  absl::Status s = RemoveChildren(fd, n);
  close(fd);
  RETURN_IF_ERROR(s);
  if (unlinkat(dirfd, n.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("remove directory ", n));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFileAt(int dirfd, std::string_view path, size_t max_bytes) {
  std::string p(path);
  Fd fd(openat(dirfd, p.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open ", p));
  }
  return ReadFd(fd.get(), max_bytes, p);
}

absl::Status ReadBlocks(int fd, std::optional<off_t> offset, std::string_view what,
                        absl::FunctionRef<absl::Status(std::string_view block)> block) {
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = offset.has_value() ? pread(fd, buf.data(), buf.size(), *offset)
                                   : read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus(errno, absl::StrCat("read ", Absl(what)));
    }
    if (n == 0) {
      return absl::OkStatus();
    }
    if (offset.has_value()) {
      *offset += n;
    }
    RETURN_IF_ERROR(block(std::string_view(buf.data(), static_cast<size_t>(n))));
  }
}

absl::StatusOr<std::string> ReadFd(int fd, size_t max_bytes, std::string_view what) {
  std::string out;
  RETURN_IF_ERROR(ReadBlocks(fd, std::nullopt, what, [&](std::string_view block) {
    if (out.size() + block.size() > max_bytes) {
      return absl::OutOfRangeError(
          absl::StrCat("failed to read ", Absl(what), ": larger than ", max_bytes, " bytes"));
    }
    out.append(block);
    return absl::OkStatus();
  }));
  return out;
}

absl::Status WriteAll(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus(errno, absl::StrCat("write ", Absl(what)));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace berth::images
