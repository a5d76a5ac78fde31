// Runs a seed profile against a database, in one transaction: all of it or nothing.
#pragma once

#include "pgseed/core/reporter.h"
#include "pgseed/core/seed/profile.h"
#include "pgseed/pg/database.h"

#include <cstdint>
#include <string>

namespace pgseed::core::seed {

struct EngineResult {
  std::int64_t generated_rows = 0;
  double seconds = 0;
};

// Checks the profile against the database's tables and columns, then runs its steps in order:
// SQL files, CSV files through COPY, and generated rows streamed through COPY. Generated foreign keys
// point at rows generated earlier by construction, so a superuser session skips the per-row FK
// triggers for generated tables (session_replication_role = replica) and SQL and CSV steps run with
// them. Serial/identity sequences of generated columns are moved past the generated values.
EngineResult run_profile_steps(pg::Connection& connection, pg::Transaction& transaction, const Profile& profile,
                               Reporter& reporter);

// The tables that --clear empties: every table the profile generates or loads from CSV.
std::vector<std::string> tables_written_by(const Profile& profile);

}  // namespace pgseed::core::seed
