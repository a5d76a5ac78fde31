// `pgseed restore`: bring a verified dump or snapshot into a database without ever losing the
// existing one.
//
// A full archive goes into a scratch database first (pg_restore -j), every table's row count is
// checked against the metadata, and only then is it swapped in (core/replace.h). A partial snapshot
// (taken with --table/--exclude-table) replaces only the data of the tables it holds, in one
// transaction on the target, with counts and foreign keys checked before it commits; all other
// tables are left alone. Either way, a failure leaves the target exactly as it was.
#pragma once

#include "pgseed/core/metadata.h"
#include "pgseed/core/replace.h"
#include "pgseed/core/reporter.h"
#include "pgseed/core/snapshot.h"
#include "pgseed/core/verify.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/tools.h"

#include <optional>
#include <string>

namespace pgseed::core {

struct RestoreOptions {
  int jobs = 0;  // pg_restore -j; 0 means one per core
  ConnectedSessions sessions = ConnectedSessions::refuse;
  bool wait = true;  // false: --no-wait, fail at once when another run holds the target
  // When set and the target exists: a snapshot of it is taken first (name: pre-restore-<db>-<time>).
  std::optional<SnapshotOptions> safety_snapshot;
  std::string restored_by = "pgseed restore";  // recorded in pgseed_provenance
};

struct RestoreResult {
  std::string database;
  bool created = false;  // the target did not exist before
  bool partial = false;  // only the tables of a partial snapshot were replaced
  RecordCounts counts;
  std::string safety_snapshot;                // its name, when one was taken
  std::string previous_database_left_behind;  // set when the old copy could not be dropped
};

// `verified` must be an ok result of verify_dump(); the caller asks for confirmation in between.
RestoreResult restore_dump(const pg::ConnInfo& target, const pg::PgTools& tools, const VerifyResult& verified,
                           const RestoreOptions& options, Reporter& reporter);

// Refuses, naming the dump and the version, an archive this server or this pg_restore cannot read.
void check_readable(pg::Connection& admin, const pg::PgTools& tools, const VerifyResult& verified,
                    const std::string& database);

// pg_restore of a verified archive into the (created, empty) scratch database, its counts checked
// against the metadata; errors name `for_database`, the user's database.
RecordCounts restore_into_scratch(pg::Connection& admin, const pg::ConnInfo& scratch, const pg::PgTools& tools,
                                  const VerifyResult& verified, int jobs, const std::string& for_database,
                                  Reporter& reporter);

// Both directions: every table of the metadata with its count, and no table the metadata lacks.
void compare_counts(const RecordCounts& expected, const RecordCounts& actual);

}  // namespace pgseed::core
