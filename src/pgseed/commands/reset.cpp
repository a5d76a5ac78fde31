#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
#include "pgseed/core/guards.h"
#include "pgseed/core/project.h"
#include "pgseed/core/reset.h"
#include "pgseed/error.h"

#include <ostream>

namespace pgseed::commands {

int run_reset(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  core::ResetOptions options;
  options.project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  options.environment = settings.environment;
  options.counts = count_overrides(settings);
  options.sessions = settings.force ? core::ConnectedSessions::terminate : core::ConnectedSessions::refuse;
  options.wait = !settings.no_wait;
  options.jobs = settings.jobs;
  // A fetched dump (or one named) and the metadata it is checked against; see metadata_to_use().
  if (settings.dump || settings.sharing == core::Sharing::externaldata || !settings.metadata.empty()) {
    options.dump = dump_to_use(settings);
    options.metadata = metadata_to_use(settings, options.dump);
  }

  DatabaseTarget target(settings, reporter, WhenUnconfigured::local_server);
  // Guards before anything is touched: a protected target needs --allow-protected and its name,
  // which then also answers the question.
  const bool name_confirmed = core::check_not_protected(target.connection(), settings.environment,
                                                        {settings.allow_protected, settings.confirm_name}, reporter);
  const bool configured = settings.database_url && !settings.database_url->empty();
  if (configured && !name_confirmed) {
    const std::string what = options.counts.exact.empty() && !options.counts.scale
                                 ? "the latest '" + settings.environment + "' dump"
                                 : "a fresh '" + settings.environment + "' seed with the given counts";
    core::confirm_destructive(target.connection(),
                              "Replace database " + target.connection().database() + " on " +
                                  describe_server(target.connection()) + " with " + what + "?",
                              settings.assume_yes, reporter, settings.confirm_name);
  }
  const auto result = core::reset_database(target.connection(), target.tools(), options, reporter);
  out << "reset: " << result.database << (result.created ? " created" : " replaced") << " from " << result.source << " ("
      << (result.template_built ? "built template " : "cloned template ") << result.template_name << ")\n";
  return 0;
}

}  // namespace pgseed::commands
