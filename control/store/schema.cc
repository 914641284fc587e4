#include "control/store/schema.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "control/store/sqlite_db.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::control::schema {
namespace {

// A rowid table with a unique (tbl, key) index rather than a WITHOUT ROWID
// table: WITHOUT ROWID rows live in an index b-tree, whose cells spill to
// overflow pages past ~1,000 bytes on 4 KiB pages, and ECS records are 1-4
// KiB of JSON. docs/control-store.md has the measurements.
constexpr char kRecordsDdl[] =
    "CREATE TABLE records(tbl TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, "
    "UNIQUE(tbl, key))";

// Migration N takes a database at user_version N-1 to N. Append only: a
// released migration is never edited, because databases out there ran it.
struct Migration {
  int version;
  std::string sql;
};
const std::vector<Migration>& Migrations() {
  static const auto* migrations = new std::vector<Migration>{
      {1, absl::StrCat(kRecordsDdl, "; PRAGMA application_id = ", kApplicationId, ";")},
  };
  return *migrations;
}

// The objects in sqlite_schema at each version, as "type name: sql" sorted
// by name, exactly as SQLite keeps them.
std::vector<std::string> ExpectedObjects(int version) {
  switch (version) {
    case 1:
      return {absl::StrCat("table records: ", kRecordsDdl),
              "index sqlite_autoindex_records_1: "};
    default:
      return {};
  }
}

std::string Hex(int64_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", static_cast<unsigned>(v));
  return buf;
}

absl::Status Refuse(absl::StatusCode code, const std::string& path, std::string_view detail,
                    std::string_view advice) {
  return absl::Status(code, absl::StrCat("refusing to open the berth store ", path, ": ",
                                         Absl(detail), ". ", Absl(advice)));
}

// Wraps an error met while reading the file into a refusal with the same code.
absl::Status Unreadable(const std::string& path, const absl::Status& error) {
  const std::string detail = error.code() == absl::StatusCode::kDataLoss
                                 ? absl::StrCat("it is corrupt (", error.message(), ")")
                                 : std::string(error.message());
  return Refuse(error.code(), path, detail, RefusalAdvice(path));
}

// Every distinct `tbl` in records, by skipping through the primary key: one
// index seek per table, not a scan of every record.
absl::StatusOr<std::vector<std::string>> StoredTables(sqlite3* db) {
  ASSIGN_OR_RETURN(sqlite::StmtPtr stmt,
                   sqlite::Prepare(db, "SELECT tbl FROM records WHERE tbl > ?1 ORDER BY tbl "
                                       "LIMIT 1"));
  std::vector<std::string> tables;
  std::string last;
  while (true) {
    sqlite3_reset(stmt.get());
    sqlite3_bind_text(stmt.get(), 1, last.data(), static_cast<int>(last.size()),
                      SQLITE_TRANSIENT);
    const int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) {
      return tables;
    }
    if (rc != SQLITE_ROW) {
      return sqlite::SqliteStatus(db, rc, "list the stored tables");
    }
    last.assign(reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0)),
                sqlite3_column_bytes(stmt.get(), 0));
    tables.push_back(last);
  }
}

}  // namespace

std::string RefusalAdvice(const std::string& path) {
  return absl::StrCat("berth-control has not modified it. Restore it from a backup, or move it ",
                      "aside together with ", path, "-wal and ", path,
                      "-shm if present, to start with an empty store");
}

