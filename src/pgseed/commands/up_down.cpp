#include "pgseed/commands/commands.h"
#include "pgseed/core/project.h"
#include "pgseed/pg/local_server.h"

#include <ostream>

namespace pgseed::commands {

int run_up(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  pg::LocalServer server(pg::PgTools::locate(), core::ProjectLayout::at(settings.project_directory).root);
  const auto started = server.start();
  switch (started) {
    case pg::LocalServer::Started::initialized_and_started:
      reporter.info("initialised the project's local server in " + server.directory().string());
      break;
    case pg::LocalServer::Started::started: reporter.info("started the project's local server"); break;
    case pg::LocalServer::Started::already_running: reporter.info("the project's local server is already running"); break;
  }
  // stdout is the one line an app or a shell needs: eval "$(pgseed up)" sets it.
  out << "DATABASE_URL=" << server.database_url() << "\n";
  return 0;
}

int run_down(const Settings& settings, core::Reporter& reporter, std::ostream& out) {
  check_project_directory(settings);
  pg::LocalServer server(pg::PgTools::locate(), core::ProjectLayout::at(settings.project_directory).root);
  const bool stopped = server.stop();
  out << (stopped ? "down: stopped" : "down: not running") << " the local server of " << server.directory().string()
      << " (data kept)\n";
  (void)reporter;
  return 0;
}

}  // namespace pgseed::commands
