#ifndef BERTH_CONTROL_STORE_SQLITE_DB_H_
#define BERTH_CONTROL_STORE_SQLITE_DB_H_

// Thin RAII and error helpers over the SQLite C API, private to
// control/store. The only files that include sqlite3.h are this one's .cc,
// schema.cc and sqlite_store.cc.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace berth::control::sqlite {

struct DbCloser {
  void operator()(sqlite3* db) const;
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const;
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// "SQLITE_IOERR_FSYNC", "SQLITE_FULL", ... for a (possibly extended) code.
std::string CodeName(int rc);

// "failed to <what>: <sqlite's message> [SQLITE_...]". The code follows the
// cause: SQLITE_FULL → ResourceExhausted, BUSY/LOCKED → Unavailable, IOERR →
// Unavailable, CORRUPT/NOTADB → DataLoss, CANTOPEN/PERM/READONLY/AUTH →
// PermissionDenied, anything else → Internal. When SQLite saw an errno
// (sqlite3_system_errno) it rides along as berth::ErrnoOf's payload.
absl::Status SqliteStatus(sqlite3* db, int rc, std::string_view what);

// Opens `path` with sqlite3_open_v2 `flags`; on failure the handle is closed.
absl::StatusOr<DbPtr> OpenDb(const std::string& path, int flags);

// Runs one or more statements that return no rows.
absl::Status Exec(sqlite3* db, const std::string& sql, std::string_view what);

absl::StatusOr<StmtPtr> Prepare(sqlite3* db, std::string_view sql);

// The first column of the first row of `sql` as an integer / text.
absl::StatusOr<int64_t> QueryInt(sqlite3* db, const std::string& sql, std::string_view what);
absl::StatusOr<std::string> QueryText(sqlite3* db, const std::string& sql, std::string_view what);
// The first column of every row, as text.
absl::StatusOr<std::vector<std::string>> QueryColumn(sqlite3* db, const std::string& sql,
                                                    std::string_view what);

}  // namespace berth::control::sqlite

#endif  // BERTH_CONTROL_STORE_SQLITE_DB_H_
