#ifndef BERTH_CONTROL_STORE_SCHEMA_H_
#define BERTH_CONTROL_STORE_SCHEMA_H_

// The SQLite store's schema, its versioned migrations, and the checks an
// existing file must pass before berth-control opens it for writing. Private
// to control/store; docs/control-store.md explains the choices.
//
// Version 1:
//   CREATE TABLE records(tbl TEXT NOT NULL, key BLOB NOT NULL,
//                        value BLOB NOT NULL, UNIQUE(tbl, key))
//   PRAGMA application_id = 0x62727468 ("brth")

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "control/store/sqlite_store.h"

struct sqlite3;

namespace berth::control::schema {

inline constexpr int kVersion = 1;
inline constexpr int32_t kApplicationId = 0x62727468;  // "brth"

// Verifies an existing database on a read-only connection of its own, which
// never writes to the file: the application id, a user_version this binary
// knows, the exact schema objects of that version, `check` (quick_check or
// integrity_check), and that every stored record's table is in `tables`.
// Errors name `path` and say what to do; the file is left as it was.
absl::Status CheckExisting(const std::string& path, SqliteStoreOptions::Check check,
                           const std::vector<std::string>& tables);

// On the writable connection: brings the schema from its user_version to
// kVersion, all steps and the new user_version in one transaction.
absl::Status Migrate(sqlite3* db, const std::string& path);

// The advice every refusal ends with.
std::string RefusalAdvice(const std::string& path);

}  // namespace berth::control::schema

#endif  // BERTH_CONTROL_STORE_SCHEMA_H_
