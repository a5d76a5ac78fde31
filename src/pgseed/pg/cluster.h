// A private, throwaway PostgreSQL cluster: pgseed's default when no database is configured, and the
// server the tests run against.
//
// It lives in a fresh temporary directory, listens on 127.0.0.1 at a free port and on a unix socket
// in that directory, and is stopped and removed by the destructor, also when the job fails or is
// interrupted (a signal is forwarded to the postmaster as a fast shutdown). A watchdog process stops
// and removes it even when this process dies without unwinding (SIGKILL, abort, a crashed test), at
// any moment: the watchdog is forked first and creates the directory itself, so it covers initdb and a
// server that pg_ctl launched but that has not written its pid file yet. initdb and postgres refuse
// to run as root, so under root the server runs as the `postgres` account, which owns the directory.
#pragma once

#include "pgseed/pg/conninfo.h"
#include "pgseed/pg/tools.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/interrupt.h"
#include "pgseed/util/subprocess.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace pgseed::pg {

class ClusterWatchdog;

struct ClusterOptions {
  std::filesystem::path parent_directory;  // empty: $TMPDIR or /tmp
  std::string database = "pgseed";         // created after start
  bool durable = false;                     // false: fsync=off, fine for a throwaway cluster
  // initdb --locale. C sorts fastest and is the same everywhere; a physical snapshot needs the
  // locale the postgres image initialises its clusters with (core/physical.cpp).
  std::string locale = "C";
};

class EmbeddedCluster {
public:
  EmbeddedCluster(const PgTools& tools, ClusterOptions options = {});
  ~EmbeddedCluster();
  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;

  // Connection to `database` (the default one when empty) as the superuser, over the unix socket.
  ConnInfo connection(const std::string& database = {}) const;
  // The same over TCP on 127.0.0.1.
  ConnInfo tcp_connection(const std::string& database = {}) const;
  int port() const noexcept { return port_; }
  const std::filesystem::path& directory() const noexcept { return directory_->path(); }
  const std::filesystem::path& socket_directory() const noexcept { return socket_directory_; }
  std::filesystem::path data_directory() const { return directory_->path() / "data"; }
  // The OS account the server runs as, when it is not us.
  const std::optional<util::UserIdentity>& server_user() const noexcept { return server_user_; }

  // Stops the server (fast shutdown). Safe to call twice; the destructor calls it.
  void stop() noexcept;
  // Whether the last stop() was a clean fast shutdown (its data directory is then consistent on disk).
  bool stopped_cleanly() const noexcept { return stopped_cleanly_; }

private:
  void finish_start();
  util::CommandResult run_as_server_user(
      std::vector<std::string> argv,
      util::Command::OnInterrupt on_interrupt = util::Command::OnInterrupt::forward_and_throw) const;

  PgTools tools_;
  ClusterOptions options_;
  std::optional<util::UserIdentity> server_user_;
  // Declared before directory_, so destroyed after it: the watchdog outlives the directory.
  std::unique_ptr<ClusterWatchdog> watchdog_;
  std::unique_ptr<util::TemporaryDirectory> directory_;
  std::filesystem::path socket_directory_;
  int port_ = 0;
  pid_t postmaster_pid_ = 0;
  std::unique_ptr<util::ForwardInterruptTo> forward_signals_;
  bool stopped_cleanly_ = false;  // pg_ctl stop succeeded: nothing of the server is left to kill
  bool running_ = false;
};

// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
int find_free_port();

}  // namespace pgseed::pg
