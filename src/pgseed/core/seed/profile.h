// Seed profiles: seeds/<environment>.json, one per environment.
//
// A profile has a seed (an integer that fixes every generated value) and an ordered list of steps:
// SQL files to run, CSV files to COPY into a table, and tables to generate. docs/seed-profiles.md
// has the format.
#pragma once

#include "pgseed/core/seed/generators.h"

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pgseed::core::seed {

struct ColumnSpec {
  std::string name;
  std::unique_ptr<Generator> generator;
  double null_ratio = 0;
  std::uint64_t key = 0;  // randomness key: (profile seed, table, column)
  std::string pointer;
};

struct Step {
  enum class Kind { sql, csv, generate };
  Kind kind = Kind::sql;
  std::string pointer;          // "/steps/3"
  std::filesystem::path file;   // sql and csv
  std::string table;            // csv and generate, as written in the profile
  std::int64_t profile_count = 0;
  std::int64_t count = 0;       // after --set, the environment and --scale
  std::vector<ColumnSpec> columns;
};

struct Profile {
  std::filesystem::path path;
  std::string display_name;  // as shown in messages, e.g. seeds/dev.json
  std::int64_t seed = 0;
  std::vector<std::unique_ptr<Step>> steps;
  std::deque<ReferenceTarget> references;  // stable addresses for reference generators

  // Throws pgseed::Error(usage) naming the file, the JSON pointer and what was expected.
  static Profile load(const std::filesystem::path& path, const std::string& display_name);

  std::vector<Step*> generated_tables() const;
  // sha256 over the profile, the files it uses, the seed and the effective counts.
  std::string fingerprint() const;
};

struct CountOverrides {
  std::map<std::string, std::int64_t> exact;  // --set table=N, PGSEED_COUNT_<TABLE>=N
  std::optional<double> scale;                // --scale F, for every count not set exactly
};

// Reads PGSEED_COUNT_<TABLE> for each generated table (TABLE upper-cased, other characters as '_').
// Values from `overrides.exact` (the command line) win over the environment.
CountOverrides with_environment_counts(const Profile& profile, CountOverrides overrides);

// Sets every generated table's count. Throws Error(usage) for an unknown table or a negative count.
void apply_counts(Profile& profile, const CountOverrides& overrides);

// Parses "users=20" for --set.
std::pair<std::string, std::int64_t> parse_count_setting(const std::string& text);

}  // namespace pgseed::core::seed
