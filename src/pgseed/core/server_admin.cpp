#include "pgseed/core/server_admin.h"

#include "pgseed/core/locks.h"
#include "pgseed/core/names.h"
#include "pgseed/error.h"
#include "pgseed/util/sha256.h"
#include "pgseed/util/unique_name.h"

namespace pgseed::core {

// Scratch and previous databases: <database>_pgseed_<role>_<8 random hex><4 hex check>. The check
// digits (a hash of the random part and the role) are what tells pgseed's own databases from one
// that merely has such a name: an accidental lookalike passes 1 time in 65,536. (A marker set after
// CREATE DATABASE would not do: a run killed during CREATE leaves the database without it, because
// the server finishes the statement before it notices its client is gone.)
const char* const helper_database_pattern = "_pgseed_(restore|previous)_[0-9a-f]{12}$";

namespace {
std::string check_digits(const std::string& role, const std::string& random) {
  return util::sha256_hex("pgseed helper database:" + role + ":" + random).substr(0, 4);
}
}  // namespace

std::string helper_name(const std::string& database, const std::string& role) {
  const std::string random = util::random_hex(4);
  const std::string suffix = "_pgseed_" + role + "_" + random + check_digits(role, random);
  return utf8_prefix(database, max_identifier_bytes - suffix.size()) + suffix;
}

bool is_helper_database_name(const std::string& name) {
  for (const std::string role : {"restore", "previous"}) {
    const std::string marker = "_pgseed_" + role + "_";
    const auto at = name.rfind(marker);
    if (at == std::string::npos || name.size() != at + marker.size() + 12) continue;
    const std::string tail = name.substr(at + marker.size());
    if (tail.find_first_not_of("0123456789abcdef") != std::string::npos) continue;
    if (check_digits(role, tail.substr(0, 8)) == tail.substr(8)) return true;
  }
  return false;
}

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

// Scratch and previous databases that a killed run left behind: pgseed's name with valid check
// digits, an owner lock that nobody holds, not the database this run works on, and not protected.
// Dropped with FORCE, which also ends an orphaned pg_restore still writing into one.
void remove_abandoned_helpers(pg::Connection& admin, Reporter& reporter, const std::string& target) {
  const auto rows = admin.query(
      "SELECT d.datname, EXISTS (SELECT 1 FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0 "
      "AND 'pgseed.protected=on' = ANY(s.setconfig)) FROM pg_database d WHERE d.datname ~ " +
      admin.quote_literal(helper_database_pattern));
  for (const auto& row : rows) {
    const std::string name = row[0].value_or("");
    if (name.empty() || name == target || row[1].value_or("f") == "t" || !is_helper_database_name(name)) continue;
    if (SessionLock::held_anywhere(admin, LockScope::owner, name)) continue;
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

void refuse_system_database(const std::string& database) {
  if (database == "template0" || database == "template1") {
    throw Error(ExitCode::usage, "database " + database + " is the server's own template; pgseed does not replace it",
                "name the database your app uses");
  }
}

}  // namespace pgseed::core
