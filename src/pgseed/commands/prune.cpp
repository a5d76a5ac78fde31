// pgseed prune --keep N: old dumps (and, with --snapshots, old snapshots) go; latest and git stay.
#include "pgseed/commands/commands.h"
#include "pgseed/core/archive_list.h"
#include "pgseed/core/snapshot.h"
#include "pgseed/error.h"
#include "pgseed/util/file_lock.h"

#include <memory>
#include <ostream>

namespace pgseed::commands {
namespace fs = std::filesystem;

namespace {

std::chrono::seconds age_of(const fs::path& path) {
  std::error_code error;
  const auto written = fs::last_write_time(path, error);
  if (error) return std::chrono::seconds(0);
  return std::chrono::duration_cast<std::chrono::seconds>(fs::file_time_type::clock::now() - written);
}

}  // namespace

int run_prune(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  if (!settings.keep) {
    throw Error(ExitCode::usage, "pgseed prune needs --keep N: how many dumps to keep per environment",
                "pgseed prune --keep 3 --dry-run shows what would be deleted");
  }
  check_project_directory(settings);
  const auto project = core::ProjectLayout::at(settings.project_directory, settings.dump_directory);
  const fs::path snapshot_directory = core::snapshot_directory(project, settings.snapshot_directory);

  // The latest links move under this lock (core/dump.cpp): holding it, the link we protect cannot move
  // to a dump we are about to delete. (Only the newest dump can become latest, and it is always kept.)
  std::unique_ptr<util::FileLock> dump_directory_lock;
  std::error_code error;
  if (fs::is_directory(project.dump_directory, error))
    dump_directory_lock = std::make_unique<util::FileLock>(project.dump_directory);

  auto archives = core::list_archives(project.dump_directory, core::ArchiveKind::dump);
  std::set<fs::path> tracked = core::git_tracked_files(project.dump_directory);
  if (settings.snapshots) {
    auto snapshots = core::list_archives(snapshot_directory, core::ArchiveKind::snapshot);
    archives.insert(archives.end(), std::make_move_iterator(snapshots.begin()),
                    std::make_move_iterator(snapshots.end()));
    const auto tracked_snapshots = core::git_tracked_files(snapshot_directory);
    tracked.insert(tracked_snapshots.begin(), tracked_snapshots.end());
  }

  core::PruneOptions options;
  options.keep = *settings.keep;
  options.snapshots = settings.snapshots;
  const auto decisions = core::plan_prune(archives, options, tracked, age_of);

  int removed = 0, kept = 0, tracked_kept = 0;
  std::uint64_t freed = 0;
  for (const auto& decision : decisions) {
    const core::Archive& archive = *decision.archive;
    // Metadata whose dump is gone is named by the file that is actually there.
    const std::string what = (archive.kind == core::ArchiveKind::dump ? "dump " : "snapshot ") +
                             (archive.dump_exists ? archive.dump_path : archive.metadata_path).string();
    if (decision.action == core::PruneAction::keep_tracked) {
      ++tracked_kept;
      reporter.warning("not deleting " + what + ": tracked by git, it is shared history; use git rm if it should go");
    }
    if (!core::removes(decision.action)) {
      ++kept;
      continue;
    }
    if (settings.dry_run) {
      out << "would delete " << what << " (" << core::to_string(decision.action) << ")\n";
    } else {
      core::remove_archive(archive);
      out << "deleted " << what << " (" << core::to_string(decision.action) << ")\n";
    }
    ++removed;
    freed += archive.disk_bytes();
  }
  reporter.info(std::string(settings.dry_run ? "would delete " : "deleted ") + std::to_string(removed) + " (" +
                core::human_size(freed) + "), kept " + std::to_string(kept) +
                (tracked_kept > 0 ? " (" + std::to_string(tracked_kept) + " only because git tracks them)" : "") +
                (settings.snapshots ? "" : "; snapshots are left alone without --snapshots"));
  return 0;
}

}  // namespace pgseed::commands
