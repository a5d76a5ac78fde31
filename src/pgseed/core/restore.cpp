#include "pgseed/core/restore.h"

#include "pgseed/core/inventory.h"
#include "pgseed/core/locks.h"
#include "pgseed/core/names.h"
#include "pgseed/core/server_admin.h"
#include "pgseed/core/toast_compression.h"
#include "pgseed/error.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/human.h"
#include "pgseed/util/subprocess.h"
#include "pgseed/util/time.h"
#include "pgseed/util/unique_name.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <thread>

namespace pgseed::core {

namespace {

// SQLSTATE 55006: object_in_use ("database is being accessed by other users").
constexpr const char* object_in_use = "55006";

// <database>_pgseed_<role>_<8 hex>, at most 63 bytes, cut on a character boundary. The random part
// makes the name unique on any server: a PID repeats across containers and CI runners.
std::string helper_name(const std::string& database, const std::string& role) {
  const std::string suffix = "_pgseed_" + role + "_" + util::random_hex(4);
  return utf8_prefix(database, max_identifier_bytes - suffix.size()) + suffix;
}

// Client sessions only: autovacuum workers show up in pg_stat_activity too (typically right after a
// big restore), and PostgreSQL makes them leave by itself when the database is renamed or dropped.
std::string other_clients_of(pg::Connection& admin, const std::string& database) {
  return "FROM pg_stat_activity WHERE datname = " + admin.quote_literal(database) +
         " AND pid <> pg_backend_pid() AND backend_type = 'client backend'";
}

int count_sessions(pg::Connection& admin, const std::string& database) {
  return std::stoi(admin.query_value("SELECT count(*) " + other_clients_of(admin, database)));
}

void terminate_sessions(pg::Connection& admin, const std::string& database) {
  admin.execute("SELECT pg_terminate_backend(pid) " + other_clients_of(admin, database));
}

Error sessions_error(const std::string& database, int sessions) {
  return Error(ExitCode::refused,
               "database " + database + " has " + std::to_string(sessions) + " other connected session" +
                   (sessions == 1 ? "" : "s") + "; refusing to replace it",
               "close them (stop your app), or pass --force to terminate them");
}

// A scratch or previous database of this run. The owner lock named after it is taken before the
// database exists and held until it is gone or has become the target, so "the lock is free" means
// "its run is gone". The destructor drops the database only if this run created it (or renamed the
// target to it) and did not hand it over.
class HelperDatabase {
public:
  HelperDatabase(pg::Connection& admin, std::string name, Reporter& reporter)
      : admin_(admin), name_(std::move(name)),
        lock_(admin, LockScope::owner, name_, reporter, "the owner lock of " + name_) {}
  ~HelperDatabase() {
    if (!ours_) return;
    try {
      drop_database(admin_, name_);
    } catch (...) {
      // Best effort on the way out; the next run removes it once this run's lock is gone.
    }
  }
  HelperDatabase(const HelperDatabase&) = delete;
  HelperDatabase& operator=(const HelperDatabase&) = delete;

  const std::string& name() const noexcept { return name_; }
  void create(const std::string& options) {
    admin_.execute("CREATE DATABASE " + admin_.quote_identifier(name_) + options);
    ours_ = true;
  }
  void now_ours() noexcept { ours_ = true; }
  void hand_over() noexcept { ours_ = false; }
  void drop() {
    drop_database(admin_, name_);
    ours_ = false;
  }

private:
  pg::Connection& admin_;
  std::string name_;
  SessionLock lock_;
  bool ours_ = false;
};

// A dump that this server or this pg_restore cannot read is refused before anything is created.
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
  util::Command list;
  list.argv = {tools.program("pg_restore").string(), "--list", verified.resolved_path.string()};
  list.stdout_mode = util::Stream::discard;
  if (const auto result = util::run_command(list); !result.ok()) {
    throw Error(ExitCode::dump_refused,
                "dump " + dump + " cannot be read by pg_restore " + restore_tool.text + ": " + result.last_error_line(),
                "it needs a newer pg_restore (PGSEED_PG_BINDIR), or it is damaged; nothing was touched");
  }
}

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

}  // namespace

void check_connected_sessions(const pg::ConnInfo& target, ConnectedSessions policy) {
  if (policy == ConnectedSessions::terminate) return;
  const auto admin = connect_maintenance(target);
  if (const int sessions = count_sessions(*admin, target.database()); sessions > 0) {
    throw sessions_error(target.database(), sessions);
  }
}

