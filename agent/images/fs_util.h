#ifndef BERTH_AGENT_IMAGES_FS_UTIL_H_
#define BERTH_AGENT_IMAGES_FS_UTIL_H_

// Small dirfd-relative file helpers for the image store. Blocking: call them
// on a worker thread (or at start-up).

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "io/unique_fd.h"

namespace berth::images {

// The image store's fds are io::UniqueFd.
using Fd = io::UniqueFd;

// openat2(dirfd, path, flags | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS):
// `path` and every symlink met on the way must stay beneath `dirfd`. An
// escape fails with EXDEV.
absl::StatusOr<Fd> OpenBeneath(int dirfd, std::string_view path, int flags, int mode = 0);

// Removes `name` (a file, or a directory and everything under it) relative
// to `dirfd`, never following symlinks. A missing `name` is OK.
absl::Status RemoveTreeAt(int dirfd, std::string_view name);

// Reads `fd` to its end in blocks (up to 64 KiB) and passes each to `block`:
// from `offset` with pread (the fd's own offset does not move) or, with no
// offset, from the fd's offset with read. Stops at the first error, `block`'s
// included; `what` names the fd in errors ("failed to read <what>: ...").
absl::Status ReadBlocks(int fd, std::optional<off_t> offset, std::string_view what,
                        absl::FunctionRef<absl::Status(std::string_view block)> block);

// Reads a whole (small) file, failing with OutOfRange beyond `max_bytes`.
absl::StatusOr<std::string> ReadFileAt(int dirfd, std::string_view path, size_t max_bytes);
// The same from an open fd (from its current offset); `what` names it in errors.
absl::StatusOr<std::string> ReadFd(int fd, size_t max_bytes, std::string_view what);

// Writes all of `data` to `fd`.
absl::Status WriteAll(int fd, std::string_view data, std::string_view what);

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_FS_UTIL_H_
