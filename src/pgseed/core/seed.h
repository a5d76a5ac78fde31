// The seed step: fills a migrated database with an environment's data.
//
// Today an environment's seed set is the SQL files in seeds/<environment>/, run in name order in one
// transaction. The declarative seed engine (profiles, generators) will plug in here. Seeding is
// idempotent: the set's fingerprint is recorded in pgseed_seed_state, and a database that already
// holds it is left alone.
#pragma once

#include "pgseed/core/project.h"
#include "pgseed/core/reporter.h"
#include "pgseed/pg/database.h"

#include <filesystem>
#include <string>
#include <vector>

namespace pgseed::core {

struct SeedOutcome {
  bool already_seeded = false;
  std::vector<std::filesystem::path> files;
  std::string fingerprint;
};

std::vector<std::filesystem::path> discover_seed_files(const ProjectLayout& project, const std::string& environment);

SeedOutcome seed_environment(pg::Connection& connection, const ProjectLayout& project, const std::string& environment,
                             Reporter& reporter);

}  // namespace pgseed::core
