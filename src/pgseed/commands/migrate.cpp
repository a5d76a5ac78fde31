#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
#include "pgseed/core/migrations.h"
#include "pgseed/core/project.h"

#include <ostream>

namespace pgseed::commands {

int run_migrate(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  const auto files = core::discover_migrations(project.migrations_directory);
  DatabaseTarget target(settings, reporter, WhenUnconfigured::local_server);
  pg::Connection connection(target.connection());
  const auto outcome = core::apply_migrations(connection, files, reporter);
  out << (outcome.applied_now.empty() ? "migrate: up to date" : "migrate: applied " + std::to_string(outcome.applied_now.size()))
      << " (" << outcome.applied_all.size() << " migrations in " << target.connection().database() << ")\n";
  return 0;
}

}  // namespace pgseed::commands