absl::Status CheckExisting(const std::string& path, SqliteStoreOptions::Check check,
                           const std::vector<std::string>& tables) {
  auto opened = sqlite::OpenDb(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  if (!opened.ok()) {
    return Unreadable(path, opened.status());
  }
  sqlite3* db = opened->get();
  sqlite3_busy_timeout(db, 5000);

  auto app_id = sqlite::QueryInt(db, "PRAGMA application_id", "read the application id");
  if (!app_id.ok()) {
    return Unreadable(path, app_id.status());
  }
  auto version = sqlite::QueryInt(db, "PRAGMA user_version", "read the schema version");
  if (!version.ok()) {
    return Unreadable(path, version.status());
  }
  auto objects = sqlite::QueryColumn(
      db, "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_schema "
          "ORDER BY name",
      "read the schema");
  if (!objects.ok()) {
    return Unreadable(path, objects.status());
  }
  if (*version == 0 && *app_id == 0 && objects->empty()) {
    return absl::OkStatus();  // created, never migrated: Migrate() makes version 1
  }
  if (*app_id != kApplicationId) {
    return Refuse(absl::StatusCode::kFailedPrecondition, path,
                  absl::StrCat("it is a SQLite database but not a berth store (application_id ",
                               Hex(*app_id), ", berth's is ", Hex(kApplicationId), ")"),
                  "berth-control has not modified it. Point --data-dir at a directory of its own");
  }
  if (*version > kVersion) {
    return Refuse(absl::StatusCode::kFailedPrecondition, path,
                  absl::StrCat("its schema version is ", *version,
                               ", newer than the versions this berth-control knows (up to ",
                               kVersion, "); a newer berth-control wrote it"),
                  "berth-control has not modified it. Run the newer berth-control, or restore "
                  "a backup taken before the upgrade");
  }
  const std::vector<std::string> expected = ExpectedObjects(static_cast<int>(*version));
  if (*version < 1 || *objects != expected) {
    return Refuse(absl::StatusCode::kFailedPrecondition, path,
                  absl::StrCat("its schema is not berth's schema version ", *version,
                               " (found [", absl::StrJoin(*objects, "; "), "], expected [",
                               absl::StrJoin(expected, "; "), "])"),
                  RefusalAdvice(path));
  }

  if (check != SqliteStoreOptions::Check::kNone) {
    const char* pragma = check == SqliteStoreOptions::Check::kFull ? "integrity_check"
                                                                   : "quick_check";
    auto problems = sqlite::QueryColumn(db, absl::StrCat("PRAGMA ", pragma, "(10)"),
                                        absl::StrCat("run ", pragma));
    if (!problems.ok()) {
      return Unreadable(path, problems.status());
    }
    if (*problems != std::vector<std::string>{"ok"}) {
      return Refuse(absl::StatusCode::kDataLoss, path,
                    absl::StrCat("it is corrupt: SQLite's ", pragma, " reports ",
                                 absl::StrJoin(*problems, "; ")),
                    RefusalAdvice(path));
    }
  }

  auto stored = StoredTables(db);
  if (!stored.ok()) {
    return Unreadable(path, stored.status());
  }
  const std::set<std::string> known(tables.begin(), tables.end());
  std::vector<std::string> unknown;
  for (const std::string& t : *stored) {
    if (!known.contains(t)) {
      unknown.push_back(absl::StrCat("'", t, "'"));
    }
  }
  if (!unknown.empty()) {
    return Refuse(absl::StatusCode::kFailedPrecondition, path,
                  absl::StrCat("it holds records in table(s) ", absl::StrJoin(unknown, ", "),
                               " that this berth-control does not know (it knows ",
                               absl::StrJoin(tables, ", "), ")"),
                  "berth-control has not modified it. Run the berth-control that wrote them");
  }
  return absl::OkStatus();
}

absl::Status Migrate(sqlite3* db, const std::string& path) {
  RETURN_IF_ERROR(sqlite::Exec(db, "BEGIN IMMEDIATE", absl::StrCat("begin migrating ", path)));
  auto run = [&]() -> absl::StatusOr<int64_t> {
    ASSIGN_OR_RETURN(int64_t from,
                     sqlite::QueryInt(db, "PRAGMA user_version", "read the schema version"));
    if (from > kVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing to migrate ", path, ": its schema version ", from,
          " is newer than this berth-control's ", kVersion));
    }
    for (const Migration& m : Migrations()) {
      if (m.version > from) {
        RETURN_IF_ERROR(sqlite::Exec(db, m.sql,
                                     absl::StrCat("migrate ", path, " to schema version ",
                                                  m.version)));
      }
    }
    if (from != kVersion) {
      RETURN_IF_ERROR(sqlite::Exec(db, absl::StrCat("PRAGMA user_version = ", kVersion),
                                   "set the schema version"));
    }
    RETURN_IF_ERROR(sqlite::Exec(db, "COMMIT", absl::StrCat("commit the migration of ", path)));
    return from;
  };
  auto from = run();
  if (!from.ok()) {
    if (sqlite3_get_autocommit(db) == 0) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    return from.status();
  }
  if (*from != kVersion) {
    LOG(INFO) << "store " << path << ": schema version " << *from << " → " << kVersion;
  }
  return absl::OkStatus();
}

}  // namespace berth::control::schema
