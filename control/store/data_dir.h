#ifndef BERTH_CONTROL_STORE_DATA_DIR_H_
#define BERTH_CONTROL_STORE_DATA_DIR_H_

// The store's directory: created if missing, checked, and held with an
// exclusive flock(2) on <dir>/berth.lock so two berth-control processes never
// write one store (each would keep its own in-memory model and they would
// diverge). Private to control/store.

#include <string>

#include "absl/status/statusor.h"
#include "io/socket.h"

namespace berth::control {

struct DataDir {
  std::string path;
  io::UniqueFd dir_fd;   // O_DIRECTORY, for fsync of new entries
  io::UniqueFd lock_fd;  // holds the flock until closed
  bool created = false;  // this call made the directory

  // fsync(2) of the directory (and of its parent when `created`), so a newly
  // created database file survives a power cut.
  absl::Status Sync() const;
};

// Creates `path` (mode 0700, missing parents 0755) if needed, checks it is a
// directory this process can read, write and search, and takes the lock.
// Errors: NotADirectory → FailedPrecondition; EACCES → PermissionDenied;
// another holder of the lock → FailedPrecondition naming it.
absl::StatusOr<DataDir> OpenDataDir(const std::string& path);

// What the first bytes of an existing database file say.
enum class FileKind {
  kMissing,  // no file: a new store
  kEmpty,    // zero bytes: created but never written (treated as new)
  kSqlite,   // starts with "SQLite format 3\0"
  kOther,    // anything else
};
absl::StatusOr<FileKind> ProbeFile(const std::string& path);

}  // namespace berth::control

#endif  // BERTH_CONTROL_STORE_DATA_DIR_H_
