// The seed step: fills a migrated database with an environment's data.
//
// An environment's seeds are a profile, seeds/<environment>.json (declarative, deterministic,
// streamed through COPY: see seed/profile.h), or, for projects that only have SQL, the .sql files in
// seeds/<environment>/, run in name order. Either way seeding runs in one transaction and is
// idempotent: the seed set's fingerprint is recorded in pgseed_seed_state, and a database that
// already holds it is left alone.
#pragma once

#include "pgseed/core/project.h"
#include "pgseed/core/reporter.h"
#include "pgseed/core/seed/profile.h"
#include "pgseed/pg/database.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pgseed::core {

enum class ExistingSeed { keep, clear };

struct SeedRequest {
  std::string environment = "dev";
  seed::CountOverrides counts;
  ExistingSeed existing = ExistingSeed::keep;  // clear: empty the profile's tables and seed again
};

struct SeedPlanStep {
  std::string kind;   // sql, csv, generate
  std::string what;   // file or table
  std::int64_t rows = -1;  // generate: effective count
};

struct SeedPlan {
  std::filesystem::path source;  // the profile or the SQL directory
  bool is_profile = false;
  std::vector<SeedPlanStep> steps;
  std::vector<std::string> tables_to_clear;
};

// Reads and validates the seed set without touching any database (also what --dry-run prints).
SeedPlan plan_seed(const ProjectLayout& project, const SeedRequest& request);

struct SeedOutcome {
  bool already_seeded = false;
  bool cleared = false;
  std::int64_t generated_rows = 0;
  std::size_t steps = 0;
  std::string fingerprint;
};

// The fingerprint seed_environment() would record for this request, without any database: what
// decides the seeded content (profile, files, counts).
std::string seed_fingerprint(const ProjectLayout& project, const SeedRequest& request);

SeedOutcome seed_environment(pg::Connection& connection, const ProjectLayout& project, const SeedRequest& request,
                             Reporter& reporter);

}  // namespace pgseed::core
