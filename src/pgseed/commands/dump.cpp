#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
#include "pgseed/core/dump.h"
#include "pgseed/core/sharing.h"

#include <ostream>

namespace pgseed::commands {

int run_dump(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  core::DumpOptions options;
  options.project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  options.environment = settings.environment;
  options.compression = settings.compression;
  options.physical = settings.physical;
  options.counts = count_overrides(settings);
  options.empty_database = settings.allow_empty ? core::EmptyDatabase::allow : core::EmptyDatabase::refuse;
  options.sharing = sharing_options(settings);
  // Before the cluster starts and migrate and seed run: a bad --dump-dir must not cost all that first.
  check_dump_directory(options.project.dump_directory);
  core::check_object_store(options.sharing);
  DatabaseTarget target(settings, reporter, WhenUnconfigured::throwaway_cluster);
  const auto result = core::create_dump(target.connection(), target.tools(), options, reporter);
  // stdout carries just the path, so scripts can use it.
  out << result.dump_path.string() << "\n";
  return 0;
}

}  // namespace pgseed::commands
