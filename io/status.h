#ifndef BERTH_IO_STATUS_H_
#define BERTH_IO_STATUS_H_

// Errors are absl::Status everywhere (docs/error-handling.md). A status made
// from an errno keeps it as a payload, so callers branch on ErrnoOf(status)
// == EBUSY instead of parsing messages.

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth {

// "failed to <what>: <strerror> [<ENAME>]", with the code mapped from the
// errno (ENOENT → NotFound, EEXIST → AlreadyExists, ...) and the errno kept.
// `what` is phrased as "<verb> <object>", e.g. "open /sys/fs/cgroup/x".
absl::Status ErrnoStatus(int err, std::string_view what);

// The errno a status was made from, or 0.
int ErrnoOf(const absl::Status& status);

}  // namespace berth

#define BERTH_STATUS_CONCAT_INNER_(a, b) a##b
#define BERTH_STATUS_CONCAT_(a, b) BERTH_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` (an absl::Status) is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status _berth_status = (expr);             \
    if (!_berth_status.ok()) return _berth_status;     \
  } while (0)

// ASSIGN_OR_RETURN(auto x, StatusOrExpr()); returns the error if not OK.
#define ASSIGN_OR_RETURN(lhs, expr) \
  BERTH_ASSIGN_OR_RETURN_IMPL_(BERTH_STATUS_CONCAT_(_berth_statusor_, __LINE__), lhs, expr)
#define BERTH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

#endif  // BERTH_IO_STATUS_H_
