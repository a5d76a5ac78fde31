#include "pgseed/core/dump.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/inventory.h"
#include "pgseed/core/migrations.h"
#include "pgseed/core/names.h"
#include "pgseed/core/seed.h"
#include "pgseed/error.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/atomic_file.h"
#include "pgseed/util/file_lock.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/human.h"
#include "pgseed/util/sha256.h"
#include "pgseed/util/time.h"
#include "pgseed/util/unique_name.h"

#include <chrono>
#include <numeric>

namespace pgseed::core {
namespace fs = std::filesystem;

namespace {

void check_options(const DumpOptions& options) {
  check_name("environment", options.environment);
  if (options.compression < 0 || options.compression > 9) {
    throw Error(ExitCode::usage, "compression level " + std::to_string(options.compression) + " is out of range 0..9");
  }
}

// A REPEATABLE READ transaction whose snapshot is exported, kept open while it lives.
//
// The row counts in the metadata and the data pg_dump writes must come from one snapshot: an app
// writing during the dump would otherwise give a dump that never restores with matching counts.
// pg_dump --snapshot reads exactly what this transaction sees, as long as it stays open.
class ExportedSnapshot {
public:
  explicit ExportedSnapshot(pg::Connection& connection) : connection_(connection) {
    connection_.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    open_ = true;
    id_ = connection_.query_value("SELECT pg_export_snapshot()");
  }
  ~ExportedSnapshot() {
    if (!open_) return;
    try {
      connection_.execute("ROLLBACK");
    } catch (...) {
      // The transaction ends with the session anyway.
    }
  }
  ExportedSnapshot(const ExportedSnapshot&) = delete;
  ExportedSnapshot& operator=(const ExportedSnapshot&) = delete;

