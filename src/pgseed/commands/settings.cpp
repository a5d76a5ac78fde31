#include "pgseed/commands/settings.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/project.h"

namespace pgseed::commands {

core::seed::CountOverrides count_overrides(const Settings& settings) {
  core::seed::CountOverrides overrides;
  for (const auto& text : settings.count_settings) {
    auto [table, count] = core::seed::parse_count_setting(text);
    overrides.exact[table] = count;  // the last --set for a table wins
  }
  overrides.scale = settings.scale;
  return overrides;
}

std::filesystem::path dump_to_use(const Settings& settings) {
  if (settings.dump) return *settings.dump;
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  return core::latest_dump_path(project.dump_directory, settings.environment);
}

}  // namespace pgseed::commands
