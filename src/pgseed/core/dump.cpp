#include "pgseed/core/dump.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/inventory.h"
#include "pgseed/core/migrations.h"
#include "pgseed/core/seed.h"
#include "pgseed/error.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/atomic_file.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/sha256.h"
#include "pgseed/util/time.h"

#include <chrono>
#include <numeric>
#include <thread>

namespace pgseed::core {
namespace fs = std::filesystem;

namespace {

void check_options(const DumpOptions& options) {
  if (!is_valid_environment_name(options.environment)) {
    throw Error(ExitCode::usage, "environment '" + options.environment + "' is not a valid name",
                "use letters, digits, '-' and '_' (it becomes part of file names)");
  }
  if (options.compression < 0 || options.compression > 9) {
    throw Error(ExitCode::usage, "compression level " + std::to_string(options.compression) + " is out of range 0..9");
  }
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
  DumpMetadata metadata;
  {
    pg::Connection connection(target);
    metadata.record_counts = count_records(connection);
    const auto migrations = read_applied_migrations(connection);
    metadata.migrations = migrations.applied_all;
    metadata.migrations_fingerprint = migrations.fingerprint;
    metadata.server_version = first_word(connection.query_value("SHOW server_version"));
    metadata.server_version_num = connection.server_version_num();
  }
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
  // A run killed mid-dump leaves its hidden temporary file behind; its lock died with it.
  util::remove_abandoned_temporaries(options.project.dump_directory);
  // Names have one-second resolution. A second dump of the same commit within the same second (a
  // script, a test) waits for the next second rather than failing or overwriting.
  auto now = std::chrono::system_clock::now();
  fs::path dump_path, metadata_path;
  for (int attempt = 0;; ++attempt) {
    const std::string stem = versioned_dump_stem(options.environment, source.short_commit(), now);
    dump_path = options.project.dump_directory / (stem + dump_extension);
    metadata_path = metadata_path_for(dump_path);
    if (!fs::exists(dump_path) && !fs::exists(metadata_path)) break;
    if (attempt == 2) {
      throw Error(ExitCode::refused, "dump " + dump_path.string() + " already exists", "wait a second and run again");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1000 - (std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                      now.time_since_epoch()).count() % 1000)));
    now = std::chrono::system_clock::now();
  }

  const auto pg_dump_version = tools.version("pg_dump");
  util::AtomicFile dump_file(dump_path);
  reporter.info("dumping " + target.database() + " to " + dump_path.filename().string());
  const auto started = std::chrono::steady_clock::now();
  // pgseed_provenance says which dump one database was restored from (the init script writes it). It
  // describes that database, not the data, and a dump carrying it would collide with the table the
  // next restore writes.
  tools.run_client("pg_dump", target,
                   {"--format=custom", "--compress=" + std::to_string(options.compression),
                    "--exclude-table=public.pgseed_provenance", "--file=" + dump_file.temporary_path().string()});
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

  write_metadata(metadata_path, metadata);
  try {
    dump_file.commit(util::AtomicFile::Overwrite::refuse);
  } catch (...) {
    fs::remove(metadata_path);
    throw;
  }
  // Both files are complete and durable: now, and only now, the latest links move.
  util::replace_symlink_atomically(metadata_path.filename(),
                                   options.project.dump_directory / (latest_dump_stem(options.environment) + metadata_extension));
  util::replace_symlink_atomically(dump_path.filename(), latest_dump_path(options.project.dump_directory, options.environment));
  reporter.info("wrote " + dump_path.string() + " (" + std::to_string(digest.size) + " bytes, " +
                std::to_string(total_rows) + " rows, " + std::to_string(util::seconds_since(started)).substr(0, 5) + " s)");

  DumpResult result;
  result.dump_path = dump_path;
  result.metadata_path = metadata_path;
  result.metadata = std::move(metadata);
  return result;
}

}  // namespace pgseed::core
