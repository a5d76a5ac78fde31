#include "pgseed/commands/settings.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/project.h"

namespace pgseed::commands {

std::filesystem::path dump_to_use(const Settings& settings) {
  if (settings.dump) return *settings.dump;
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  return core::latest_dump_path(project.dump_directory, settings.environment);
}

}  // namespace pgseed::commands
