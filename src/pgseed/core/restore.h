// `pgseed restore`: bring a verified dump into a database without ever losing the existing one.
//
// The dump goes into a scratch database first (pg_restore -j), every table's row count is checked
// against the metadata, and only then are the databases swapped by two renames in one transaction.
// Until that commit the target is untouched; on any failure the scratch database is dropped.
#pragma once

#include "pgseed/core/metadata.h"
#include "pgseed/core/reporter.h"
#include "pgseed/core/verify.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/tools.h"

#include <string>

namespace pgseed::core {

enum class ConnectedSessions { refuse, terminate };

struct RestoreOptions {
  int jobs = 0;  // pg_restore -j; 0 means one per core
  ConnectedSessions sessions = ConnectedSessions::refuse;
};

struct RestoreResult {
  std::string database;
  bool created = false;  // the target did not exist before
  RecordCounts counts;
  std::string previous_database_left_behind;  // set when the old copy could not be dropped
};

// `verified` must be an ok result of verify_dump(); the caller asks for confirmation in between.
RestoreResult restore_dump(const pg::ConnInfo& target, const pg::PgTools& tools, const VerifyResult& verified,
                           const RestoreOptions& options, Reporter& reporter);

// Connected sessions other than our own. Refuses with a clear error under ConnectedSessions::refuse.
void check_connected_sessions(const pg::ConnInfo& target, ConnectedSessions policy);

}  // namespace pgseed::core
