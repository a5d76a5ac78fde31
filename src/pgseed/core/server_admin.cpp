#include "pgseed/core/server_admin.h"

#include "pgseed/core/locks.h"
#include "pgseed/error.h"

namespace pgseed::core {

// Scratch and previous databases: <database>_pgseed_<role>_<8 random hex digits>. (A marker set
// after CREATE DATABASE would not do: a run killed during CREATE leaves the database without it,
// because the server finishes the statement before it notices its client is gone.)
const char* const helper_database_pattern = "_pgseed_(restore|previous)_[0-9a-f]{8}$";

pg::ConnInfo maintenance_connection(const pg::ConnInfo& target) {
  // Never the target itself: a database cannot be renamed or dropped while we are connected to it.
  return target.with("dbname", target.database() == "postgres" ? "template1" : "postgres");
}

// Errors about reaching the server name the user's database, not the maintenance database.
std::unique_ptr<pg::Connection> connect_maintenance(const pg::ConnInfo& target) {
  const pg::ConnInfo maintenance = maintenance_connection(target);
  try {
    return std::make_unique<pg::Connection>(maintenance);
  } catch (const Error& e) {
    throw Error(e.code(),
                "cannot reach the server of database " + target.database() + " (through its maintenance database " +
                    maintenance.database() + "): " + e.what(),
                e.hint());
  }
}

// DROP DATABASE, terminating stray sessions where the server can (WITH (FORCE) is PostgreSQL 13+).
void drop_database(pg::Connection& admin, const std::string& name) {
  const std::string force = admin.server_version_num() >= 130000 ? " WITH (FORCE)" : "";
  admin.execute("DROP DATABASE IF EXISTS " + admin.quote_identifier(name) + force);
}

// Scratch and previous databases that a killed run left behind: pgseed's name pattern, and an owner
// lock that nobody holds. Dropped with FORCE, which also ends an orphaned
// pg_restore still writing into one.
void remove_abandoned_helpers(pg::Connection& admin, Reporter& reporter) {
  const auto rows = admin.query("SELECT datname FROM pg_database WHERE datname ~ " + admin.quote_literal(helper_database_pattern));
  for (const auto& row : rows) {
    const std::string name = row[0].value_or("");
    if (name.empty() || SessionLock::held_anywhere(admin, LockScope::owner, name)) continue;
    // Taking the lock ourselves keeps a second cleaner from racing this one.
    if (!SessionLock::try_take(admin, LockScope::owner, name)) continue;
    try {
      drop_database(admin, name);
      reporter.info("removed " + name + ", left behind by a pgseed run that is gone");
    } catch (const Error& e) {
      reporter.warning("cannot remove " + name + ", left behind by a pgseed run that is gone: " + e.what());
    }
    SessionLock::release(admin, LockScope::owner, name);
  }
}

}  // namespace pgseed::core
