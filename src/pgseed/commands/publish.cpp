#include "pgseed/commands/commands.h"
#include "pgseed/core/project.h"
#include "pgseed/core/sharing.h"

#include <ostream>

namespace pgseed::commands {

int run_publish(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  core::PublishRequest request;
  request.dump_directory = core::ProjectLayout::at(settings.project_directory, settings.dump_directory).dump_directory;
  request.environment = settings.environment;
  request.sharing = sharing_options(settings);
  request.to = settings.publish_to;
  const auto result = core::publish_latest(request, reporter);
  // stdout carries where the object is now, so scripts can use it.
  out << "publish: " << core::object_algorithm << "/" << result.sha256 << " (" << core::human_size(result.size) << ") "
      << (result.already_there ? "already in " : "to ") << result.destination << "\n";
  return 0;
}

}  // namespace pgseed::commands
