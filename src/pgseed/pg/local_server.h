// The project's own persistent PostgreSQL server: what `pgseed up` starts, and the database the
// day-to-day commands (migrate, seed, restore, reset, snapshot, status, protect) act on when no
// database is configured.
//
// Unlike the embedded cluster that `dump` uses (thrown away, so that a dump never depends on local
// state), this one keeps its data: it survives `pgseed down`/`up` and reboots.
//   - Where: one directory per project, named after the project and a hash of its path, in a place
//     the server's account can reach: /var/lib/pgseed/ under root (the server runs as `postgres`,
//     which cannot enter /root), else $XDG_STATE_HOME/pgseed/ (default ~/.local/state/pgseed/).
//     PGSEED_LOCAL_SERVER_DIR names the directory itself.
//   - Port: chosen once, at initdb, from a hash of the project path (54330-55329), the next free one
//     when that is taken, then kept in the directory: stable for the project. PGSEED_LOCAL_PORT
//     overrides it.
//   - It listens on 127.0.0.1 only, with trust authentication: a development server that nothing
//     outside this machine can reach. Data is durable (fsync on), unlike the throwaway cluster.
#pragma once

#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/tools.h"
#include "pgseed/util/subprocess.h"

#include <filesystem>
#include <optional>
#include <string>

namespace pgseed::pg {

class LocalServer {
public:
  // The server of the project at `project_root` (it need not exist yet).
  LocalServer(const PgTools& tools, const std::filesystem::path& project_root);

  const std::filesystem::path& directory() const noexcept { return directory_; }
  std::filesystem::path data_directory() const { return directory_ / "data"; }
  const std::string& database() const noexcept { return database_; }
  int port() const;  // throws when the server was never initialised and no port is configured

  bool initialized() const;
  bool running() const;

  enum class Started { already_running, started, initialized_and_started };
  // initdb on first use (and CREATE DATABASE), then pg_ctl start. Idempotent.
  Started start();
  // pg_ctl stop -m fast. Returns false when it was not running.
  bool stop();

  ConnInfo connection(const std::string& database = {}) const;
  // postgresql://postgres@127.0.0.1:<port>/<database>, for the app.
  std::string database_url() const;

private:
  util::CommandResult run_as_server_user(std::vector<std::string> argv) const;

  PgTools tools_;
  std::filesystem::path directory_;
  std::string database_;
  std::optional<util::UserIdentity> server_user_;
};

}  // namespace pgseed::pg