RestoreResult restore_dump(const pg::ConnInfo& target, const pg::PgTools& tools, const VerifyResult& verified,
                           const RestoreOptions& options, Reporter& reporter) {
  if (!verified.ok() || !verified.metadata) throw Error(ExitCode::failure, "internal: restore of an unverified dump");
  const std::string database = target.database();
  check_database_name(database);
  const auto admin_connection = connect_maintenance(target);
  pg::Connection& admin = *admin_connection;
  const auto started = std::chrono::steady_clock::now();

  // One run at a time replaces a given database; a second one waits here and then replaces the
  // result of the first, instead of racing it to CREATE or RENAME.
  const SessionLock target_lock(admin, LockScope::target, database, reporter,
                                "another pgseed run that is replacing database " + database);
  remove_abandoned_helpers(admin, reporter);
  check_readable(admin, tools, verified, database);

  RestoreResult result;
  result.database = database;
  const bool target_exists =
      admin.query_value("SELECT count(*) FROM pg_database WHERE datname = " + admin.quote_literal(database)) != "0";
  result.created = !target_exists;
  if (target_exists && options.sessions == ConnectedSessions::refuse) {
    // Checked now so that a refusal comes before minutes of restoring, and again at the swap.
    if (const int sessions = count_sessions(admin, database); sessions > 0) throw sessions_error(database, sessions);
  }

  HelperDatabase scratch(admin, helper_name(database, "restore"), reporter);
  std::string create_options = " TEMPLATE template0";
  if (target_exists) {
    // Keep the target's encoding and locale: the swap should change the data, nothing else.
    const auto settings = admin.query("SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = " +
                                      admin.quote_literal(database));
    create_options += " ENCODING " + admin.quote_literal(*settings[0][0]) + " LC_COLLATE " +
                      admin.quote_literal(*settings[0][1]) + " LC_CTYPE " + admin.quote_literal(*settings[0][2]);
  }
  scratch.create(create_options);

  const int jobs = options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  reporter.info("restoring " + verified.dump_path.filename().string() + " into scratch database " + scratch.name() +
                " (" + std::to_string(jobs) + " jobs)");
  auto phase = std::chrono::steady_clock::now();
  auto took = [&phase] {
    const std::string seconds = util::format_seconds(util::seconds_since(phase));
    phase = std::chrono::steady_clock::now();
    return seconds;
  };
  pg::ConnInfo restore_into = target.with("dbname", scratch.name());
  if (has_fast_toast_compression(admin)) {
    restore_into = restore_into.with_setting("default_toast_compression", fast_toast_compression);
  }
  std::uint64_t total_rows = 0;
  for (const auto& entry : verified.metadata->record_counts) total_rows += static_cast<std::uint64_t>(entry.second);
  CopyProgress copied(maintenance_connection(target), scratch.name());
  try {
    // --no-owner/--no-acl: a dev dump must restore for whichever role restores it.
    tools.run_client("pg_restore", restore_into,
                     {"--jobs=" + std::to_string(jobs), "--no-owner", "--no-acl", "--exit-on-error",
                      verified.resolved_path.string()},
                     [&] { reporter.progress("restoring " + database, copied.rows_done(), total_rows, ProgressUnit::rows); });
  } catch (const Error& e) {
    reporter.progress_done();
    throw Error(e.code(), "restore into a scratch copy of database " + database + " failed: " + e.what(),
                "database " + database + " was not touched");
  }
  reporter.progress_done();

  reporter.info("pg_restore finished in " + took());
  {
    pg::Connection restored(target.with("dbname", scratch.name()));
    result.counts = count_records(restored);
  }
  compare_counts(verified.metadata->record_counts, result.counts);
  reporter.info("row counts of " + std::to_string(result.counts.size()) + " tables match the metadata (" + took() + ")");

  // The swap. Until this transaction commits, the target is exactly as it was.
  HelperDatabase previous(admin, helper_name(database, "previous"), reporter);
  for (int attempt = 0;; ++attempt) {
    if (target_exists) {
      if (options.sessions == ConnectedSessions::terminate) terminate_sessions(admin, database);
      else if (const int sessions = count_sessions(admin, database); sessions > 0) throw sessions_error(database, sessions);
    }
    try {
      pg::Transaction swap(admin);
      if (target_exists) {
        swap.execute("ALTER DATABASE " + admin.quote_identifier(database) + " RENAME TO " + admin.quote_identifier(previous.name()));
      }
      swap.execute("ALTER DATABASE " + admin.quote_identifier(scratch.name()) + " RENAME TO " + admin.quote_identifier(database));
      swap.commit();
      break;
    } catch (const pg::SqlError& e) {
      // A client connected between our check and the rename. With --force, terminate and retry.
      if (e.sqlstate() == object_in_use && options.sessions == ConnectedSessions::terminate && attempt < 5) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      if (e.sqlstate() == object_in_use) throw sessions_error(database, 1);
      throw;
    }
  }
  scratch.hand_over();
  if (target_exists) previous.now_ours();
  reporter.info("swapped " + scratch.name() + " in as " + database + " (" + took() + ")");

  if (target_exists) {
    try {
      previous.drop();
      reporter.info("dropped the previous copy of " + database + " (" + took() + ")");
    } catch (const Error& e) {
      previous.hand_over();
      result.previous_database_left_behind = previous.name();
      reporter.warning("the previous copy of " + database + " is kept as " + previous.name() + ": " + e.what());
    }
  }
  reporter.info("restored " + database + " in " + util::format_seconds(util::seconds_since(started)));
  return result;
}

}  // namespace pgseed::core
