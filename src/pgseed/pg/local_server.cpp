#include "pgseed/pg/local_server.h"

#include "pgseed/error.h"
#include "pgseed/pg/cluster.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/atomic_file.h"
#include "pgseed/util/file_lock.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/sha256.h"
#include "pgseed/util/unique_name.h"

#include <arpa/inet.h>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace pgseed::pg {
namespace fs = std::filesystem;

namespace {

const char* environment_value(const char* name) {
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? value : nullptr;
}

// Lowercase letters, digits and '_' of the project directory's name: a database name that needs no
// quoting anywhere.
std::string simple_name(const fs::path& project_root) {
  std::string name;
  for (const char c : project_root.filename().string()) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte)) name += static_cast<char>(std::tolower(byte));
    else if (!name.empty() && name.back() != '_') name += '_';
  }
  while (!name.empty() && name.back() == '_') name.pop_back();
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) name = "app" + name;
  return name.substr(0, 40);
}

fs::path default_parent() {
  if (::geteuid() == 0) return "/var/lib/pgseed";
  if (const char* state = environment_value("XDG_STATE_HOME")) return fs::path(state) / "pgseed";
  if (const char* home = environment_value("HOME")) return fs::path(home) / ".local" / "state" / "pgseed";
  return util::temp_directory_root() / ("pgseed-" + std::to_string(::getuid()));
}

bool port_is_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return free;
}

}  // namespace

LocalServer::LocalServer(const PgTools& tools, const fs::path& project_root) : tools_(tools) {
  const fs::path root = fs::weakly_canonical(fs::absolute(project_root));
  database_ = simple_name(root);
  if (const char* configured = environment_value("PGSEED_LOCAL_SERVER_DIR")) {
    directory_ = fs::absolute(configured);
  } else {
    directory_ = default_parent() / (database_ + "-" + util::sha256_hex(root.string()).substr(0, 8));
  }
  if (::geteuid() == 0) {
    server_user_ = util::find_user("postgres");
    if (!server_user_) {
      throw Error(ExitCode::failure, "cannot run the local server as root: there is no 'postgres' account",
                  "install postgresql-15 (it creates the account) or pass --database-url");
    }
  }
}

util::CommandResult LocalServer::run_as_server_user(std::vector<std::string> argv) const {
  util::Command command;
  command.argv = std::move(argv);
  command.run_as = server_user_;
  command.working_directory = directory_;
  for (const char* variable : {"PGHOST", "PGPORT", "PGDATA", "PGUSER", "PGDATABASE", "PGPASSWORD"}) {
    command.env[variable] = std::nullopt;
  }
  return util::run_command(command);
}

int LocalServer::port() const {
  if (const char* configured = environment_value("PGSEED_LOCAL_PORT")) return std::atoi(configured);
  std::ifstream file(directory_ / "port");
  int port = 0;
  if (file >> port && port > 0) return port;
  throw Error(ExitCode::failure, "local server " + directory_.string() + " has no port yet", "run pgseed up");
}

bool LocalServer::initialized() const {
  std::error_code error;
  return fs::exists(data_directory() / "PG_VERSION", error) && fs::exists(directory_ / "port", error);
}

bool LocalServer::running() const {
  if (!initialized()) return false;
  return run_as_server_user({tools_.program("pg_ctl").string(), "status", "--pgdata=" + data_directory().string()}).ok();
}

LocalServer::Started LocalServer::start() {
  std::error_code error;
  fs::create_directories(directory_, error);
  if (error) {
    throw Error(ExitCode::failure, "cannot create the local server's directory " + directory_.string() + ": " + error.message(),
                "set PGSEED_LOCAL_SERVER_DIR to a directory you can write");
  }
  if (server_user_ && ::chown(directory_.c_str(), server_user_->uid, server_user_->gid) != 0) {
    throw Error(ExitCode::failure, "cannot hand " + directory_.string() + " to the postgres account");
  }
  // Two `pgseed up` at once: one initialises and starts, the other then finds it running.
  const util::FileLock lock(directory_);
  if (running()) return Started::already_running;

  bool initialized_now = false;
  if (!initialized()) {
    // initdb into a temporary name and rename: a kill during initdb never leaves a half-made data
    // directory under the real name; the next start removes the leftover.
    for (const auto& entry : fs::directory_iterator(directory_)) {
      if (entry.path().filename().string().rfind("data.tmp-", 0) == 0) fs::remove_all(entry.path(), error);
    }
    const fs::path staging = directory_ / ("data.tmp-" + util::random_hex(4));
    const auto result = run_as_server_user({tools_.program("initdb").string(), "--pgdata=" + staging.string(),
                                            "--username=postgres", "--auth=trust", "--encoding=UTF8", "--locale=C",
                                            "--no-instructions"});
    if (!result.ok()) {
      fs::remove_all(staging, error);
      throw Error(ExitCode::failure, "local server: initdb failed: " + result.last_error_line());
    }
    int port = 0;
    if (const char* configured = environment_value("PGSEED_LOCAL_PORT")) {
      port = std::atoi(configured);
    } else {
      const int preferred = 54330 + static_cast<int>(std::stoul(util::sha256_hex(directory_.string()).substr(0, 6), nullptr, 16) % 1000);
      for (int offset = 0; offset < 1000 && port == 0; ++offset) {
        const int candidate = 54330 + (preferred - 54330 + offset) % 1000;
        if (port_is_free(candidate)) port = candidate;
      }
      if (port == 0) port = find_free_port();
    }
    util::write_file_atomically(directory_ / "port", std::to_string(port) + "\n");
    util::durable_rename(staging, data_directory());
    initialized_now = true;
  }

  const std::string options = "-p " + std::to_string(port()) + " -k " + directory_.string() +
                              " -c listen_addresses=127.0.0.1";
  const auto result = run_as_server_user({tools_.program("pg_ctl").string(), "start", "--wait", "--timeout=60",
                                          "--pgdata=" + data_directory().string(),
                                          "--log=" + (directory_ / "server.log").string(), "--options=" + options});
  if (!result.ok()) {
    std::string reason = result.last_error_line();
    std::ifstream log(directory_ / "server.log");
    for (std::string line; std::getline(log, line);) {
      if (line.find("FATAL") != std::string::npos) reason = line;
    }
    throw Error(ExitCode::failure, "local server on 127.0.0.1:" + std::to_string(port()) + " did not start: " + reason,
                "another server may hold the port: set PGSEED_LOCAL_PORT, or see " + (directory_ / "server.log").string());
  }
  if (initialized_now) {
    Connection admin(connection("postgres"));
    admin.execute("CREATE DATABASE " + admin.quote_identifier(database_));
    return Started::initialized_and_started;
  }
  return Started::started;
}

bool LocalServer::stop() {
  if (!running()) return false;
  const auto result = run_as_server_user({tools_.program("pg_ctl").string(), "stop", "--wait", "--timeout=60",
                                          "--mode=fast", "--pgdata=" + data_directory().string()});
  if (!result.ok()) {
    throw Error(ExitCode::failure, "local server " + directory_.string() + " did not stop: " + result.last_error_line());
  }
  return true;
}

ConnInfo LocalServer::connection(const std::string& database) const {
  return ConnInfo::from_options({{"host", "127.0.0.1"},
                                 {"port", std::to_string(port())},
                                 {"user", "postgres"},
                                 {"dbname", database.empty() ? database_ : database}});
}

std::string LocalServer::database_url() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port()) + "/" + database_;
}

}  // namespace pgseed::pg
