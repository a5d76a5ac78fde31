#include "pgseed/core/seed.h"

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
}  // namespace

std::vector<fs::path> discover_seed_files(const ProjectLayout& project, const std::string& environment) {
  const fs::path directory = project.seeds_directory / environment;
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    throw Error(ExitCode::usage, "no seeds for environment '" + environment + "': " + directory.string() + " does not exist",
                "create it with .sql files, or choose another --environment");
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql" && entry.path().filename().string()[0] != '.') {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

SeedOutcome seed_environment(pg::Connection& connection, const ProjectLayout& project, const std::string& environment,
                             Reporter& reporter) {
  SeedOutcome outcome;
  outcome.files = discover_seed_files(project, environment);
  util::Sha256 hasher;
  std::vector<std::string> contents;
  for (const auto& file : outcome.files) {
    contents.push_back(util::read_file(file));
    hasher.update(file.filename().string() + "\n" + util::sha256_hex(contents.back()) + "\n");
  }
  outcome.fingerprint = hasher.hex_digest();

  connection.execute("SET client_min_messages = warning;" + std::string(create_state_table));
  pg::Transaction transaction(connection);
  // Two seeders racing on one database: the second waits here, then sees the first one's row.
  transaction.execute("LOCK TABLE public.pgseed_seed_state IN EXCLUSIVE MODE");
  const auto existing = transaction.query("SELECT fingerprint FROM public.pgseed_seed_state WHERE environment = " +
                                          connection.quote_literal(environment));
  if (!existing.empty()) {
    if (existing.front().front().value_or("") == outcome.fingerprint) {
      outcome.already_seeded = true;
      return outcome;
    }
    throw Error(ExitCode::refused,
                "database " + connection.info().database() + " already holds a different seed set for '" + environment + "'",
                "seed a fresh database, or restore one and seed again");
  }
  for (std::size_t i = 0; i < outcome.files.size(); ++i) {
    reporter.info("seeding " + outcome.files[i].filename().string());
    try {
      transaction.execute(contents[i]);
    } catch (const pg::SqlError& e) {
      throw Error(ExitCode::database, "seed file " + outcome.files[i].string() + " failed: " + e.what(),
                  "nothing was seeded; fix the file and run again");
    }
  }
  transaction.execute("INSERT INTO public.pgseed_seed_state (environment, fingerprint) VALUES (" +
                      connection.quote_literal(environment) + ", " + connection.quote_literal(outcome.fingerprint) + ")");
  transaction.commit();
  return outcome;
}

}  // namespace pgseed::core
