// The database a command works on: the configured one, the project's local server, or a throwaway
// embedded cluster.
#pragma once

#include "pgseed/commands/settings.h"
#include "pgseed/core/reporter.h"
#include "pgseed/pg/cluster.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/local_server.h"
#include "pgseed/pg/tools.h"

#include <memory>

namespace pgseed::commands {

// What a command uses when no database is configured (no --database-url, no DATABASE_URL).
enum class WhenUnconfigured {
  throwaway_cluster,  // dump: its result must not depend on local state
  local_server,       // the day-to-day commands: the project's persistent server, started if down
};

class DatabaseTarget {
public:
  // Says on the reporter which server and database the command acts on.
  DatabaseTarget(const Settings& settings, core::Reporter& reporter, WhenUnconfigured when_unconfigured);

  const pg::ConnInfo& connection() const noexcept { return connection_; }
  const pg::PgTools& tools() const noexcept { return tools_; }
  bool embedded() const noexcept { return cluster_ != nullptr; }
  bool local_server() const noexcept { return local_server_; }
  // "database appdb on db.example:5432", for messages and confirmations.
  std::string description() const;

private:
  pg::PgTools tools_;
  std::unique_ptr<pg::EmbeddedCluster> cluster_;  // stopped and removed with this object
  bool local_server_ = false;
  pg::ConnInfo connection_;
};

}  // namespace pgseed::commands