  const std::string& id() const noexcept { return id_; }
  void finish() {
    open_ = false;
    connection_.execute("COMMIT");
  }

private:
  pg::Connection& connection_;
  std::string id_;
  bool open_ = false;
};

// The metadata timestamp of the dump a latest link points to; empty when there is none or it is
// unreadable (then the link is repaired, whatever it pointed to).
std::string timestamp_behind(const fs::path& latest_link) {
  std::error_code error;
  const fs::path target = fs::canonical(latest_link, error);
  if (error) return {};
  try {
    return read_metadata(metadata_path_for(target)).timestamp;
  } catch (const std::exception&) {
    return {};
  }
}

// Points the environment's latest links at the new pair, unless a concurrent run already pointed
// them at a newer one. Runs serialise on a lock of the dump directory, so the two links always move
// as a pair and never backwards: after any number of concurrent dumps both point to the newest
// complete pair, and every one of them verifies.
void move_latest_links(const DumpOptions& options, const fs::path& dump_path, const fs::path& metadata_path,
                       const std::string& timestamp) {
  const fs::path& directory = options.project.dump_directory;
  const util::FileLock lock(directory);
  const fs::path latest_dump = latest_dump_path(directory, options.environment);
  std::error_code error;
  if (const std::string current = timestamp_behind(latest_dump); !current.empty()) {
    const fs::path current_file = fs::canonical(latest_dump, error).filename();
    // ISO 8601 UTC strings order like the times they name; the file name breaks a tie.
    if (std::make_pair(current, current_file.string()) > std::make_pair(timestamp, dump_path.filename().string())) return;
  }
  util::replace_symlink_atomically(metadata_path.filename(),
                                   directory / (latest_dump_stem(options.environment) + metadata_extension));
  util::replace_symlink_atomically(dump_path.filename(), latest_dump);
}

std::string first_word(const std::string& text) { return text.substr(0, text.find(' ')); }

}  // namespace

DumpResult create_dump(const pg::ConnInfo& target, const pg::PgTools& tools, const DumpOptions& options,
                       Reporter& reporter) {
  check_options(options);
  const auto migration_files = discover_migrations(options.project.migrations_directory);
  std::vector<std::string> applied_now;
  bool seeded_now = false;
  {
    pg::Connection connection(target);
    applied_now = apply_migrations(connection, migration_files, reporter).applied_now;
    SeedRequest request;
    request.environment = options.environment;
    request.counts = options.counts;
    seeded_now = !seed_environment(connection, options.project, request, reporter).already_seeded;
  }
  DumpResult result = write_dump(target, tools, options, reporter);
  result.migrations_applied_now = std::move(applied_now);
  result.seeded_now = seeded_now;
  return result;
}

DumpResult write_dump(const pg::ConnInfo& target, const pg::PgTools& tools, const DumpOptions& options,
                      Reporter& reporter) {
  check_options(options);
  const auto started = std::chrono::steady_clock::now();
  pg::Connection connection(target);
  ExportedSnapshot snapshot(connection);
  DumpMetadata metadata;
  metadata.record_counts = count_records(connection);
  const auto migrations = read_applied_migrations(connection);
  metadata.migrations = migrations.applied_all;
  metadata.migrations_fingerprint = migrations.fingerprint;
  metadata.server_version = first_word(connection.query_value("SHOW server_version"));
  metadata.server_version_num = connection.server_version_num();
  const std::int64_t total_rows = std::accumulate(
      metadata.record_counts.begin(), metadata.record_counts.end(), std::int64_t{0},
      [](std::int64_t sum, const auto& entry) { return sum + entry.second; });
  if (total_rows == 0 && options.empty_database == EmptyDatabase::refuse) {
    throw Error(ExitCode::refused, "database " + target.database() + " has no rows in any table; refusing to dump it",
                "seed it first, or pass --allow-empty to dump the schema alone");
  }

  const SourceVersion source = read_source_version(options.project);
  if (!source.in_git) {
    reporter.warning("project " + options.project.root.string() + " is not in a git repository; version is 'unknown'");
  } else if (source.dirty) {
    reporter.warning("migrations/ or seeds/ have uncommitted changes; the metadata records dirty: true");
  }

  fs::create_directories(options.project.dump_directory);
  // A random token of this run makes the names unique; the files are still created with
  // no-overwrite semantics, so even an impossible collision fails instead of replacing a file.
  const auto now = std::chrono::system_clock::now();
  const std::string stem = versioned_dump_stem(options.environment, source.short_commit(), now, util::random_hex(3));
  const fs::path dump_path = options.project.dump_directory / (stem + dump_extension);
  const fs::path metadata_path = metadata_path_for(dump_path);

  const auto pg_dump_version = tools.version("pg_dump");
  util::AtomicFile dump_file(dump_path);
  reporter.info("dumping " + target.database() + " to " + dump_path.filename().string());
  // pgseed_provenance says which dump one database was restored from (the init script writes it). It
  // describes that database, not the data, and a dump carrying it would collide with the table the
  // next restore writes.
  tools.run_client("pg_dump", target,
                   {"--format=custom", "--compress=" + std::to_string(options.compression), "--snapshot=" + snapshot.id(),
                    "--exclude-table=public.pgseed_provenance", "--file=" + dump_file.temporary_path().string()},
                   [&] {
                     std::error_code ignored;
                     const auto written = fs::file_size(dump_file.temporary_path(), ignored);
                     if (!ignored) reporter.progress("dumping " + target.database(), written, 0, ProgressUnit::bytes);
                   });
  reporter.progress_done();
  snapshot.finish();
  const auto digest = util::sha256_file(dump_file.temporary_path());

  metadata.environment = options.environment;
  metadata.version = source.commit;
  metadata.dirty = source.dirty;
  metadata.timestamp = util::iso8601_utc(now);
  metadata.file = dump_path.filename().string();
  metadata.size_bytes = digest.size;
  metadata.compression = options.compression;
  metadata.checksum = digest.sha256;
  metadata.pg_dump_version = pg_dump_version.text;
  metadata.pg_dump_major = pg_dump_version.major;
  metadata.tool_version = PGSEED_VERSION;

  // The metadata lands first, so a dump is never without it; neither file may replace another's.
  // If the dump cannot be committed, only the metadata this run just created is removed.
  util::AtomicFile metadata_file(metadata_path);
  metadata_file.write(metadata.to_json());
  metadata_file.commit(util::AtomicFile::Overwrite::refuse);
  try {
    dump_file.commit(util::AtomicFile::Overwrite::refuse);
  } catch (...) {
    std::error_code ignored;
    fs::remove(metadata_path, ignored);
    throw;
  }
  // Both files are complete and durable: now, and only now, the latest links move.
  move_latest_links(options, dump_path, metadata_path, metadata.timestamp);
  reporter.info("wrote " + dump_path.string() + " (" + util::format_mebibytes(digest.size) + ", " + std::to_string(total_rows) +
                " rows, " + util::format_seconds(util::seconds_since(started)) + ")");

  DumpResult result;
  result.dump_path = dump_path;
  result.metadata_path = metadata_path;
  result.metadata = std::move(metadata);
  return result;
}

}  // namespace pgseed::core
