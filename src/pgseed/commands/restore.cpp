#include "pgseed/commands/commands.h"
#include "pgseed/commands/database_target.h"
#include "pgseed/core/dump_files.h"
#include "pgseed/core/guards.h"
#include "pgseed/core/project.h"
#include "pgseed/core/restore.h"
#include "pgseed/core/sharing.h"
#include "pgseed/core/snapshot.h"
#include "pgseed/core/verify.h"
#include "pgseed/error.h"

#include <ostream>

namespace pgseed::commands {

int run_restore(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  const auto snapshots = core::snapshot_directory(project, settings.snapshot_directory);
  std::filesystem::path archive = dump_to_use(settings);
  if (settings.dump) {
    // A snapshot name, or a path.
    const auto found = core::find_archive(snapshots, settings.dump->string());
    if (!found) {
      throw Error(ExitCode::dump_refused, "snapshot " + settings.dump->string() + " does not exist in " + snapshots.string(),
                  "pgseed list shows the dumps and snapshots");
    }
    archive = *found;
  }
  // Everything about the file is checked before any database is even contacted.
  const auto verified = core::verify_dump(archive, metadata_to_use(settings, archive), [&](std::uint64_t done, std::uint64_t total) {
    reporter.progress("verifying", done, total);
  });
  reporter.progress_done();
  if (!verified.ok()) throw core::refusal_for(verified);

  DatabaseTarget target(settings, reporter, WhenUnconfigured::local_server);
  // Guards before anything is touched: a protected target needs --allow-protected and its name,
  // which then also answers the question below.
  const bool name_confirmed = core::check_not_protected(target.connection(), settings.environment,
                                                        {settings.allow_protected, settings.confirm_name}, reporter);
  const bool configured = settings.database_url && !settings.database_url->empty();
  if (configured && !name_confirmed) {
    core::confirm_destructive(target.connection(),
                              restore_question(target.connection(), verified),
                              settings.assume_yes, reporter, settings.confirm_name);
  }
  const auto& metadata = *verified.metadata;
  std::int64_t archived_rows = 0;
  for (const auto& entry : metadata.record_counts) archived_rows += entry.second;
  // What is about to come in, before anything is replaced.
  reporter.info(std::string(core::to_string(metadata.kind)) + " " + verified.resolved_path.filename().string() + ": " +
                (metadata.kind == core::ArchiveKind::snapshot ? "of database " + metadata.database
                                                              : "environment " + metadata.environment) +
                ", taken " + metadata.timestamp + ", git " + metadata.version.substr(0, 12) + ", " +
                std::to_string(metadata.record_counts.size()) + " tables, " + std::to_string(archived_rows) + " rows" +
                (metadata.partial() ? ", partial" : "") + (metadata.note.empty() ? "" : ", note: " + metadata.note));
  core::RestoreOptions options;
  options.jobs = settings.jobs;
  options.sessions = settings.force ? core::ConnectedSessions::terminate : core::ConnectedSessions::refuse;
  options.wait = !settings.no_wait;
  if (!settings.no_safety_snapshot) {
    core::SnapshotOptions safety;
    safety.project = project;
    safety.directory = snapshots;
    options.safety_snapshot = safety;
  }
  const auto result = core::restore_dump(target.connection(), target.tools(), verified, options, reporter);
  std::int64_t rows = 0;
  for (const auto& entry : result.counts) rows += entry.second;
  out << "restore: " << result.database << (result.created ? " created" : result.partial ? " partly replaced" : " replaced")
      << " from " << verified.resolved_path.filename().string() << " (" << result.counts.size() << " tables, " << rows
      << " rows, counts verified)\n";
  if (!result.safety_snapshot.empty()) {
    out << "safety snapshot: " << result.safety_snapshot << " (to go back: pgseed restore " << result.safety_snapshot
        << ")\n";
  }
  return 0;
}

}  // namespace pgseed::commands
