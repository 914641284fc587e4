#include "control/store/sqlite_db.h"

#include <sqlite3.h>
#include <string.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control::sqlite {
namespace {

const char* PrimaryName(int primary) {
  switch (primary) {
    case SQLITE_ERROR: return "SQLITE_ERROR";
    case SQLITE_INTERNAL: return "SQLITE_INTERNAL";
    case SQLITE_PERM: return "SQLITE_PERM";
    case SQLITE_ABORT: return "SQLITE_ABORT";
    case SQLITE_BUSY: return "SQLITE_BUSY";
    case SQLITE_LOCKED: return "SQLITE_LOCKED";
    case SQLITE_NOMEM: return "SQLITE_NOMEM";
    case SQLITE_READONLY: return "SQLITE_READONLY";
    case SQLITE_INTERRUPT: return "SQLITE_INTERRUPT";
    case SQLITE_IOERR: return "SQLITE_IOERR";
    case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
    case SQLITE_NOTFOUND: return "SQLITE_NOTFOUND";
    case SQLITE_FULL: return "SQLITE_FULL";
    case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
    case SQLITE_PROTOCOL: return "SQLITE_PROTOCOL";
    case SQLITE_SCHEMA: return "SQLITE_SCHEMA";
    case SQLITE_TOOBIG: return "SQLITE_TOOBIG";
    case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
    case SQLITE_MISMATCH: return "SQLITE_MISMATCH";
    case SQLITE_MISUSE: return "SQLITE_MISUSE";
    case SQLITE_AUTH: return "SQLITE_AUTH";
    case SQLITE_RANGE: return "SQLITE_RANGE";
    case SQLITE_NOTADB: return "SQLITE_NOTADB";
    default: return nullptr;
  }
}

const char* ExtendedName(int rc) {
  switch (rc) {
    case SQLITE_IOERR_READ: return "SQLITE_IOERR_READ";
    case SQLITE_IOERR_SHORT_READ: return "SQLITE_IOERR_SHORT_READ";
    case SQLITE_IOERR_WRITE: return "SQLITE_IOERR_WRITE";
    case SQLITE_IOERR_FSYNC: return "SQLITE_IOERR_FSYNC";
    case SQLITE_IOERR_DIR_FSYNC: return "SQLITE_IOERR_DIR_FSYNC";
    case SQLITE_IOERR_TRUNCATE: return "SQLITE_IOERR_TRUNCATE";
    case SQLITE_IOERR_FSTAT: return "SQLITE_IOERR_FSTAT";
    case SQLITE_IOERR_LOCK: return "SQLITE_IOERR_LOCK";
    case SQLITE_IOERR_SHMOPEN: return "SQLITE_IOERR_SHMOPEN";
    case SQLITE_IOERR_SHMSIZE: return "SQLITE_IOERR_SHMSIZE";
    case SQLITE_IOERR_SHMMAP: return "SQLITE_IOERR_SHMMAP";
    case SQLITE_IOERR_CORRUPTFS: return "SQLITE_IOERR_CORRUPTFS";
    case SQLITE_BUSY_RECOVERY: return "SQLITE_BUSY_RECOVERY";
    case SQLITE_BUSY_SNAPSHOT: return "SQLITE_BUSY_SNAPSHOT";
    case SQLITE_BUSY_TIMEOUT: return "SQLITE_BUSY_TIMEOUT";
    case SQLITE_CANTOPEN_ISDIR: return "SQLITE_CANTOPEN_ISDIR";
    case SQLITE_READONLY_DIRECTORY: return "SQLITE_READONLY_DIRECTORY";
    case SQLITE_READONLY_CANTINIT: return "SQLITE_READONLY_CANTINIT";
    default: return nullptr;
  }
}

absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_TOOBIG:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

void DbCloser::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void StmtFinalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

std::string CodeName(int rc) {
  if (const char* name = ExtendedName(rc)) {
    return name;
  }
  const char* primary = PrimaryName(rc & 0xff);
  std::string name = primary ? primary : absl::StrCat("SQLITE code ", rc & 0xff);
  if (rc > 0xff) {
    absl::StrAppend(&name, " (extended ", rc, ")");
  }
  return name;
}

absl::Status SqliteStatus(sqlite3* db, int rc, std::string_view what) {
  // sqlite3_errmsg describes the connection's most recent error, which is
  // this one when rc came from the connection; otherwise use the code's text.
  const char* msg = (db != nullptr && sqlite3_extended_errcode(db) == rc)
                        ? sqlite3_errmsg(db)
                        : sqlite3_errstr(rc);
  const int err = db != nullptr ? sqlite3_system_errno(db) : 0;
  std::string text = absl::StrCat("failed to ", Absl(what), ": ", msg, " [", CodeName(rc), "]");
  const int primary = rc & 0xff;
  const bool os_error =
      err != 0 && (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_FULL);
  if (os_error) {
    const char* name = strerrorname_np(err);
    absl::StrAppend(&text, " (", strerror(err), " [", name ? name : absl::StrCat("errno ", err),
                    "])");
  }
  absl::Status status(CodeFor(rc), text);
  if (os_error) {
    // Keep the errno reachable through berth::ErrnoOf, with io/status's key.
    ErrnoStatus(err, "").ForEachPayload(
        [&status](absl::string_view url, const absl::Cord& payload) {
          status.SetPayload(url, payload);
        });
  }
  return status;
}

absl::StatusOr<DbPtr> OpenDb(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(db.get(), rc, absl::StrCat("open ", path));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  return db;
}

absl::Status Exec(sqlite3* db, const std::string& sql, std::string_view what) {
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(db, rc, what);
  }
  return absl::OkStatus();
}

absl::StatusOr<StmtPtr> Prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(db, rc, absl::StrCat("prepare '", Absl(sql), "'"));
  }
  return stmt;
}

absl::StatusOr<std::vector<std::string>> QueryColumn(sqlite3* db, const std::string& sql,
                                                    std::string_view what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(db, rc, what);
  }
  std::vector<std::string> rows;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
    const int len = sqlite3_column_bytes(stmt.get(), 0);
    rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "", text ? len : 0);
  }
  if (rc != SQLITE_DONE) {
    return SqliteStatus(db, rc, what);
  }
  return rows;
}

absl::StatusOr<std::string> QueryText(sqlite3* db, const std::string& sql, std::string_view what) {
  ASSIGN_OR_RETURN(std::vector<std::string> rows, QueryColumn(db, sql, what));
  if (rows.empty()) {
    return absl::InternalError(absl::StrCat("failed to ", Absl(what), ": no row"));
  }
  return std::move(rows.front());
}

absl::StatusOr<int64_t> QueryInt(sqlite3* db, const std::string& sql, std::string_view what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(db, rc, what);
  }
  rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_ROW) {
    return sqlite3_column_int64(stmt.get(), 0);
  }
  if (rc == SQLITE_DONE) {
    return absl::InternalError(absl::StrCat("failed to ", Absl(what), ": no row"));
  }
  return SqliteStatus(db, rc, what);
}

}  // namespace berth::control::sqlite
