#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
#include "pgseed/core/dump_files.h"
#include "pgseed/core/guards.h"
#include "pgseed/core/project.h"
#include "pgseed/core/restore.h"
#include "pgseed/core/server_admin.h"
#include "pgseed/core/verify.h"
#include "pgseed/error.h"

#include <ostream>

namespace pgseed::commands {

int run_restore(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  // Everything about the file is checked before any database is even contacted.
  const auto verified = core::verify_dump(dump_to_use(settings), [&](std::uint64_t done, std::uint64_t total) {
    reporter.progress("verifying", done, total);
  });
  reporter.progress_done();
  if (!verified.ok()) throw verified.to_error();

  DatabaseTarget target(settings, reporter, WhenUnconfigured::local_server);
  // Guards before anything is touched: a protected target needs --allow-protected and its name,
  // which then also answers the question below.
  const bool name_confirmed = core::check_not_protected(target.connection(), settings.environment,
                                                        {settings.allow_protected, settings.confirm_name}, reporter);
  const bool configured = settings.database_url && !settings.database_url->empty();
  if (configured && !name_confirmed) {
    core::confirm_destructive(target.connection(),
                              "Replace database " + target.connection().database() + " with " +
                                  verified.dump_path.filename().string() + "?",
                              settings.assume_yes, reporter, settings.confirm_name);
  }
  // The mark is a setting of the database, and restore swaps in a new database: carry it over.
  const bool was_marked = [&] {
    const auto admin = core::connect_maintenance(target.connection());
    return core::database_marked_protected(*admin, target.connection().database());
  }();

  if (target.embedded()) {
    reporter.info("no database configured: restoring into a throwaway cluster only proves the dump restores");
  }
  core::RestoreOptions options;
  options.jobs = settings.jobs;
  options.sessions = settings.force ? core::ConnectedSessions::terminate : core::ConnectedSessions::refuse;
  const auto result = core::restore_dump(target.connection(), target.tools(), verified, options, reporter);
  if (was_marked) {
    const auto admin = core::connect_maintenance(target.connection());
    core::set_database_protected(*admin, target.connection().database(), true);
  }
  std::int64_t rows = 0;
  for (const auto& entry : result.counts) rows += entry.second;
  out << "restore: " << result.database << (result.created ? " created" : " replaced") << " from "
      << verified.resolved_path.filename().string() << " (" << result.counts.size() << " tables, " << rows
      << " rows, counts verified)\n";
  return 0;
}

}  // namespace pgseed::commands
