// pgseed check: does the environment's latest dump still match the project? The CI gate that keeps a
// committed dump from silently starting teammates on an old schema or old seed data.
#include "pgseed/commands/commands.h"
#include "pgseed/core/inputs.h"
#include "pgseed/core/names.h"
#include "pgseed/error.h"

#include <nlohmann/json.hpp>

#include <ostream>

namespace pgseed::commands {

int run_check(const Settings& settings, core::Reporter& /*reporter*/, std::ostream& out) {
  check_project_directory(settings);
  core::check_name("environment", settings.environment);
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  // No server, no dump file: only the project's files and the latest metadata, so that CI can run it
  // on a clone without Git LFS content and without PostgreSQL.
  const auto check = core::check_latest_dump(project, settings.environment, count_overrides(settings));

  if (settings.json) {
    using json = nlohmann::ordered_json;
    json document = {{"fresh", check.fresh()},
                     {"environment", settings.environment},
                     {"metadata", check.metadata_path.string()},
                     {"dump", check.found ? json((project.dump_directory / check.dump_file).string()) : json(nullptr)},
                     {"dumpTimestamp", check.found ? json(check.dump_timestamp) : json(nullptr)},
                     {"differences", check.differences},
                     {"fingerprints",
                      {{"project", check.project.fingerprint},
                       {"dump", check.dump ? json(check.dump->fingerprint) : json(nullptr)}}},
                     {"dataFormat", check.project.parts.data_format}};
    out << document.dump(2) << "\n";
  } else if (check.fresh()) {
    out << "fresh: " << check.dump_file << " matches the project (inputs " << check.project.fingerprint.substr(0, 12)
        << ")\n";
  } else if (check.found) {
    for (const auto& difference : check.differences) out << difference << "\n";
  }

  const std::string regenerate =
      "regenerate it: pgseed dump (the generate-dump target), then commit its metadata and the dump "
      "(with PGSEED_SHARING=externaldata: its .sha256 content link instead of the dump)";
  if (!check.found) {
    // The stale code, not a plain failure: to CI a missing dump is the extreme case of one that no longer
    // matches the project, with the same remedy.
    throw Error(ExitCode::stale, check.differences.front(),
                "run pgseed dump (the generate-dump target), then commit the dump and its metadata");
  }
  if (!check.fresh()) {
    const auto count = check.differences.size();
    throw Error(ExitCode::stale,
                "the latest " + settings.environment + " dump " + check.dump_file + " is stale: " + std::to_string(count) +
                    (count == 1 ? " difference" : " differences") + " from the project",
                regenerate);
  }
  return 0;
}

}  // namespace pgseed::commands
