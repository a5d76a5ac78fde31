#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
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

  const bool configured = settings.database_url && !settings.database_url->empty();
  if (settings.clear && configured && !settings.assume_yes) {
    const auto connection = pg::ConnInfo::parse(*settings.database_url);
    std::string tables;
    for (const auto& table : plan.tables_to_clear) tables += (tables.empty() ? "" : ", ") + table;
    if (!reporter.interactive()) {
      throw Error(ExitCode::refused,
                  "seed --clear would empty " + tables + " in database " + connection.database() + " on " +
                      describe_server(connection) + " and nobody confirmed it",
                  "pass --yes to clear without a terminal");
    }
    if (!reporter.confirm(clear_question(connection, tables))) throw Cancelled();
  }

  DatabaseTarget target(settings, reporter, WhenUnconfigured::local_server);
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
