#include "pgseed/core/seed.h"

#include "pgseed/core/locks.h"
#include "pgseed/core/names.h"
#include "pgseed/core/seed/engine.h"
#include "pgseed/core/toast_compression.h"
#include "pgseed/error.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/sha256.h"

#include <algorithm>

namespace pgseed::core {
namespace fs = std::filesystem;

namespace {

constexpr const char* create_state_table = R"sql(
CREATE TABLE IF NOT EXISTS public.pgseed_seed_state (
  environment text PRIMARY KEY,
  fingerprint text NOT NULL,
  seeded_at   timestamptz NOT NULL DEFAULT now()
))sql";

fs::path profile_path(const ProjectLayout& project, const std::string& environment) {
  return project.seeds_directory / (environment + ".json");
}

std::vector<fs::path> sql_files_in(const fs::path& directory) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql" && entry.path().filename().string()[0] != '.') {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The seed set of an environment, loaded and checked.
struct SeedSet {
  std::optional<seed::Profile> profile;
  fs::path sql_directory;
  std::vector<fs::path> sql_files;

  std::string fingerprint() const {
    if (profile) return profile->fingerprint();
    util::Sha256 hasher;
    for (const auto& file : sql_files) hasher.update(file.filename().string() + "\n" + util::sha256_hex(util::read_file(file)) + "\n");
    return hasher.hex_digest();
  }
};

SeedSet load_seed_set(const ProjectLayout& project, const SeedRequest& request) {
  check_name("environment", request.environment);
  SeedSet set;
  const fs::path profile_file = profile_path(project, request.environment);
  std::error_code error;
  if (fs::is_regular_file(profile_file, error)) {
    const std::string shown = fs::relative(profile_file, project.root, error).string();
    set.profile = seed::Profile::load(profile_file, error || shown.empty() ? profile_file.string() : shown);
    seed::apply_counts(*set.profile, seed::with_environment_counts(*set.profile, request.counts));
    return set;
  }
  set.sql_directory = project.seeds_directory / request.environment;
  if (!fs::is_directory(set.sql_directory, error)) {
    throw Error(ExitCode::usage,
                "no seeds for environment '" + request.environment + "': neither " + profile_file.string() + " nor " +
                    set.sql_directory.string() + "/ exists",
                "write a seed profile (docs/seed-profiles.md), or choose another --environment");
  }
  if (!request.counts.exact.empty() || request.counts.scale) {
    throw Error(ExitCode::usage, "--set and --scale need a seed profile; " + set.sql_directory.string() + "/ holds plain SQL",
                "write " + profile_file.string() + " (docs/seed-profiles.md)");
  }
  if (request.existing == ExistingSeed::clear) {
    throw Error(ExitCode::usage, "--clear needs a seed profile: it empties the tables the profile writes",
                "restore a fresh database instead, or write " + profile_file.string());
  }
  set.sql_files = sql_files_in(set.sql_directory);
  return set;
}

}  // namespace

SeedPlan plan_seed(const ProjectLayout& project, const SeedRequest& request) {
  const SeedSet set = load_seed_set(project, request);
  SeedPlan plan;
  if (set.profile) {
    plan.is_profile = true;
    plan.source = set.profile->path;
    for (const auto& step : set.profile->steps) {
      switch (step->kind) {
        case seed::Step::Kind::sql: plan.steps.push_back({"sql", step->file.filename().string(), -1}); break;
        case seed::Step::Kind::csv: plan.steps.push_back({"csv", step->file.filename().string() + " -> " + step->table, -1}); break;
        case seed::Step::Kind::generate: plan.steps.push_back({"generate", step->table, step->count}); break;
      }
    }
    plan.tables_to_clear = seed::tables_written_by(*set.profile);
  } else {
    plan.source = set.sql_directory;
    for (const auto& file : set.sql_files) plan.steps.push_back({"sql", file.filename().string(), -1});
  }
  return plan;
}

std::string seed_fingerprint(const ProjectLayout& project, const SeedRequest& request) {
  return load_seed_set(project, request).fingerprint();
}

SeedOutcome seed_environment(pg::Connection& connection, const ProjectLayout& project, const SeedRequest& request,
                             Reporter& reporter) {
  const SeedSet set = load_seed_set(project, request);
  SeedOutcome outcome;
  outcome.fingerprint = set.fingerprint();
  outcome.steps = set.profile ? set.profile->steps.size() : set.sql_files.size();

  // Two seeders racing on one database: the second waits here, then sees the first one's row. The lock
  // comes before the bookkeeping table is created, because concurrent CREATE TABLE IF NOT EXISTS
  // fail with a raw catalog error (duplicate key in pg_type) instead of waiting.
  const SessionLock lock(connection, LockScope::seed, "seed", reporter,
                         "another pgseed seeding database " + connection.info().database());
  connection.execute("SET client_min_messages = warning;" + std::string(create_state_table));
  pg::Transaction transaction(connection);
  const auto existing = transaction.query("SELECT fingerprint FROM public.pgseed_seed_state WHERE environment = " +
                                          connection.quote_literal(request.environment));
  if (!existing.empty()) {
    const bool same = existing.front().front().value_or("") == outcome.fingerprint;
    if (same && request.existing == ExistingSeed::keep) {
      outcome.already_seeded = true;
      return outcome;
    }
    if (request.existing == ExistingSeed::keep) {
      throw Error(ExitCode::refused,
                  "database " + connection.info().database() + " already holds a different seed set for '" +
                      request.environment + "' (other profile, counts or files)",
                  "pass --clear to empty the profile's tables and seed again");
    }
  }
  if (request.existing == ExistingSeed::clear) {
    // In the same transaction as the new rows: a failed reseed leaves the old data in place.
    std::string tables;
    for (const auto& table : seed::tables_written_by(*set.profile)) {
      const auto found = transaction.query("SELECT to_regclass(" + connection.quote_literal(table) + ")::text");
      if (found.empty() || !found[0][0]) continue;  // run_profile_steps reports unknown tables
      tables += (tables.empty() ? "" : ", ") + *found[0][0];
    }
    if (!tables.empty()) transaction.execute("TRUNCATE " + tables + " RESTART IDENTITY CASCADE");
    transaction.execute("DELETE FROM public.pgseed_seed_state WHERE environment = " + connection.quote_literal(request.environment));
    outcome.cleared = true;
  }

  if (has_fast_toast_compression(transaction)) {
    transaction.execute(std::string("SET LOCAL default_toast_compression = ") + fast_toast_compression);
  }
  if (set.profile) {
    outcome.generated_rows = seed::run_profile_steps(connection, transaction, *set.profile, reporter).generated_rows;
  } else {
    for (const auto& file : set.sql_files) {
      reporter.info("seeding " + file.filename().string());
      try {
        transaction.execute(util::read_file(file));
      } catch (const pg::SqlError& e) {
        throw Error(ExitCode::database, "seed file " + file.string() + " failed: " + e.what(),
                    "nothing was seeded; fix the file and run again");
      }
    }
  }
  transaction.execute("INSERT INTO public.pgseed_seed_state (environment, fingerprint) VALUES (" +
                      connection.quote_literal(request.environment) + ", " + connection.quote_literal(outcome.fingerprint) + ")");
  transaction.commit();
  return outcome;
}

}  // namespace pgseed::core
