#include "pgseed/core/migrations.h"

#include "pgseed/error.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/sha256.h"
#include "pgseed/util/time.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <regex>

namespace pgseed::core {
namespace fs = std::filesystem;

namespace {

// Any constant would do. The bytes are ASCII "pseed", a NUL, "mg" (not "pgseedmg"); pg_locks shows
// the bigint 8102931640713506151 split as classid 1886610789, objid 1677749607, objsubid 1.
constexpr const char* migration_lock_key = "7073656564006d67";

constexpr const char* create_bookkeeping_table = R"sql(
CREATE TABLE IF NOT EXISTS public.pgseed_migrations (
  version     text PRIMARY KEY,
  name        text NOT NULL,
  sha256      text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now(),
  duration_ms double precision NOT NULL
))sql";

std::string fingerprint_of(const std::vector<std::pair<std::string, std::string>>& version_and_checksum) {
  util::Sha256 hasher;
  for (const auto& [version, checksum] : version_and_checksum) hasher.update(version + ":" + checksum + "\n");
  return hasher.hex_digest();
}

struct AppliedRow {
  std::string version, name, sha256;
};

std::vector<AppliedRow> applied_rows(pg::Connection& connection) {
  const auto exists = connection.query_value("SELECT to_regclass('public.pgseed_migrations') IS NOT NULL");
  if (exists != "t") return {};
  std::vector<AppliedRow> rows;
  for (const auto& row : connection.query("SELECT version, name, sha256 FROM public.pgseed_migrations")) {
    rows.push_back({row[0].value_or(""), row[1].value_or(""), row[2].value_or("")});
  }
  // Numeric order, not text order: "10" comes after "9".
  std::sort(rows.begin(), rows.end(), [](const AppliedRow& a, const AppliedRow& b) {
    return std::make_pair(a.version.size(), a.version) < std::make_pair(b.version.size(), b.version);
  });
  return rows;
}

}  // namespace

std::vector<MigrationFile> discover_migrations(const fs::path& directory) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    throw Error(ExitCode::usage, "migrations directory " + directory.string() + " does not exist",
                "create it with files named NNNN_name.sql, or pass --project-dir");
  }
  static const std::regex pattern(R"(^([0-9]+)_([A-Za-z0-9_\-]+)\.sql$)");
  std::vector<MigrationFile> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    const std::string file_name = entry.path().filename().string();
    if (!entry.is_regular_file() || file_name.empty() || file_name[0] == '.') continue;
    if (entry.path().extension() != ".sql") continue;  // READMEs and the like are fine
    std::smatch match;
    if (!std::regex_match(file_name, match, pattern)) {
      throw Error(ExitCode::usage, "migration " + entry.path().string() + " is not named NNNN_name.sql",
                  "rename it, e.g. 0005_add_orders.sql");
    }
    MigrationFile file;
    file.version = match[1].str();
    file.number = std::stoll(file.version);
    file.name = match[2].str();
    file.path = entry.path();
    file.sha256 = util::sha256_hex(util::read_file(entry.path()));
    files.push_back(std::move(file));
  }
  std::sort(files.begin(), files.end(), [](const MigrationFile& a, const MigrationFile& b) { return a.number < b.number; });
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (files[i].number == files[i - 1].number) {
      throw Error(ExitCode::usage, "migrations " + files[i - 1].path.filename().string() + " and " +
                                       files[i].path.filename().string() + " have the same number");
    }
  }
  return files;
}

std::string migrations_fingerprint(const std::vector<MigrationFile>& files) {
  std::vector<std::pair<std::string, std::string>> input;
  for (const auto& file : files) input.emplace_back(file.version, file.sha256);
  return fingerprint_of(input);
}

MigrationOutcome read_applied_migrations(pg::Connection& connection) {
  MigrationOutcome outcome;
  std::vector<std::pair<std::string, std::string>> fingerprint_input;
  for (const auto& row : applied_rows(connection)) {
    outcome.applied_all.push_back(row.version);
    fingerprint_input.emplace_back(row.version, row.sha256);
  }
  outcome.fingerprint = fingerprint_of(fingerprint_input);
  return outcome;
}

MigrationOutcome apply_migrations(pg::Connection& connection, const std::vector<MigrationFile>& files,
                                  Reporter& reporter) {
  // Session-level lock: held across the per-migration transactions, released on return or disconnect.
  connection.execute(std::string("SELECT pg_advisory_lock(x'") + migration_lock_key + "'::bigint)");
  struct Unlock {
    pg::Connection& connection;
    ~Unlock() {
      try {
        connection.execute(std::string("SELECT pg_advisory_unlock(x'") + migration_lock_key + "'::bigint)");
      } catch (...) {
        // the lock goes with the session anyway
      }
    }
  } unlock{connection};

  connection.execute("SET client_min_messages = warning;" + std::string(create_bookkeeping_table));

  std::map<std::string, const MigrationFile*> by_version;
  for (const auto& file : files) by_version[file.version] = &file;

  std::map<std::string, AppliedRow> applied;
  for (const auto& row : applied_rows(connection)) {
    const auto found = by_version.find(row.version);
    if (found == by_version.end()) {
      throw Error(ExitCode::database,
                  "migration " + row.version + "_" + row.name + ".sql is applied in the database but missing from disk",
                  "restore the file, or use a fresh database");
    }
    if (found->second->sha256 != row.sha256) {
      throw Error(ExitCode::database,
                  "migration " + found->second->path.string() + " was changed after it was applied",
                  "put a new migration with the change after it instead of editing an applied one");
    }
    applied[row.version] = row;
  }

  MigrationOutcome outcome;
  std::vector<std::pair<std::string, std::string>> fingerprint_input;
  for (const auto& file : files) {
    if (applied.count(file.version) == 0) {
      reporter.info("migrating " + file.path.filename().string());
      const auto start = std::chrono::steady_clock::now();
      try {
        pg::Transaction transaction(connection);
        transaction.execute(util::read_file(file.path));
        const double milliseconds = util::seconds_since(start) * 1000.0;
        transaction.execute("INSERT INTO public.pgseed_migrations (version, name, sha256, duration_ms) VALUES (" +
                            connection.quote_literal(file.version) + ", " + connection.quote_literal(file.name) + ", " +
                            connection.quote_literal(file.sha256) + ", " + std::to_string(milliseconds) + ")");
        transaction.commit();
      } catch (const pg::SqlError& e) {
        throw Error(ExitCode::database, "migration " + file.path.string() + " failed: " + e.what(),
                    "nothing of this migration was applied; fix it and run migrate again");
      }
      outcome.applied_now.push_back(file.version);
    }
    outcome.applied_all.push_back(file.version);
    fingerprint_input.emplace_back(file.version, file.sha256);
  }
  outcome.fingerprint = fingerprint_of(fingerprint_input);
  return outcome;
}

}  // namespace pgseed::core
