#include "pgseed/commands/commands.h"
#include "pgseed/core/project.h"
#include "pgseed/core/sharing.h"

#include <ostream>
#include <string>

namespace pgseed::commands {

int run_publish(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  core::PublishRequest request;
  request.dump_directory = core::ProjectLayout::at(settings.project_directory, settings.dump_directory).dump_directory;
  request.environment = settings.environment;
  request.sharing = sharing_options(settings);
  request.to = settings.publish_to;
  const auto result = core::publish_latest(request, reporter);
  // stdout carries where the objects are now, so scripts can use it: one line, the physical
  // snapshot's object after the dump's when there is one.
  const auto describe = [](const core::PublishedObject& object) {
    return std::string(core::object_algorithm) + "/" + object.sha256 + " (" + core::human_size(object.size) + ") " +
           (object.already_there ? "already in " : "to ") + object.destination;
  };
  out << "publish: " << describe(result);
  if (result.physical) out << ", physical snapshot " << describe(*result.physical);
  out << "\n";
  return 0;
}

}  // namespace pgseed::commands
