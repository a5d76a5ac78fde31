// Replacing a database without ever losing it: what restore, reset and the restore of a snapshot
// share.
//
// The new content is built in a scratch database. Only when it is complete and checked do two
// renames in one transaction swap it in; the old copy is then dropped. Until the swap commits the
// target is exactly as it was, and after it the target is entirely new: never a mix, never nothing.
#pragma once

#include "pgseed/core/locks.h"
#include "pgseed/core/metadata.h"
#include "pgseed/core/reporter.h"
#include "pgseed/core/server_admin.h"
#include "pgseed/error.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/database.h"

#include <string>

namespace pgseed::core {

enum class ConnectedSessions { refuse, terminate };


// A scratch or previous database of this run. The owner lock named after it is taken before the
// database exists and held until it is gone or has become the target, so "the lock is free" means
// "its run is gone" (core/server_admin.h: remove_abandoned_helpers). The destructor drops the
// database only if this run created it (or renamed the target to it) and did not hand it over.
class HelperDatabase {
public:
  HelperDatabase(pg::Connection& admin, std::string name, Reporter& reporter);
  ~HelperDatabase();
  HelperDatabase(const HelperDatabase&) = delete;
  HelperDatabase& operator=(const HelperDatabase&) = delete;

  const std::string& name() const noexcept { return name_; }
  // CREATE DATABASE <name> <options>; from then on the database is this run's.
  void create(const std::string& options);
  void now_ours() noexcept { ours_ = true; }
  void hand_over() noexcept { ours_ = false; }
  void drop();

private:
  pg::Connection& admin_;
  std::string name_;
  SessionLock lock_;
  bool ours_ = false;
};

struct TargetState {
  bool exists = false;
  // CREATE DATABASE options that keep the target's encoding and locale (empty when it does not exist).
  std::string create_options;
};

// Whether the target exists, and, under ConnectedSessions::refuse, a refusal now (before minutes of
// work) when other clients are connected to it.
TargetState inspect_target(pg::Connection& admin, const std::string& database, ConnectedSessions sessions);

Error sessions_error(const std::string& database, int sessions);

// The swap: `scratch` becomes `database`; the old database, if any, is renamed away in the same
// transaction and then dropped. Returns the name of the old copy when it could not be dropped.
std::string swap_in(pg::Connection& admin, HelperDatabase& scratch, const std::string& database, bool target_exists,
                    ConnectedSessions sessions, Reporter& reporter);

// What public.pgseed_provenance records: where a database came from (the init script writes the same
// table, without `kind`).
struct Provenance {
  std::string file;
  std::string checksum;
  std::string git_version;
  std::string environment;   // the dump's environment; for a snapshot, the database it was taken from
  std::string dumped_at;     // ISO 8601
  std::string restored_by;   // "pgseed restore", "pgseed reset"
  std::string kind;          // "dump", "snapshot", "seed"
};
Provenance provenance_of(const DumpMetadata& metadata, const std::string& restored_by);
// Replaces the table in `database` (the scratch copy, before the swap) with one row.
void write_provenance(const pg::ConnInfo& database, const Provenance& provenance);

}  // namespace pgseed::core
