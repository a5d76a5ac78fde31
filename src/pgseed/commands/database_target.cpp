#include "pgseed/commands/database_target.h"

#include "pgseed/core/names.h"
#include "pgseed/core/project.h"

namespace pgseed::commands {

DatabaseTarget::DatabaseTarget(const Settings& settings, core::Reporter& reporter, WhenUnconfigured when_unconfigured)
    : tools_(pg::PgTools::locate()) {
  // Every command with a database checks these before any work, whatever else it checks.
  check_project_directory(settings);
  if (settings.database_url && !settings.database_url->empty()) {
    connection_ = pg::ConnInfo::parse(*settings.database_url);
    // The server would silently cut a longer name and act on another database than the one named.
    core::check_database_name(connection_.database());
    reporter.info("acting on " + description());
    return;
  }
  if (when_unconfigured == WhenUnconfigured::throwaway_cluster) {
    reporter.info("no database configured: starting a throwaway embedded PostgreSQL cluster");
    cluster_ = std::make_unique<pg::EmbeddedCluster>(tools_);
    connection_ = cluster_->connection();
    return;
  }
  pg::LocalServer server(tools_, core::ProjectLayout::at(settings.project_directory).root);
  const auto started = server.start();
  local_server_ = true;
  connection_ = server.connection();
  reporter.info(std::string("acting on the project's local server") +
                (started == pg::LocalServer::Started::already_running ? "" : " (started it)") + ": " + description());
}

std::string DatabaseTarget::description() const {
  const std::string host = connection_.get("host").value_or("local socket");
  const auto port = connection_.get("port");
  return "database " + connection_.database() + " on " + host + (port ? ":" + *port : "");
}

}  // namespace pgseed::commands
