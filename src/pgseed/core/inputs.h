// What decides a dump's content, and whether the latest dump still matches the project.
//
// A dump is made from the project's migrations, its seed profile (or seeds/<env>/*.sql) with every
// file the profile uses, the seed set (the generated row counts after --set, --scale and
// PGSEED_COUNT_*) and the generator that turns them into rows. The metadata records all of it as
// `inputs`, with one fingerprint over the parts; `pgseed check` computes the same from the project
// and names every part that differs. Both sides are computed here and only here, so that the dump
// and the check cannot disagree about what counts.
#pragma once

#include "pgseed/core/project.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgseed::core {

namespace seed {
struct CountOverrides;
}

// Bump when the generator's output for the same inputs changes (a generator, the dictionary, the
// random streams, how counts are applied): every dump made before then is stale, although no file
// of the project changed.
inline constexpr int seed_data_format_version = 1;

struct InputParts {
  int data_format = seed_data_format_version;
  std::string environment;
  std::map<std::string, std::string> migrations;  // file name ("0001_create_users.sql") -> sha256
  // The profile, relative to the project ("seeds/dev.json"); empty for plain SQL seeds (seeds/<env>/).
  std::string seed_profile;
  std::string seed_profile_sha256;
  // Every other file the seeds read, relative to the project with '/' separators -> sha256: the
  // profile's sql and csv files, or the .sql files of seeds/<env>/.
  std::map<std::string, std::string> seed_files;
  std::map<std::string, std::int64_t> seed_set;  // generated table -> row count, as seeded
};

struct Inputs {
  std::string fingerprint;  // sha256 over the canonical form of `parts`
  InputParts parts;
};

// Reads the project as `pgseed dump` would seed it. Throws Error(usage) where the dump would (no
// seeds for the environment, a broken profile, an unknown --set table, bad migration names).
Inputs compute_inputs(const ProjectLayout& project, const std::string& environment, const seed::CountOverrides& counts);

std::string fingerprint_of(const InputParts& parts);

// `file` as recorded in the parts: relative to the project root, lexically normalised, with '/'
// separators ("seeds/./reference/../reference/a.csv" -> "seeds/reference/a.csv"). A file outside
// the project keeps its "../" steps.
std::string project_relative(const std::filesystem::path& root, const std::filesystem::path& file);

// One line per part that differs, for people: "migration 0007_add_x.sql is not in the dump",
// "seeds/dev.json changed", "seed set differs: users=20 (dump: users=10)". Empty when the parts are
// equal (the fingerprints may still differ, if someone edited the metadata: see check_latest_dump).
std::vector<std::string> input_differences(const InputParts& project, const InputParts& dump);

// The metadata's "inputs" object. inputs_from_json throws InputsFormatError naming the bad field.
nlohmann::json inputs_to_json(const Inputs& inputs);
Inputs inputs_from_json(const nlohmann::json& object);

class InputsFormatError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// The environment's latest dump compared with the project.
struct DumpCheck {
  std::filesystem::path metadata_path;  // the <env>-seeded-latest metadata link
  bool found = false;                   // false: no dump at all (then the one difference says so)
  std::string dump_file;                // the dump it describes (metadata "file")
  std::string dump_timestamp;
  Inputs project;
  std::optional<Inputs> dump;           // absent: metadata written before pgseed recorded inputs
  std::vector<std::string> differences;

  bool fresh() const { return differences.empty(); }
};

// Reads only the metadata (not the dump, which may be a Git LFS pointer or not fetched at all). No
// dump at all is not fresh, with one difference that says so. Throws Error(dump_refused) when the
// metadata cannot be read or the latest link dangles, and what compute_inputs throws.
DumpCheck check_latest_dump(const ProjectLayout& project, const std::string& environment,
                            const seed::CountOverrides& counts);

}  // namespace pgseed::core
