// `pgseed snapshot`: the target database as it is now (no migrate, no seed), as an archive with the
// same metadata and checks as a dump, in the project's snapshot directory.
//
// Snapshots are personal: <project>/.pgseed/snapshots/ is git-ignored (pgseed writes the ignore file),
// unless --snapshot-dir or PGSEED_SNAPSHOT_DIR puts them elsewhere.
#pragma once

#include "pgseed/core/archive.h"
#include "pgseed/core/locks.h"
#include "pgseed/core/project.h"
#include "pgseed/core/reporter.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/tools.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pgseed::core {

// `configured` (from --snapshot-dir / PGSEED_SNAPSHOT_DIR) when set, else <project>/.pgseed/snapshots.
std::filesystem::path snapshot_directory(const ProjectLayout& project, const std::filesystem::path& configured);

// <prefix><database>-<yyyymmddThhmmssZ>, made to pass the name rule (other characters become '-').
std::string default_snapshot_name(const std::string& prefix, const std::string& database);

// Whether the caller already holds the target lock of the database (a restore taking its safety
// snapshot does); otherwise the snapshot takes it, waiting or not.
enum class TargetLock { take_and_wait, take_or_fail, held_by_caller };

struct SnapshotOptions {
  ProjectLayout project;
  std::filesystem::path directory;          // snapshot_directory(...)
  std::string name;                         // empty: default_snapshot_name("", database)
  std::string note;                         // -m
  std::vector<std::string> tables;          // --table, pg_dump patterns
  std::vector<std::string> excluded_tables; // --exclude-table
  bool replace = false;                     // --replace
  TargetLock lock = TargetLock::take_and_wait;
};

ArchiveResult take_snapshot(const pg::ConnInfo& target, const pg::PgTools& tools, const SnapshotOptions& options,
                            Reporter& reporter);

// The archive `name_or_path` means: a snapshot name (<directory>/<name>.dump), or a path. nullopt when
// it is a valid snapshot name with no such snapshot and no such file.
std::optional<std::filesystem::path> find_archive(const std::filesystem::path& snapshot_dir, const std::string& name_or_path);

// Takes the target lock of `database` through `admin` (see core/locks.h), waiting or failing at once.
std::unique_ptr<SessionLock> lock_target(pg::Connection& admin, const std::string& database, bool wait, Reporter& reporter);

}  // namespace pgseed::core
