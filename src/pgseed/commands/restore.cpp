#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
#include "pgseed/core/dump_files.h"
#include "pgseed/core/project.h"
#include "pgseed/core/restore.h"
#include "pgseed/core/verify.h"
#include "pgseed/error.h"

#include <ostream>

namespace pgseed::commands {

int run_restore(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  // Everything about the file is checked before any database is even contacted.
  const auto verified = core::verify_dump(dump_to_use(settings), [&](std::uint64_t done, std::uint64_t total) {
    reporter.progress("verifying", done, total);
  });
  reporter.progress_done();
  if (!verified.ok()) throw verified.to_error();

  const bool configured = settings.database_url && !settings.database_url->empty();
  if (configured && !settings.assume_yes) {
    const auto connection = pg::ConnInfo::parse(*settings.database_url);
    if (!reporter.interactive()) {
      throw Error(ExitCode::refused,
                  "restore would replace database " + connection.database() + " on " + describe_server(connection) +
                      " and nobody confirmed it",
                  "pass --yes to restore without a terminal");
    }
    if (!reporter.confirm(restore_question(connection, verified))) throw Cancelled();
  }

  DatabaseTarget target(settings, reporter, WhenUnconfigured::local_server);
  if (target.embedded()) {
    reporter.info("no database configured: restoring into a throwaway cluster only proves the dump restores");
  }
  core::RestoreOptions options;
  options.jobs = settings.jobs;
  options.sessions = settings.force ? core::ConnectedSessions::terminate : core::ConnectedSessions::refuse;
  const auto result = core::restore_dump(target.connection(), target.tools(), verified, options, reporter);
  std::int64_t rows = 0;
  for (const auto& entry : result.counts) rows += entry.second;
  out << "restore: " << result.database << (result.created ? " created" : " replaced") << " from "
      << verified.resolved_path.filename().string() << " (" << result.counts.size() << " tables, " << rows
      << " rows, counts verified)\n";
  return 0;
}

}  // namespace pgseed::commands
