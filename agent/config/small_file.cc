#include "agent/config/small_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::agent::config {

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, std::string_view name) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoStatus(errno, absl::StrCat("open ", Absl(name)));
  }
  std::string text;
  absl::Status status;
  char buffer[8192];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      status = ErrnoStatus(errno, absl::StrCat("read ", Absl(name)));
      break;
    }
    if (n == 0) {
      break;
    }
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxSmallFileBytes) {
      status = absl::InvalidArgumentError(
          absl::StrCat("failed to read ", Absl(name), ": larger than ", kMaxSmallFileBytes >> 20,
                       " MiB"));
      break;
    }
  }
  close(fd);
  if (!status.ok()) {
    return status;
  }
  return text;
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  return ReadSmallFile(path, path);
}

}  // namespace berth::agent::config
