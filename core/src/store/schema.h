#pragma once
// Schema migrations of the state database (internal to core/src/store).

#include <span>

namespace SQLite {  // NOLINT(readability-identifier-naming): SQLiteCpp's own name
class Database;
}

namespace mailporter::store {

// One step of the schema. Steps are applied in order, each in its own
// IMMEDIATE transaction that also sets PRAGMA user_version = version.
struct Migration {
    int version;
    const char* sql;
};

// All migrations, versions 1..N in order. Never edit a released step: append.
std::span<const Migration> migrations();
int latest_version();

// Applies the pending steps. Throws SQLite::Exception on a database error and
// std::runtime_error when the file's user_version is newer than
// latest_version() (the caller turns both into Errc::StoreError).
void migrate(SQLite::Database& db);

}  // namespace mailporter::store
