// The advisory locks pgseed takes on a server, and how another run tells whether one is held.
//
// Session-level advisory locks go away with the session that holds them, also when the process is
// killed: the server ends a backend whose client is gone. That makes them the one ownership proof
// that works on any server, where a PID means nothing (another host, another container):
//   - a run that is replacing a database holds the `target` lock named after it, so a second run
//     waits instead of racing it;
//   - a run that created a scratch or previous database holds the `owner` lock named after that
//     database for as long as it exists, so a leftover is removable exactly when its lock is free;
//   - seeding holds the `seed` lock on its database, as migrate holds its own.
// Keys are (scope, hashtext(name)). A hash collision can only make a lock look held: it makes a run
// wait, or keeps a leftover a while longer, never removes something that is in use.
#pragma once

#include "pgseed/core/reporter.h"
#include "pgseed/pg/database.h"

#include <cstdint>
#include <string>

namespace pgseed::core {

enum class LockScope : std::int32_t {
  // The values spell 'pgst', 'pgso', 'pgsd' so that they are recognisable in pg_locks.classid.
  target = 0x70677374,
  owner = 0x7067736f,
  seed = 0x70677364,
};

enum class LockWait { wait, fail };

// A session advisory lock held until destruction (or until the connection closes).
class SessionLock {
public:
  // Waits until the lock is free. While it waits it says once, through `reporter`, what it waits
  // for (`waiting_for`, e.g. "another pgseed restore of appdb") and which backend holds it, and it
  // notices Ctrl-C.
  // With LockWait::fail it throws Error(refused) at once instead of waiting (--no-wait).
  SessionLock(pg::Connection& connection, LockScope scope, const std::string& name, Reporter& reporter,
              const std::string& waiting_for, LockWait wait = LockWait::wait);
  ~SessionLock();
  SessionLock(const SessionLock&) = delete;
  SessionLock& operator=(const SessionLock&) = delete;

  // Takes the lock only if it is free at once; false when another session holds it.
  static bool try_take(pg::Connection& connection, LockScope scope, const std::string& name);
  static void release(pg::Connection& connection, LockScope scope, const std::string& name) noexcept;
  // Whether any session, connected to any database of the server, holds the lock. (Advisory locks
  // belong to the database the holder is connected to; pg_locks shows them all.)
  static bool held_anywhere(pg::Connection& connection, LockScope scope, const std::string& name);

private:
  pg::Connection& connection_;
  LockScope scope_;
  std::string name_;
};

}  // namespace pgseed::core
