#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
#include "pgseed/core/project.h"
#include "pgseed/core/names.h"
#include "pgseed/core/snapshot.h"

#include <ostream>

namespace pgseed::commands {

int run_snapshot(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  core::SnapshotOptions options;
  options.project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  options.directory = core::snapshot_directory(options.project, settings.snapshot_directory);
  if (settings.dump) {
    options.name = settings.dump->string();
    core::check_name("snapshot", options.name);  // before any server is started
  }
  options.note = settings.note;
  options.tables = settings.tables;
  options.excluded_tables = settings.excluded_tables;
  options.replace = settings.replace;
  options.lock = settings.no_wait ? core::TargetLock::take_or_fail : core::TargetLock::take_and_wait;
  DatabaseTarget target(settings, reporter, WhenUnconfigured::local_server);
  const auto result = core::take_snapshot(target.connection(), target.tools(), options, reporter);
  // stdout: the snapshot's name and file, for scripts.
  out << result.dump_path.stem().string() << " " << result.dump_path.string() << "\n";
  return 0;
}

}  // namespace pgseed::commands
