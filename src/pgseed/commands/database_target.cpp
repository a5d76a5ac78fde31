#include "pgseed/commands/database_target.h"

namespace pgseed::commands {

DatabaseTarget::DatabaseTarget(const Settings& settings, core::Reporter& reporter) : tools_(pg::PgTools::locate()) {
  if (settings.database_url && !settings.database_url->empty()) {
    connection_ = pg::ConnInfo::parse(*settings.database_url);
    return;
  }
  reporter.info("no database configured: starting an embedded PostgreSQL cluster");
  cluster_ = std::make_unique<pg::EmbeddedCluster>(tools_);
  connection_ = cluster_->connection();
}

}  // namespace pgseed::commands
