#include "io/unique_fd.h"

#include <unistd.h>

namespace berth::io {

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = fd;
}

}  // namespace berth::io
