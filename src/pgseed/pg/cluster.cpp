#include "pgseed/pg/cluster.h"

#include "pgseed/error.h"
#include "pgseed/pg/database.h"

#include <arpa/inet.h>
#include <csignal>
#include <fstream>
#include <netinet/in.h>
#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pgseed::pg {
namespace fs = std::filesystem;

int find_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw Error(ExitCode::failure, "cannot open a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw Error(ExitCode::failure, "cannot find a free TCP port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

util::CommandResult EmbeddedCluster::run_as_server_user(std::vector<std::string> argv,
                                                        util::Command::OnInterrupt on_interrupt) const {
  util::Command command;
  command.argv = std::move(argv);
  command.on_interrupt = on_interrupt;
  command.run_as = server_user_;
  command.working_directory = directory_->path();  // root's cwd may not be readable by postgres
  // The server and its tools must not pick up a caller's connection settings.
  for (const char* variable : {"PGHOST", "PGPORT", "PGDATA", "PGUSER", "PGDATABASE", "PGPASSWORD"}) {
    command.env[variable] = std::nullopt;
  }
  return util::run_command(command);
}

EmbeddedCluster::EmbeddedCluster(const PgTools& tools, ClusterOptions options)
    : tools_(tools), options_(std::move(options)) {
  if (::geteuid() == 0) {
    server_user_ = util::find_user("postgres");
    if (!server_user_) {
      throw Error(ExitCode::failure, "cannot start the embedded cluster as root: there is no 'postgres' account",
                  "install postgresql-15 (it creates the account) or pass --database-url");
    }
  }
  // The socket path must stay under the ~107-byte sun_path limit, so the directory has a short name.
  directory_ = std::make_unique<util::TemporaryDirectory>("pgseed-", options_.parent_directory);
  socket_directory_ = directory_->path();
  if (server_user_ && ::chown(directory_->path().c_str(), server_user_->uid, server_user_->gid) != 0) {
    throw Error(ExitCode::failure, "cannot hand " + directory_->path().string() + " to the postgres account");
  }

  auto check = [](const util::CommandResult& result, const std::string& step) {
    if (!result.ok()) {
      throw Error(ExitCode::failure, "embedded cluster: " + step + " failed: " + result.last_error_line());
    }
  };
  check(run_as_server_user({tools_.program("initdb").string(), "--pgdata=" + data_directory().string(),
                            "--username=postgres", "--auth=trust", "--encoding=UTF8", "--locale=C",
                            "--no-sync", "--no-instructions"}),
        "initdb");

  // Another process may take the port between our probe and the server's bind: try a few.
  std::string last_error;
  for (int attempt = 0; attempt < 5 && !running_; ++attempt) {
    port_ = find_free_port();
    std::string server_options = "-p " + std::to_string(port_) + " -k " + socket_directory_.string() +
                                 " -c listen_addresses=127.0.0.1 -c max_connections=50";
    if (!options_.durable) server_options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
    const auto result = run_as_server_user({tools_.program("pg_ctl").string(), "start", "--wait", "--timeout=60",
                                            "--pgdata=" + data_directory().string(),
                                            "--log=" + (directory_->path() / "server.log").string(),
                                            "--options=" + server_options});
    if (result.ok()) {
      running_ = true;
    } else {
      last_error = result.last_error_line();
      std::ifstream log(directory_->path() / "server.log");
      for (std::string line; std::getline(log, line);) {
        if (line.find("FATAL") != std::string::npos) last_error = line;
      }
    }
  }
  if (!running_) throw Error(ExitCode::failure, "embedded cluster: the server did not start: " + last_error);

  try {
    finish_start();
  } catch (...) {
    stop();  // a constructor that throws gets no destructor call
    throw;
  }
}

void EmbeddedCluster::finish_start() {
  std::ifstream pid_file(data_directory() / "postmaster.pid");
  if (pid_file >> postmaster_pid_ && postmaster_pid_ > 0) {
    forward_signals_ = std::make_unique<util::ForwardInterruptTo>(postmaster_pid_, SIGINT);  // SIGINT = fast shutdown
    start_watchdog();
  }
  if (!options_.database.empty() && options_.database != "postgres") {
    Connection admin(connection("postgres"));
    admin.execute("CREATE DATABASE " + admin.quote_identifier(options_.database));
  }
}

void EmbeddedCluster::start_watchdog() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;  // no watchdog: the destructor still stops the server
  const std::string directory = directory_->path().string();
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  if (child == 0) {
    // The watchdog: its own session, so a terminal's Ctrl-C does not take it down with us. It waits
    // until the write end closes. A disarm byte means the owner stopped the server itself; EOF
    // without it means the owner died, so stop the server hard and remove its directory.
    ::setsid();
    ::close(fds[1]);
    for (int fd = 3; fd < 1024; ++fd) {
      if (fd != fds[0]) ::close(fd);
    }
    char byte = 0;
    ssize_t got;
    do {
      got = ::read(fds[0], &byte, 1);
    } while (got < 0 && errno == EINTR);
    if (got == 1) ::_exit(0);
    ::kill(postmaster_pid_, SIGQUIT);  // immediate shutdown
    for (int i = 0; i < 100 && ::kill(postmaster_pid_, 0) == 0; ++i) ::usleep(100000);
    ::kill(postmaster_pid_, SIGKILL);
    ::execl("/bin/rm", "rm", "-rf", "--", directory.c_str(), static_cast<char*>(nullptr));
    ::_exit(1);
  }
  ::close(fds[0]);
  watchdog_pipe_ = fds[1];
  watchdog_pid_ = child;
}

void EmbeddedCluster::disarm_watchdog() noexcept {
  if (watchdog_pipe_ < 0) return;
  const char disarm = 'x';
  (void)!::write(watchdog_pipe_, &disarm, 1);
  ::close(watchdog_pipe_);
  watchdog_pipe_ = -1;
  int status = 0;
  while (::waitpid(watchdog_pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

EmbeddedCluster::~EmbeddedCluster() { stop(); }

void EmbeddedCluster::stop() noexcept {
  if (!running_) return;
  running_ = false;
  try {
    const auto result = run_as_server_user({tools_.program("pg_ctl").string(), "stop", "--wait", "--timeout=60",
                                            "--mode=fast", "--pgdata=" + data_directory().string()},
                                           util::Command::OnInterrupt::ignore);
    // A failed stop with the pid file still there means the server is stuck: nothing may outlive us.
    if (!result.ok() && postmaster_pid_ > 0 && ::access((data_directory() / "postmaster.pid").c_str(), F_OK) == 0) {
      ::kill(postmaster_pid_, SIGKILL);
    }
  } catch (...) {
    if (postmaster_pid_ > 0 && ::access((data_directory() / "postmaster.pid").c_str(), F_OK) == 0) {
      ::kill(postmaster_pid_, SIGQUIT);
      ::sleep(1);
      ::kill(postmaster_pid_, SIGKILL);
    }
  }
  disarm_watchdog();
  forward_signals_.reset();
}

ConnInfo EmbeddedCluster::connection(const std::string& database) const {
  return ConnInfo::from_options({{"host", socket_directory_.string()},
                                 {"port", std::to_string(port_)},
                                 {"user", "postgres"},
                                 {"dbname", database.empty() ? options_.database : database}});
}

ConnInfo EmbeddedCluster::tcp_connection(const std::string& database) const {
  return ConnInfo::from_options({{"host", "127.0.0.1"},
                                 {"port", std::to_string(port_)},
                                 {"user", "postgres"},
                                 {"dbname", database.empty() ? options_.database : database}});
}

}  // namespace pgseed::pg
