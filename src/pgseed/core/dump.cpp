#include "pgseed/core/dump.h"

#include "pgseed/core/archive.h"
#include "pgseed/core/dump_files.h"
#include "pgseed/core/inputs.h"
#include "pgseed/core/migrations.h"
#include "pgseed/core/names.h"
#include "pgseed/core/physical.h"
#include "pgseed/core/seed.h"
#include "pgseed/error.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/file_lock.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/time.h"
#include "pgseed/util/unique_name.h"


namespace pgseed::core {
namespace fs = std::filesystem;

namespace {

void check_options(const DumpOptions& options) {
  check_name("environment", options.environment);
  if (options.compression < 0 || options.compression > 19) {
    throw Error(ExitCode::usage, "compression level " + std::to_string(options.compression) + " is out of range 0..19");
  }
}

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
                       const fs::path& physical_path, const std::string& timestamp, const std::string& checksum,
                       const std::string& physical_checksum, Reporter& reporter) {
  const fs::path& directory = options.project.dump_directory;
  const util::FileLock lock(directory);
  const fs::path latest_dump = latest_dump_path(directory, options.environment);
  // ISO 8601 UTC strings order like the times they name. A dump of the same second as the current
  // latest one was finished after it (runs take this lock in turn), so it moves the links; only a
  // strictly newer one stays. A timestamp in the future (a skewed clock, an edited file) would pin
  // the links for good: it is replaced, and said.
  if (const std::string current = timestamp_behind(latest_dump); !current.empty() && current > timestamp) {
    const std::string horizon = util::iso8601_utc(std::chrono::system_clock::now() + std::chrono::minutes(5));
    if (current <= horizon) return;
    reporter.warning("the latest " + options.environment + " dump claims a time in the future (" + current +
                     "); pointing the latest links at this one instead");
  }
  // The physical snapshot's link moves first and goes when the new dump has none: a latest snapshot
  // must never belong to an older dump than the latest metadata (the init script would find its
  // checksum wrong and restore logically, but an install would copy a stale file).
  const fs::path latest_physical = directory / (latest_dump_stem(options.environment) + physical_extension);
  if (!physical_path.empty()) {
    util::replace_symlink_atomically(physical_path.filename(), latest_physical);
  } else {
    std::error_code ignored;
    if (fs::is_symlink(fs::symlink_status(latest_physical, ignored))) fs::remove(latest_physical, ignored);
  }
  util::replace_symlink_atomically(metadata_path.filename(),
                                   directory / (latest_dump_stem(options.environment) + metadata_extension));
  util::replace_symlink_atomically(dump_path.filename(), latest_dump);
  // The content links move with the latest links, under the same lock, so they never name another
  // dump. The physical one, like the physical latest link, goes when this dump has no snapshot:
  // fetch-dumps would otherwise bring an archive of older data.
  if (options.sharing.mode == Sharing::externaldata) {
    const fs::path physical_link = physical_content_link_path(directory, options.environment);
    if (!physical_path.empty()) {
      write_content_link(physical_link, physical_checksum);
    } else {
      std::error_code ignored;
      fs::remove(physical_link, ignored);
    }
    write_content_link(content_link_path(directory, options.environment), checksum);
  }
}

DumpResult write_dump_with_inputs(const pg::ConnInfo& target, const pg::PgTools& tools, const DumpOptions& options,
                                 std::optional<Inputs> inputs, Reporter& reporter);

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
  // Only a dump that was migrated and seeded from the project records its inputs: `pgseed check`
  // compares them with the project, and a dump of a database as it was would claim what it may not hold.
  DumpResult result =
      write_dump_with_inputs(target, tools, options, compute_inputs(options.project, options.environment, options.counts), reporter);
  result.migrations_applied_now = std::move(applied_now);
  result.seeded_now = seeded_now;
  return result;
}

DumpResult write_dump(const pg::ConnInfo& target, const pg::PgTools& tools, const DumpOptions& options,
                      Reporter& reporter) {
  return write_dump_with_inputs(target, tools, options, std::nullopt, reporter);
}

namespace {

DumpResult write_dump_with_inputs(const pg::ConnInfo& target, const pg::PgTools& tools, const DumpOptions& options,
                                 std::optional<Inputs> inputs, Reporter& reporter) {
  check_options(options);
  ArchiveRequest request;
  request.project = options.project;
  request.directory = options.project.dump_directory;
  request.metadata.kind = ArchiveKind::dump;
  request.metadata.environment = options.environment;
  request.metadata.inputs = std::move(inputs);
  request.compression = options.compression;
  request.empty_database = options.empty_database;
  // A random token of this run makes the names unique; the files are still created with
  // no-overwrite semantics, so even an impossible collision fails instead of replacing a file.
  request.file_name = [&](const SourceVersion& source, util::SystemTime now) {
    return versioned_dump_stem(options.environment, source.short_commit(), now, util::random_hex(3)) + dump_extension;
  };
  fs::path physical_path;
  if (options.physical) {
    // From the dump just written and hashed, before the metadata: the snapshot lands first and the
    // metadata that describes it second, so no metadata ever names a snapshot that is not there.
    request.before_commit = [&](const fs::path& dump, DumpMetadata& metadata) {
      physical_path = physical_path_for(request.directory / metadata.file);
      write_physical_snapshot(tools, dump, physical_path, metadata, reporter);
      return std::vector<fs::path>{physical_path};
    };
  }
  ArchiveResult archive = write_archive(target, tools, request, reporter);
  DumpResult result;
  // The object is in its store before a content link names it.
  if (options.sharing.mode == Sharing::externaldata) {
    ignore_dumps_in_git(options.project.dump_directory);
    try {
      result.object_path = share_dump_object(options.sharing, archive.dump_path, archive.metadata.checksum, reporter);
      // The snapshot's object too, by the same rules (without a local store the dump's warning says it).
      if (!physical_path.empty() && !result.object_path.empty()) {
        share_dump_object(options.sharing, physical_path, archive.metadata.physical->checksum, reporter);
      }
    } catch (...) {
      // A failing run removes what it created; no link names these files yet.
      std::error_code ignored;
      for (const auto& created : {archive.dump_path, archive.metadata_path, physical_path}) {
        if (!created.empty()) fs::remove(created, ignored);
      }
      throw;
    }
  }
  // All files are complete and durable: now, and only now, the latest links move.
  move_latest_links(options, archive.dump_path, archive.metadata_path, physical_path, archive.metadata.timestamp,
                    archive.metadata.checksum,
                    archive.metadata.physical ? archive.metadata.physical->checksum : std::string(), reporter);

  result.dump_path = archive.dump_path;
  result.metadata_path = archive.metadata_path;
  result.physical_path = physical_path;
  result.metadata = std::move(archive.metadata);
  return result;
}

}  // namespace

}  // namespace pgseed::core
