#include "pgseed/core/archive.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/inventory.h"
#include "pgseed/core/migrations.h"
#include "pgseed/error.h"
#include "pgseed/util/atomic_file.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/sha256.h"

#include <chrono>
#include <numeric>
#include <set>
#include <sstream>

namespace pgseed::core {
namespace fs = std::filesystem;

namespace {

// zstd's own worker threads: -T0 is one per core. See docs/benchmarks.md.
constexpr const char* zstd_threads = "0";

std::string first_word(const std::string& text) { return text.substr(0, text.find(' ')); }

// A REPEATABLE READ transaction whose snapshot is exported, kept open while it lives.
//
// The row counts in the metadata and the data pg_dump writes must come from one snapshot: an app
// writing during the dump would otherwise give a dump that never restores with matching counts.
// pg_dump --snapshot reads exactly what this transaction sees, as long as it stays open.
class ExportedSnapshot {
public:
  explicit ExportedSnapshot(pg::Connection& connection) : connection_(connection) {
    // This session idles in its transaction for as long as pg_dump runs: a server or database that
    // ends idle transactions (idle_in_transaction_session_timeout, common on managed services) must
    // not end this one, or the finished dump is thrown away.
    connection_.execute("SET idle_in_transaction_session_timeout = 0; SET statement_timeout = 0");
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

// The tables whose data an archive holds, as OIDs: the TABLE DATA entries of `pg_restore --list`
// ("3345; 0 16392 TABLE DATA public c postgres": the third field is the table's OID). Names are not
// parsed from the listing, because they are not quoted there.
std::set<std::string> table_oids_in(const pg::PgTools& tools, const fs::path& archive) {
  const auto result = list_archive(tools, archive);
  if (!result.ok()) throw Error(ExitCode::failure, "pg_restore --list of " + archive.string() + " failed: " + result.last_error_line());
  std::set<std::string> oids;
  std::istringstream lines(result.stdout_text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string id, zero, oid, kind, data;
    if (words >> id >> zero >> oid >> kind >> data && kind == "TABLE" && data == "DATA") oids.insert(oid);
  }
  return oids;
}

// What a failed client says went wrong: its ERROR/FATAL line, not the CONTEXT lines after it.
std::string failure_reason(const util::CommandResult& result) {
  std::istringstream lines(result.stderr_text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("ERROR:") != std::string::npos || line.find("FATAL:") != std::string::npos ||
        line.find(": error:") != std::string::npos) {
      return line;
    }
  }
  return result.last_error_line();
}

// pg_dump writing an uncompressed custom archive into zstd, which writes `output`. zstd compresses
// faster than pg_dump's own gzip -Z1 and smaller, in a process of its own (so on another core, and
// with its buffers outside pgseed). The shell only joins the two: every value reaches it as a
// positional argument, never inside the script, and the password only in the environment. The
// redirection truncates `output` in place, so the AtomicFile's lock on it stays valid.
void dump_through_zstd(const pg::PgTools& tools, const pg::ConnInfo& target, const std::vector<std::string>& arguments,
                       int level, const fs::path& output, std::function<void()> on_progress) {
  util::Command command;
  command.argv = {"bash", "-c",
                  "set -o pipefail; out=$1; zstd=$2; level=$3; shift 3; \"$@\" | \"$zstd\" -q -\"$level\" -T" +
                      std::string(zstd_threads) + " -c > \"$out\"",
                  "pgseed-dump", output.string(), zstd_program().string(), std::to_string(level),
                  tools.program("pg_dump").string()};
  command.argv.insert(command.argv.end(), arguments.begin(), arguments.end());
  command.argv.push_back("--dbname=" + target.argument_string());
  command.env = target.secret_environment();
  for (const char* variable : {"PGDATABASE", "PGSERVICE"}) command.env.emplace(variable, std::nullopt);
  command.on_progress = std::move(on_progress);
  const auto result = util::run_command(command);
  if (!result.ok()) throw Error(ExitCode::failure, "pg_dump failed: " + failure_reason(result));
}

}  // namespace

ArchiveResult write_archive(const pg::ConnInfo& target, const pg::PgTools& tools, const ArchiveRequest& request,
                            Reporter& reporter) {
  const auto started = std::chrono::steady_clock::now();
  const SourceVersion source = read_source_version(request.project);
  if (!source.in_git) {
    reporter.warning("project " + request.project.root.string() + " is not in a git repository; version is 'unknown'");
  } else if (source.dirty) {
    reporter.warning("migrations/ or seeds/ have uncommitted changes; the metadata records dirty: true");
  }
  fs::create_directories(request.directory);
  // What killed runs left here: temporary files whose writer (and so whose lock) is gone.
  for (const auto& removed : util::remove_abandoned_temporaries(request.directory)) {
    reporter.info("removed " + removed.filename().string() + ", left behind by a pgseed run that is gone");
  }
  const auto now = std::chrono::system_clock::now();
  const fs::path dump_path = request.directory / request.file_name(source, now);
  const fs::path metadata_path = metadata_path_for(dump_path);
  const auto pg_dump_version = tools.version("pg_dump");
  util::AtomicFile dump_file(dump_path);

  pg::Connection connection(target);
  DumpMetadata metadata;
  auto total_rows = [&] {
    return std::accumulate(metadata.record_counts.begin(), metadata.record_counts.end(), std::int64_t{0},
                           [](std::int64_t sum, const auto& entry) { return sum + entry.second; });
  };
  // Counting holds a share lock on every table until pg_dump is done. An app's TRUNCATE or ALTER then
  // queues behind it, and pg_dump's own LOCK TABLE queues behind that: a wait cycle the server cannot
  // see, because one side of it is a client waiting for pgseed. pg_dump therefore waits for a lock at
  // most lock_wait; then this run lets its snapshot go (and with it the locks) and tries again.
  constexpr int attempts = 3;
  constexpr const char* lock_wait = "5s";
  for (int attempt = 1;; ++attempt) {
    ExportedSnapshot snapshot(connection);
    metadata = request.metadata;
    metadata.record_counts = count_records(connection);
    const auto migrations = read_applied_migrations(connection);
    metadata.migrations = migrations.applied_all;
    metadata.migrations_fingerprint = migrations.fingerprint;
    metadata.server_version = first_word(connection.query_value("SHOW server_version"));
    metadata.server_version_num = connection.server_version_num();
    if (total_rows() == 0 && request.empty_database == EmptyDatabase::refuse) {
      throw Error(ExitCode::refused, "database " + target.database() + " has no rows in any table; refusing to dump it",
                  "seed it first, or pass --allow-empty to dump the schema alone");
    }
    reporter.info("dumping " + target.database() + " to " + dump_path.filename().string());
    // pgseed_provenance says which dump one database was restored from (the init script writes it). It
    // describes that database, not the data, and a dump carrying it would collide with the table the
    // next restore writes.
    // pg_dump itself never compresses: zstd does, or nothing (level 0).
    std::vector<std::string> arguments = {"--format=custom", "--compress=0",
                                          "--snapshot=" + snapshot.id(), std::string("--lock-wait-timeout=") + lock_wait,
                                          "--exclude-table=public.pgseed_provenance"};
    for (const auto& pattern : metadata.table_patterns) arguments.push_back("--table=" + pattern);
    for (const auto& pattern : metadata.excluded_table_patterns) arguments.push_back("--exclude-table=" + pattern);
    if (!metadata.table_patterns.empty()) arguments.push_back("--strict-names");  // a pattern that matches nothing is an error
    auto progress = [&] {
      std::error_code ignored;
      const auto written = fs::file_size(dump_file.temporary_path(), ignored);
      if (!ignored) reporter.progress("dumping " + target.database(), written, 0, ProgressUnit::bytes);
    };
    try {
      if (request.compression > 0) {
        dump_through_zstd(tools, target, arguments, request.compression, dump_file.temporary_path(), progress);
      } else {
        arguments.push_back("--file=" + dump_file.temporary_path().string());
        tools.run_client("pg_dump", target, arguments, progress);
      }
    } catch (const Error& e) {
      reporter.progress_done();
      const std::string what = e.what();
      // pg_dump implements --lock-wait-timeout with statement_timeout around its LOCK TABLE statements.
      if (what.find("lock timeout") == std::string::npos && what.find("statement timeout") == std::string::npos &&
          what.find("could not obtain lock") == std::string::npos) {
        throw;
      }
      if (attempt == attempts) {
        throw Error(ExitCode::database,
                    "cannot dump database " + target.database() + ": another session keeps taking exclusive locks on its tables (" +
                        what + ")",
                    "a TRUNCATE, ALTER TABLE or VACUUM FULL in the app races the dump; pause it and run again");
      }
      reporter.warning("another session wants an exclusive lock on a table of " + target.database() +
                       " (TRUNCATE, ALTER, ...): letting it go first and dumping again from a new snapshot");
      continue;  // the snapshot's transaction ends here, and with it our locks
    }
    reporter.progress_done();
    if (metadata.partial()) {
      // Only the tables the archive holds are counted, so that its restore can check them all.
      const auto oids = table_oids_in(tools, dump_file.temporary_path());
      RecordCounts kept;
      for (const auto& row : connection.query("SELECT oid::text, format('%I.%I', relnamespace::regnamespace, relname) FROM pg_class "
                                              "WHERE relkind IN ('r', 'p')")) {
        const auto found = metadata.record_counts.find(row[1].value_or(""));
        if (oids.count(row[0].value_or("")) != 0 && found != metadata.record_counts.end()) kept.insert(*found);
      }
      metadata.record_counts = std::move(kept);
    }
    snapshot.finish();
    break;
  }
  const auto digest = util::sha256_file(dump_file.temporary_path());

  metadata.version = source.commit;
  metadata.dirty = source.dirty;
  metadata.timestamp = util::iso8601_utc(now);
  metadata.file = dump_path.filename().string();
  metadata.size_bytes = digest.size;
  metadata.compression = request.compression;
  metadata.compressor = request.compression > 0 ? "zstd" : "pg_dump";
  metadata.checksum = digest.sha256;
  metadata.pg_dump_version = pg_dump_version.text;
  metadata.pg_dump_major = pg_dump_version.major;
  metadata.tool_version = PGSEED_VERSION;

  std::vector<fs::path> companions;
  if (request.before_commit) companions = request.before_commit(dump_file.temporary_path(), metadata);
  auto remove_companions = [&] {
    std::error_code ignored;
    for (const auto& path : companions) fs::remove(path, ignored);
  };

  // The metadata lands first, so a dump is never without it. Unless replacing is asked for, neither
  // file may replace another's, and if the dump cannot be committed only the metadata this run just
  // created is removed.
  util::AtomicFile metadata_file(metadata_path);
  try {
    metadata_file.write(metadata.to_json());
    metadata_file.commit(request.overwrite);
  } catch (...) {
    remove_companions();
    throw;
  }
  try {
    dump_file.commit(request.overwrite);
  } catch (...) {
    if (request.overwrite == util::AtomicFile::Overwrite::refuse) {
      std::error_code ignored;
      fs::remove(metadata_path, ignored);
    }
    remove_companions();
    throw;
  }
  reporter.info("wrote " + dump_path.string() + " (" + core::human_size(digest.size) + ", " +
                std::to_string(total_rows()) + " rows, " + core::human_duration(util::seconds_since(started)) + ")");
  return ArchiveResult{dump_path, metadata_path, std::move(metadata)};
}

PlainArchiveFile::PlainArchiveFile(const fs::path& archive, const std::string& display_name, Reporter& reporter)
    : path_(archive) {
  if (!is_zstd_file(archive)) return;
  const auto started = std::chrono::steady_clock::now();
  const std::string name = "." + archive.filename().string() + ".plain";
  const auto create_in = [&](const fs::path& directory) {
    for (const auto& removed : util::remove_abandoned_temporaries(directory)) {
      reporter.info("removed " + removed.filename().string() + ", left behind by a pgseed run that is gone");
    }
    file_.emplace(directory / name);
  };
  try {
    create_in(archive.parent_path());
  } catch (const std::exception&) {
    create_in(fs::temp_directory_path());
  }
  const std::string dump = fs::path(display_name).filename().string();
  util::Command decompress;
  // The redirection writes into the locked temporary itself; `zstd -o` would replace the file.
  decompress.argv = {"bash", "-c", "\"$1\" -dcq -- \"$2\" > \"$3\"", "pgseed-decompress", zstd_program().string(),
                     archive.string(), file_->temporary_path().string()};
  decompress.on_progress = [&] {
    std::error_code ignored;
    const auto written = fs::file_size(file_->temporary_path(), ignored);
    if (!ignored) reporter.progress("decompressing " + dump, written, 0, ProgressUnit::bytes);
  };
  const auto result = util::run_command(decompress);
  reporter.progress_done();
  if (!result.ok()) {
    throw Error(ExitCode::dump_refused, "dump " + display_name + " cannot be decompressed: " + result.last_error_line(),
                "check the free space in " + file_->temporary_path().parent_path().string() + ", or fetch or regenerate the dump");
  }
  std::error_code ignored;
  reporter.info("decompressed " + dump + " to " + human_size(fs::file_size(file_->temporary_path(), ignored)) + " in " +
                human_duration(util::seconds_since(started)));
  path_ = file_->temporary_path();
}

bool is_zstd_file(const fs::path& archive) {
  static const std::string magic = "\x28\xb5\x2f\xfd";
  return util::read_file_prefix(archive, magic.size()) == magic;
}

fs::path zstd_program() {
  fs::path program = util::find_in_path("zstd");
  if (program.empty()) {
    throw Error(ExitCode::failure, "cannot find zstd in PATH; pgseed's dumps are compressed with it",
                "install it (Debian: apt-get install zstd)");
  }
  return program;
}

util::CommandResult list_archive(const pg::PgTools& tools, const fs::path& archive) {
  util::Command list;
  if (is_zstd_file(archive)) {
    // pg_restore reads only the archive's table of contents from a pipe and stops; zstd then ends on
    // a broken pipe, which is why the pipeline's status is pg_restore's alone (no pipefail).
    list.argv = {"bash", "-c", "\"$1\" -dcq -- \"$2\" | \"$3\" --list", "pgseed-list", zstd_program().string(), archive.string(),
                 tools.program("pg_restore").string()};
  } else {
    list.argv = {tools.program("pg_restore").string(), "--list", archive.string()};
  }
  return util::run_command(list);
}

}  // namespace pgseed::core
