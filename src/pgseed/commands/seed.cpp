#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
#include "pgseed/core/seed.h"

#include <ostream>

namespace pgseed::commands {

int run_seed(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  DatabaseTarget target(settings, reporter);
  pg::Connection connection(target.connection());
  const auto outcome = core::seed_environment(connection, project, settings.environment, reporter);
  if (outcome.already_seeded) {
    out << "seed: " << target.connection().database() << " already holds the '" << settings.environment
        << "' seed set; nothing changed\n";
  } else {
    out << "seed: ran " << outcome.files.size() << " file(s) for '" << settings.environment << "'\n";
  }
  return 0;
}

}  // namespace pgseed::commands
