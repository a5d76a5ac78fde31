#include "pgseed/core/restore.h"

#include "pgseed/core/archive.h"
#include "pgseed/core/inventory.h"
#include "pgseed/core/locks.h"
#include "pgseed/core/names.h"
#include "pgseed/core/server_admin.h"
#include "pgseed/core/toast_compression.h"
#include "pgseed/error.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/atomic_file.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/subprocess.h"
#include "pgseed/util/time.h"
#include "pgseed/util/unique_name.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <thread>

namespace pgseed::core {
namespace fs = std::filesystem;

namespace {

// Rows copied so far into `database`, from pg_stat_progress_copy (PostgreSQL 14+). Each COPY is seen
// only while it runs, so the largest count seen per table is kept.
class CopyProgress {
public:
  CopyProgress(const pg::ConnInfo& maintenance, std::string database) : maintenance_(maintenance), database_(std::move(database)) {}
  std::uint64_t rows_done() {
    try {
      if (!connection_) {
        connection_ = std::make_unique<pg::Connection>(maintenance_);
        available_ = connection_->server_version_num() >= 140000;
      }
      if (!available_) return 0;
      for (const auto& row : connection_->query("SELECT relid::text, tuples_processed FROM pg_stat_progress_copy WHERE datname = " +
                                                connection_->quote_literal(database_))) {
        auto& seen = copied_[row[0].value_or("")];
        seen = std::max(seen, static_cast<std::uint64_t>(std::stoull(row[1].value_or("0"))));
      }
    } catch (const std::exception&) {
      available_ = false;  // progress is a nicety; the restore goes on without it
    }
    std::uint64_t done = 0;
    for (const auto& entry : copied_) done += entry.second;
    return done;
  }

private:
  pg::ConnInfo maintenance_;
  std::string database_;
  std::unique_ptr<pg::Connection> connection_;
  bool available_ = true;
  std::map<std::string, std::uint64_t> copied_;
};


// A verified archive with its resolved_path naming what pg_restore reads (see PlainArchiveFile).
class PlainArchive {
public:
  PlainArchive(const VerifyResult& verified, Reporter& reporter)
      : file_(verified.resolved_path, verified.dump_path.string(), reporter), plain_(verified) {
    plain_.resolved_path = file_.path();
  }
  const VerifyResult& verified() const noexcept { return plain_; }

private:
  PlainArchiveFile file_;
  VerifyResult plain_;
};

// The full restore: pg_restore into a scratch database, check, swap.
void restore_whole(pg::Connection& admin, const pg::ConnInfo& target, const pg::PgTools& tools, const VerifyResult& verified,
                   const RestoreOptions& options, const TargetState& state, RestoreResult& result, Reporter& reporter) {
  const std::string database = target.database();
  HelperDatabase scratch(admin, helper_name(database, "restore"), reporter);
  scratch.create(" TEMPLATE template0" + state.create_options);
  const pg::ConnInfo scratch_connection = target.with("dbname", scratch.name());
  result.counts = restore_into_scratch(admin, scratch_connection, tools, verified, options.jobs, database, reporter);
  write_provenance(scratch_connection, provenance_of(*verified.metadata, options.restored_by));
  result.previous_database_left_behind = swap_in(admin, scratch, database, state.exists, options.sessions, reporter);
}

// The foreign keys that touch `tables` (as referencing or referenced table), as checks that raise an
// error naming the constraint when a row points at nothing. Columns are compared as a row; a row with
// a NULL in the key is not checked (MATCH SIMPLE, PostgreSQL's default).
std::string foreign_key_checks(pg::Connection& connection, const RecordCounts& tables) {
  std::string covered;
  for (const auto& entry : tables) covered += (covered.empty() ? "" : ", ") + connection.quote_literal(entry.first) + "::regclass";
  const auto keys = connection.query(R"sql(
    SELECT c.conname,
           format('%I.%I', cn.nspname, cr.relname), format('%I.%I', pn.nspname, pr.relname),
           (SELECT string_agg(format('c.%I', a.attname), ', ' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
           (SELECT string_agg(format('p.%I', a.attname), ', ' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum),
           (SELECT string_agg(format('c.%I IS NOT NULL', a.attname), ' AND ') FROM unnest(c.conkey) k(attnum)
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum)
    FROM pg_constraint c
    JOIN pg_class cr ON cr.oid = c.conrelid JOIN pg_namespace cn ON cn.oid = cr.relnamespace
    JOIN pg_class pr ON pr.oid = c.confrelid JOIN pg_namespace pn ON pn.oid = pr.relnamespace
    WHERE c.contype = 'f' AND (c.conrelid = ANY(ARRAY[)sql" + covered + R"sql(]) OR c.confrelid = ANY(ARRAY[)sql" + covered + R"sql(]))
    ORDER BY 1)sql");
  std::string checks;
  for (const auto& key : keys) {
    const std::string name = key[0].value_or(""), child = key[1].value_or(""), parent = key[2].value_or("");
    checks += "  IF EXISTS (SELECT 1 FROM " + child + " c WHERE " + key[5].value_or("true") + " AND NOT EXISTS (SELECT 1 FROM " +
              parent + " p WHERE (" + key[4].value_or("") + ") = (" + key[3].value_or("") + "))) THEN\n"
              "    RAISE EXCEPTION 'pgseed: foreign key % of % points at rows % does not have', " +
              connection.quote_literal(name) + ", " + connection.quote_literal(child) + ", " + connection.quote_literal(parent) +
              ";\n  END IF;\n";
  }
  return checks;
}

// Statements that put every sequence back where it is now, and never behind a position that another
// session reached meanwhile (GREATEST): a sequence behind its table's keys makes the next INSERT fail.
std::vector<std::string> sequence_positions(pg::Connection& connection) {
  std::vector<std::string> statements;
  for (const auto& row : connection.query(
           "SELECT format('%I.%I', schemaname, sequencename), last_value::text, schemaname, sequencename FROM pg_sequences "
           "WHERE last_value IS NOT NULL")) {
    const std::string sequence = connection.quote_literal(row[0].value_or("")), value = row[1].value_or("1");
    statements.push_back("SELECT pg_catalog.setval(" + sequence + ", GREATEST(" + value + ", COALESCE(last_value, " + value +
                         "))) FROM pg_sequences WHERE schemaname = " + connection.quote_literal(row[2].value_or("")) +
                         " AND sequencename = " + connection.quote_literal(row[3].value_or("")));
  }
  return statements;
}

// A partial snapshot: one transaction on the target replaces the data of the tables it holds.
// session_replication_role = replica keeps foreign-key triggers from firing while tables are empty
// or half-loaded (so no ON DELETE CASCADE reaches the other tables), and every foreign key touching
// these tables is checked before COMMIT instead. Needs a superuser session, as that setting does.
void restore_partial(const pg::ConnInfo& target, const pg::PgTools& tools, const VerifyResult& verified,
                     RestoreResult& result, Reporter& reporter) {
  const std::string database = target.database();
  const RecordCounts& tables = verified.metadata->record_counts;
  pg::Connection connection(target);
  if (connection.query_value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") != "t") {
    throw Error(ExitCode::refused, "restoring the partial snapshot " + verified.dump_path.filename().string() + " into database " +
                                       database + " needs a superuser session (it sets session_replication_role)",
                "connect as a superuser, or take and restore a full snapshot");
  }
  for (const auto& entry : tables) {
    if (connection.query_value("SELECT to_regclass(" + connection.quote_literal(entry.first) + ") IS NOT NULL") != "t") {
      throw Error(ExitCode::dump_refused, "database " + database + " has no table " + entry.first +
                                              ", which the partial snapshot holds; nothing was changed",
                  "migrate the database first, or restore a full snapshot");
    }
  }
  // The table data as SQL, in a locked hidden temporary file beside the snapshot: removed when this
  // run ends, and by the next run in that directory (or pgseed clean) when a kill stopped this one.
  const fs::path directory = verified.resolved_path.parent_path();
  util::remove_abandoned_temporaries(directory);
  util::AtomicFile data(directory / (verified.resolved_path.filename().string() + ".data.sql"));
  const PlainArchive plain(verified, reporter);
  util::Command extract;
  extract.argv = {tools.program("pg_restore").string(), "--data-only", "--no-owner", "--no-acl",
                  "--file=" + data.temporary_path().string(), plain.verified().resolved_path.string()};
  if (const auto extracted = util::run_command(extract); !extracted.ok()) {
    throw Error(ExitCode::failure, "pg_restore cannot read the data of " + verified.dump_path.string() + ": " +
                                       extracted.last_error_line());
  }
  // One psql session: BEGIN and the deletes, then the data file, then the checks and COMMIT. With
  // ON_ERROR_STOP the first error ends the session, and the transaction with it.
  // The app may still be connected (a partial restore does not replace the database): a row or table
  // it holds in an open transaction would make DELETE wait forever, with the target lock held. After
  // lock_timeout the transaction fails and rolls back like any other error.
  std::string before = "BEGIN; SET LOCAL session_replication_role = replica; SET LOCAL lock_timeout = '10s';";
  for (const auto& entry : tables) before += " DELETE FROM " + entry.first + ";";
  std::string after = "DO $pgseed$\nBEGIN\n";
  for (const auto& [table, count] : tables) {
    after += "  IF (SELECT count(*) FROM " + table + ") <> " + std::to_string(count) + " THEN\n"
             "    RAISE EXCEPTION 'pgseed: % has % rows, the snapshot says " + std::to_string(count) + "', " +
             connection.quote_literal(table) + ", (SELECT count(*) FROM " + table + ");\n  END IF;\n";
  }
  after += foreign_key_checks(connection, tables);
  after += "END\n$pgseed$;\nCOMMIT;";
  reporter.info("replacing the data of " + std::to_string(tables.size()) + " table(s) of " + database + " in one transaction");
  const std::vector<std::string> put_sequences_back = sequence_positions(connection);
  try {
    tools.run_client("psql", target,
                     {"--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--command=" + before,
                      "--file=" + data.temporary_path().string(), "--command=" + after});
  } catch (const Error& e) {
    // setval is not transactional: the rollback took the rows back but left the snapshot's
    // sequence positions, which can be behind the rows the database still has.
    try {
      for (const auto& statement : put_sequences_back) connection.execute(statement);
    } catch (const std::exception& again) {
      reporter.warning("cannot put the sequences of " + database + " back after the rollback (" + again.what() +
                       "); check them with: SELECT * FROM pg_sequences");
    }
    throw Error(ExitCode::dump_refused, "partial restore of " + verified.dump_path.filename().string() + " into database " +
                                            database + " was rolled back: " + e.what(),
                "database " + database + " was not changed");
  }
  result.partial = true;
  result.counts = tables;
}

}  // namespace

void compare_counts(const RecordCounts& expected, const RecordCounts& actual) {
  for (const auto& [table, count] : expected) {
    const auto found = actual.find(table);
    if (found == actual.end()) {
      throw Error(ExitCode::dump_refused, "restored data does not match the metadata: table " + table + " is missing",
                  "the target was not touched");
    }
    if (found->second != count) {
      throw Error(ExitCode::dump_refused,
                  "restored data does not match the metadata: " + table + " has " + std::to_string(found->second) +
                      " rows, the metadata says " + std::to_string(count),
                  "the target was not touched");
    }
  }
  for (const auto& [table, count] : actual) {
    if (expected.count(table) == 0) {
      throw Error(ExitCode::dump_refused,
                  "restored data does not match the metadata: table " + table + " is not in the metadata",
                  "the target was not touched");
    }
  }
}

void check_readable(pg::Connection& admin, const pg::PgTools& tools, const VerifyResult& verified,
                    const std::string& database) {
  const int dump_major = verified.metadata->pg_dump_major;
  const int server_major = admin.server_version_num() / 10000;
  const std::string dump = verified.dump_path.string();
  if (dump_major > server_major) {
    throw Error(ExitCode::dump_refused,
                "dump " + dump + " was written by pg_dump " + std::to_string(dump_major) + ", newer than the server of database " +
                    database + " (PostgreSQL " + std::to_string(server_major) + ")",
                "restore it into a PostgreSQL " + std::to_string(dump_major) + " server, or regenerate the dump; nothing was touched");
  }
  const auto restore_tool = tools.version("pg_restore");
  if (dump_major > restore_tool.major) {
    throw Error(ExitCode::dump_refused,
                "dump " + dump + " was written by pg_dump " + std::to_string(dump_major) + ", newer than pg_restore " +
                    restore_tool.text + " in " + tools.bindir().string(),
                "set PGSEED_PG_BINDIR to a PostgreSQL " + std::to_string(dump_major) + " bin directory; nothing was touched");
  }
  // The archive's own header can be newer than its metadata claims: pg_restore reads it in a moment.
  if (const auto result = list_archive(tools, verified.resolved_path); !result.ok()) {
    throw Error(ExitCode::dump_refused,
                "dump " + dump + " cannot be read by pg_restore " + restore_tool.text + ": " + result.last_error_line(),
                "it needs a newer pg_restore (PGSEED_PG_BINDIR), or it is damaged; nothing was touched");
  }
}

RecordCounts restore_into_scratch(pg::Connection& admin, const pg::ConnInfo& scratch, const pg::PgTools& tools,
                                  const VerifyResult& verified, int jobs_wanted, const std::string& for_database,
                                  Reporter& reporter) {
  const int jobs = jobs_wanted > 0 ? jobs_wanted : std::max(1u, std::thread::hardware_concurrency());
  const PlainArchive plain(verified, reporter);
  reporter.info("restoring " + verified.resolved_path.filename().string() + " into scratch database " + scratch.database() +
                " (" + std::to_string(jobs) + " jobs)");
  auto phase = std::chrono::steady_clock::now();
  auto took = [&phase] {
    const std::string seconds = human_duration(util::seconds_since(phase));
    phase = std::chrono::steady_clock::now();
    return seconds;
  };
  pg::ConnInfo restore_into = scratch;
  if (has_fast_toast_compression(admin)) {
    restore_into = restore_into.with_setting("default_toast_compression", fast_toast_compression);
  }
  std::uint64_t total_rows = 0;
  for (const auto& entry : verified.metadata->record_counts) total_rows += static_cast<std::uint64_t>(entry.second);
  CopyProgress copied(admin.info(), scratch.database());
  try {
    // --no-owner/--no-acl: a dev dump must restore for whichever role restores it.
    tools.run_client("pg_restore", restore_into,
                     {"--jobs=" + std::to_string(jobs), "--no-owner", "--no-acl", "--exit-on-error",
                      plain.verified().resolved_path.string()},
                     [&] { reporter.progress("restoring " + for_database, copied.rows_done(), total_rows, ProgressUnit::rows); });
  } catch (const Error& e) {
    reporter.progress_done();
    throw Error(e.code(), "restore into a scratch copy of database " + for_database + " failed: " + e.what(),
                "database " + for_database + " was not touched");
  }
  reporter.progress_done();
  reporter.info("pg_restore finished in " + took());
  RecordCounts counts;
  {
    pg::Connection restored(scratch);
    counts = count_records(restored);
  }
  compare_counts(verified.metadata->record_counts, counts);
  reporter.info("row counts of " + std::to_string(counts.size()) + " tables match the metadata (" + took() + ")");
  return counts;
}

RestoreResult restore_dump(const pg::ConnInfo& target, const pg::PgTools& tools, const VerifyResult& verified,
                           const RestoreOptions& options, Reporter& reporter) {
  if (!verified.ok() || !verified.metadata) throw Error(ExitCode::failure, "internal: restore of an unverified dump");
  const std::string database = target.database();
  check_database_name(database);
  const auto admin_connection = connect_maintenance(target);
  pg::Connection& admin = *admin_connection;
  const auto started = std::chrono::steady_clock::now();

  // One run at a time restores, resets or snapshots a given database; a second one waits here (or
  // fails at once with --no-wait) instead of racing it to CREATE or RENAME.
  const auto target_lock = lock_target(admin, database, options.wait, reporter);
  refuse_system_database(database);
  remove_abandoned_helpers(admin, reporter, database);
  check_readable(admin, tools, verified, database);

  RestoreResult result;
  result.database = database;
  const bool partial = verified.metadata->partial();
  const TargetState state = inspect_target(admin, database, partial ? ConnectedSessions::terminate : options.sessions);
  result.created = !state.exists;
  if (partial && !state.exists) {
    throw Error(ExitCode::usage, "snapshot " + verified.dump_path.filename().string() + " is partial; database " + database +
                                     " must exist to take its tables",
                "restore a full snapshot or dump to create it");
  }
  if (state.exists && options.safety_snapshot) {
    SnapshotOptions safety = *options.safety_snapshot;
    // Second resolution: a restore in the same second as the last one gets a suffix, never a refusal.
    safety.name = default_snapshot_name("pre-restore-", database);
    std::error_code ignored;
    if (fs::exists(safety.directory / (safety.name + ".dump"), ignored)) safety.name += "-" + util::random_hex(2);
    safety.lock = TargetLock::held_by_caller;
    safety.tables.clear();
    safety.excluded_tables.clear();
    safety.note = "taken by pgseed restore before it replaced " + database + " with " + verified.dump_path.filename().string();
    take_snapshot(target, tools, safety, reporter);
    result.safety_snapshot = safety.name;
  }
  if (partial) restore_partial(target, tools, verified, result, reporter);
  else restore_whole(admin, target, tools, verified, options, state, result, reporter);
  reporter.info("restored " + database + " in " + core::human_duration(util::seconds_since(started)));
  return result;
}

}  // namespace pgseed::core
