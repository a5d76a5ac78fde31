#include "pgseed/core/snapshot.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/names.h"
#include "pgseed/core/server_admin.h"
#include "pgseed/error.h"
#include "pgseed/util/atomic_file.h"
#include "pgseed/util/time.h"

#include <chrono>

namespace pgseed::core {
namespace fs = std::filesystem;

fs::path snapshot_directory(const ProjectLayout& project, const fs::path& configured) {
  if (!configured.empty()) return fs::absolute(configured).lexically_normal();
  return project.root / ".pgseed" / "snapshots";
}

std::string default_snapshot_name(const std::string& prefix, const std::string& database) {
  std::string name = prefix;
  for (const char c : database) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    name += plain ? c : '-';
  }
  if (name.empty() || !is_valid_name(std::string(1, name.front()))) name = "db" + name;
  const std::string time = "-" + util::compact_utc(std::chrono::system_clock::now());
  // Room is left for the "-xxxx" that a second snapshot in the same second gets.
  return name.substr(0, 59 - time.size()) + time;
}

std::unique_ptr<SessionLock> lock_target(pg::Connection& admin, const std::string& database, bool wait, Reporter& reporter) {
  return std::make_unique<SessionLock>(admin, LockScope::target, database, reporter,
                                       "another pgseed run restoring, resetting or snapshotting database " + database,
                                       wait ? LockWait::wait : LockWait::fail);
}

ArchiveResult take_snapshot(const pg::ConnInfo& target, const pg::PgTools& tools, const SnapshotOptions& options,
                            Reporter& reporter) {
  const std::string database = target.database();
  check_database_name(database);
  const std::string name = options.name.empty() ? default_snapshot_name("", database) : options.name;
  check_name("snapshot", name);
  const fs::path dump_path = options.directory / (name + dump_extension);
  std::error_code error;
  if (!options.replace && (fs::exists(dump_path, error) || fs::exists(metadata_path_for(dump_path), error))) {
    throw Error(ExitCode::usage, "snapshot " + name + " already exists in " + options.directory.string(),
                "choose another name, or pass --replace to overwrite it");
  }

  std::unique_ptr<pg::Connection> admin;
  std::unique_ptr<SessionLock> lock;
  if (options.lock != TargetLock::held_by_caller) {
    admin = connect_maintenance(target);
    lock = lock_target(*admin, database, options.lock == TargetLock::take_and_wait, reporter);
  }

  fs::create_directories(options.directory);
  if (options.directory == options.project.root / ".pgseed" / "snapshots") {
    // Snapshots are personal by default: keep the whole .pgseed directory out of git.
    const fs::path ignore = options.project.root / ".pgseed" / ".gitignore";
    if (!fs::exists(ignore, error)) util::write_file_atomically(ignore, "# pgseed's local state: snapshots, never shared\n*\n");
  }
  ArchiveRequest request;
  request.project = options.project;
  request.directory = options.directory;
  request.file_name = [&](const SourceVersion&, util::SystemTime) { return name + dump_extension; };
  request.metadata.kind = ArchiveKind::snapshot;
  request.metadata.database = database;
  request.metadata.note = options.note;
  request.metadata.table_patterns = options.tables;
  request.metadata.excluded_table_patterns = options.excluded_tables;
  request.empty_database = EmptyDatabase::allow;  // an empty database is a state worth keeping too
  request.overwrite = options.replace ? util::AtomicFile::Overwrite::allow : util::AtomicFile::Overwrite::refuse;
  return write_archive(target, tools, request, reporter);
}

std::optional<fs::path> find_archive(const fs::path& snapshot_dir, const std::string& name_or_path) {
  if (is_valid_name(name_or_path)) {
    const fs::path snapshot = snapshot_dir / (name_or_path + dump_extension);
    std::error_code error;
    if (fs::exists(snapshot, error) || fs::exists(metadata_path_for(snapshot), error)) return snapshot;
    if (!fs::exists(name_or_path, error) && !fs::is_symlink(name_or_path, error)) return std::nullopt;
  }
  return fs::path(name_or_path);
}

}  // namespace pgseed::core
