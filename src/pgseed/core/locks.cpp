#include "pgseed/core/locks.h"

#include "pgseed/error.h"
#include "pgseed/util/interrupt.h"

#include <chrono>
#include <thread>

namespace pgseed::core {
namespace {

std::string key_arguments(pg::Connection& connection, LockScope scope, const std::string& name) {
  return std::to_string(static_cast<std::int32_t>(scope)) + ", hashtext(" + connection.quote_literal(name) + ")";
}

// pg_locks shows a two-key advisory lock as classid = key1, objid = key2 (as unsigned), objsubid = 2.
std::string lock_condition(pg::Connection& connection, LockScope scope, const std::string& name) {
  return "l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = " +
         std::to_string(static_cast<std::int32_t>(scope)) + "::oid AND l.objid = (hashtext(" +
         connection.quote_literal(name) + ")::bigint & 4294967295)::oid";
}

// The backend holding the lock, for the waiting message; empty when it could not be seen.
std::string holder_of(pg::Connection& connection, LockScope scope, const std::string& name) {
  try {
    const auto rows = connection.query(
        "SELECT l.pid, coalesce(a.client_addr::text, 'local') FROM pg_locks l "
        "LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE " + lock_condition(connection, scope, name) + " LIMIT 1");
    if (rows.empty()) return {};
    return "held by server backend " + rows[0][0].value_or("?") + ", client " + rows[0][1].value_or("?");
  } catch (const Error&) {
    return {};
  }
}

}  // namespace

bool SessionLock::held_anywhere(pg::Connection& connection, LockScope scope, const std::string& name) {
  return connection.query_value("SELECT count(*) FROM pg_locks l WHERE " + lock_condition(connection, scope, name)) != "0";
}

bool SessionLock::try_take(pg::Connection& connection, LockScope scope, const std::string& name) {
  return connection.query_value("SELECT pg_try_advisory_lock(" + key_arguments(connection, scope, name) + ")") == "t";
}

void SessionLock::release(pg::Connection& connection, LockScope scope, const std::string& name) noexcept {
  try {
    connection.execute("SELECT pg_advisory_unlock(" + key_arguments(connection, scope, name) + ")");
  } catch (...) {
    // The lock goes with the session anyway.
  }
}

SessionLock::SessionLock(pg::Connection& connection, LockScope scope, const std::string& name, Reporter& reporter,
                         const std::string& waiting_for, LockWait wait)
    : connection_(connection), scope_(scope), name_(name) {
  // Polling rather than a blocking pg_advisory_lock(): Ctrl-C must be able to end the wait.
  bool said = false;
  while (!try_take(connection, scope, name)) {
    if (wait == LockWait::fail) {
      const std::string holder = holder_of(connection, scope, name);
      throw Error(ExitCode::refused, "busy: " + waiting_for + (holder.empty() ? "" : " (" + holder + ")"),
                  "run again when it is done, or without --no-wait to wait for it");
    }
    if (!said) {
      const std::string holder = holder_of(connection, scope, name);
      reporter.info("waiting for " + waiting_for + (holder.empty() ? "" : " (" + holder + ")"));
      said = true;
    }
    util::throw_if_interrupted();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

SessionLock::~SessionLock() { release(connection_, scope_, name_); }

}  // namespace pgseed::core
