#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
#include "pgseed/core/guards.h"
#include "pgseed/core/seed.h"
#include "pgseed/error.h"

#include <ostream>

namespace pgseed::commands {

int run_seed(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  core::SeedRequest request;
  request.environment = settings.environment;
  request.counts = count_overrides(settings);
  request.existing = settings.clear ? core::ExistingSeed::clear : core::ExistingSeed::keep;

  // Validates the whole seed set before any database is involved.
  const auto plan = core::plan_seed(project, request);
  if (settings.dry_run) {
    out << "seed plan for '" << settings.environment << "' from " << plan.source.string() << (settings.clear ? " (after --clear)" : "")
        << "\n";
    std::int64_t total = 0;
    for (const auto& step : plan.steps) {
      out << "  " << step.kind << " " << step.what;
      if (step.rows >= 0) {
        out << ": " << step.rows << " rows";
        total += step.rows;
      }
      out << "\n";
    }
    out << "  generated rows in all: " << total << "\n";
    return 0;
  }

  DatabaseTarget target(settings, reporter, WhenUnconfigured::local_server);
  const bool configured = settings.database_url && !settings.database_url->empty();
  if (settings.clear) {
    // Guards before anything is touched; a confirmed name also answers the question below.
    const bool name_confirmed = core::check_not_protected(target.connection(), settings.environment,
                                                          {settings.allow_protected, settings.confirm_name}, reporter);
    if (configured && !name_confirmed) {
      std::string tables;
      for (const auto& table : plan.tables_to_clear) tables += (tables.empty() ? "" : ", ") + table;
      core::confirm_destructive(target.connection(),
                                clear_question(target.connection(), tables),
                                settings.assume_yes, reporter, settings.confirm_name);
    }
  }

  pg::Connection connection(target.connection());
  const auto outcome = core::seed_environment(connection, project, request, reporter);
  if (outcome.already_seeded) {
    out << "seed: " << target.connection().database() << " already holds the '" << settings.environment
        << "' seed set; nothing changed\n";
  } else {
    out << "seed: " << (outcome.cleared ? "cleared and " : "") << "ran " << outcome.steps << " step(s) for '"
        << settings.environment << "', " << outcome.generated_rows << " generated rows\n";
  }
  return 0;
}

}  // namespace pgseed::commands
