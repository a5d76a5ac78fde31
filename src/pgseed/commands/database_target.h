// The database a command works on: the configured one, or a throwaway embedded cluster.
#pragma once

#include "pgseed/commands/settings.h"
#include "pgseed/core/reporter.h"
#include "pgseed/pg/cluster.h"
#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/tools.h"

#include <memory>

namespace pgseed::commands {

class DatabaseTarget {
public:
  DatabaseTarget(const Settings& settings, core::Reporter& reporter);

  const pg::ConnInfo& connection() const noexcept { return connection_; }
  const pg::PgTools& tools() const noexcept { return tools_; }
  bool embedded() const noexcept { return cluster_ != nullptr; }

private:
  pg::PgTools tools_;
  std::unique_ptr<pg::EmbeddedCluster> cluster_;  // stopped and removed with this object
  pg::ConnInfo connection_;
};

}  // namespace pgseed::commands
