// SQL migrations: migrations/NNNN_name.sql, applied in order, each in its own transaction, recorded
// in pgseed_migrations with the file's sha256 so that an edited migration is caught.
#pragma once

#include "pgseed/core/reporter.h"
#include "pgseed/pg/database.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pgseed::core {

struct MigrationFile {
  std::string version;  // "0001", as written in the file name
  std::int64_t number = 0;
  std::string name;     // "create_users"
  std::filesystem::path path;
  std::string sha256;
};

// Reads the directory, sorted by number. Files that do not look like NNNN_name.sql are an error, as
// are two files with the same number: silently skipping one would leave the schema wrong.
std::vector<MigrationFile> discover_migrations(const std::filesystem::path& directory);

struct MigrationOutcome {
  std::vector<std::string> applied_now;  // versions run by this call
  std::vector<std::string> applied_all;  // every applied version, in order
  std::string fingerprint;               // sha256 over versions and checksums of applied_all
};

// Applies pending migrations. Serialised across processes by an advisory lock. Refuses (naming the
// file) when an applied migration's file has changed or disappeared; a failing migration rolls back
// and stops with the file name and the server's message.
MigrationOutcome apply_migrations(pg::Connection& connection, const std::vector<MigrationFile>& files,
                                  Reporter& reporter);

// The fingerprint a database would record once all of `files` are applied.
std::string migrations_fingerprint(const std::vector<MigrationFile>& files);

// The applied versions and fingerprint as recorded in the database (empty when never migrated).
MigrationOutcome read_applied_migrations(pg::Connection& connection);

}  // namespace pgseed::core
