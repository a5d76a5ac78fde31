#include "pgseed/core/restore.h"

#include "pgseed/core/inventory.h"
#include "pgseed/core/toast_compression.h"
#include "pgseed/error.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/time.h"

#include <chrono>
#include <thread>
#include <unistd.h>

namespace pgseed::core {

namespace {

// SQLSTATE 55006: object_in_use ("database is being accessed by other users").
constexpr const char* object_in_use = "55006";

pg::ConnInfo maintenance_connection(const pg::ConnInfo& target) {
  // Never the target itself: a database cannot be renamed or dropped while we are connected to it.
  return target.with("dbname", target.database() == "postgres" ? "template1" : "postgres");
}

std::string helper_name(const std::string& database, const std::string& role) {
  // Identifiers are at most 63 bytes; keep the target's name recognisable within that.
  const std::string suffix = "_pgseed_" + role + "_" + std::to_string(::getpid());
  return database.substr(0, 63 - suffix.size()) + suffix;
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

// DROP DATABASE, terminating stray sessions where the server can (WITH (FORCE) is PostgreSQL 13+).
void drop_database(pg::Connection& admin, const std::string& name) {
  const std::string force = admin.server_version_num() >= 130000 ? " WITH (FORCE)" : "";
  admin.execute("DROP DATABASE IF EXISTS " + admin.quote_identifier(name) + force);
}

Error sessions_error(const std::string& database, int sessions) {
  return Error(ExitCode::refused,
               "database " + database + " has " + std::to_string(sessions) + " other connected session" +
                   (sessions == 1 ? "" : "s") + "; refusing to replace it",
               "close them (stop your app), or pass --force to terminate them");
}

// Drops the scratch database unless the restore went through.
class ScratchDatabase {
public:
  ScratchDatabase(pg::Connection& admin, std::string name) : admin_(admin), name_(std::move(name)) {}
  ~ScratchDatabase() {
    if (released_) return;
    try {
      drop_database(admin_, name_);
    } catch (...) {
      // Best effort on the way out; the name says what it is and it holds nothing of the target.
    }
  }
  const std::string& name() const { return name_; }
  void release() { released_ = true; }

private:
  pg::Connection& admin_;
  std::string name_;
  bool released_ = false;
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
  pg::Connection admin(maintenance_connection(target));
  if (const int sessions = count_sessions(admin, target.database()); sessions > 0) {
    throw sessions_error(target.database(), sessions);
  }
}

RestoreResult restore_dump(const pg::ConnInfo& target, const pg::PgTools& tools, const VerifyResult& verified,
                           const RestoreOptions& options, Reporter& reporter) {
  if (!verified.ok() || !verified.metadata) throw Error(ExitCode::failure, "internal: restore of an unverified dump");
  const std::string database = target.database();
  pg::Connection admin(maintenance_connection(target));

  RestoreResult result;
  result.database = database;
  const bool target_exists =
      admin.query_value("SELECT count(*) FROM pg_database WHERE datname = " + admin.quote_literal(database)) != "0";
  result.created = !target_exists;
  if (target_exists && options.sessions == ConnectedSessions::refuse) {
    // Checked now so that a refusal comes before minutes of restoring, and again at the swap.
    if (const int sessions = count_sessions(admin, database); sessions > 0) throw sessions_error(database, sessions);
  }

  ScratchDatabase scratch(admin, helper_name(database, "restore"));
  std::string create = "CREATE DATABASE " + admin.quote_identifier(scratch.name()) + " TEMPLATE template0";
  if (target_exists) {
    // Keep the target's encoding and locale: the swap should change the data, nothing else.
    const auto settings = admin.query("SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = " +
                                      admin.quote_literal(database));
    create += " ENCODING " + admin.quote_literal(*settings[0][0]) + " LC_COLLATE " + admin.quote_literal(*settings[0][1]) +
              " LC_CTYPE " + admin.quote_literal(*settings[0][2]);
  }
  admin.execute(create);

  const int jobs = options.jobs > 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  reporter.info("restoring " + verified.dump_path.filename().string() + " into scratch database " + scratch.name() +
                " (" + std::to_string(jobs) + " jobs)");
  const auto started = std::chrono::steady_clock::now();
  auto phase = std::chrono::steady_clock::now();
  auto took = [&phase] {
    const std::string seconds = std::to_string(util::seconds_since(phase)).substr(0, 5);
    phase = std::chrono::steady_clock::now();
    return seconds + " s";
  };
  pg::ConnInfo restore_into = target.with("dbname", scratch.name());
  if (has_fast_toast_compression(admin)) {
    restore_into = restore_into.with_setting("default_toast_compression", fast_toast_compression);
  }
  // --no-owner/--no-acl: a dev dump must restore for whichever role restores it.
  tools.run_client("pg_restore", restore_into,
                   {"--jobs=" + std::to_string(jobs), "--no-owner", "--no-acl", "--exit-on-error",
                    verified.resolved_path.string()});

  reporter.info("pg_restore finished in " + took());
  {
    pg::Connection restored(target.with("dbname", scratch.name()));
    result.counts = count_records(restored);
  }
  compare_counts(verified.metadata->record_counts, result.counts);
  reporter.info("row counts of " + std::to_string(result.counts.size()) + " tables match the metadata (" + took() + ")");

  // The swap. Until this transaction commits, the target is exactly as it was.
  const std::string previous = helper_name(database, "previous");
  for (int attempt = 0;; ++attempt) {
    if (target_exists) {
      if (options.sessions == ConnectedSessions::terminate) terminate_sessions(admin, database);
      else if (const int sessions = count_sessions(admin, database); sessions > 0) throw sessions_error(database, sessions);
    }
    try {
      pg::Transaction swap(admin);
      if (target_exists) {
        swap.execute("ALTER DATABASE " + admin.quote_identifier(database) + " RENAME TO " + admin.quote_identifier(previous));
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
  scratch.release();
  reporter.info("swapped " + scratch.name() + " in as " + database + " (" + took() + ")");

  if (target_exists) {
    try {
      drop_database(admin, previous);
      reporter.info("dropped the previous copy of " + database + " (" + took() + ")");
    } catch (const Error& e) {
      result.previous_database_left_behind = previous;
      reporter.warning("the previous copy of " + database + " is kept as " + previous + ": " + e.what());
    }
  }
  reporter.info("restored " + database + " in " + std::to_string(util::seconds_since(started)).substr(0, 5) + " s");
  return result;
}

}  // namespace pgseed::core
