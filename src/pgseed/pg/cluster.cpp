#include "pgseed/pg/cluster.h"

#include "pgseed/error.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/unique_fd.h"
#include "pgseed/util/unique_name.h"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pgseed::pg {
namespace fs = std::filesystem;

int find_free_port() {
  const util::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw Error(ExitCode::failure, "cannot open a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw Error(ExitCode::failure, "cannot find a free TCP port on 127.0.0.1");
  }
  return ntohs(address.sin_port);
}

namespace {
// The watchdog runs in a child forked from a process that may have other threads, so it sticks to
// system calls and stack buffers: no allocation, no stdio.

// Reads up to size - 1 bytes of a small file, NUL-terminated; the length, or -1.
ssize_t read_small_file(const char* path, char* buffer, std::size_t size) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  std::size_t filled = 0;
  while (filled + 1 < size) {
    const ssize_t got = ::read(fd, buffer + filled, size - 1 - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    filled += static_cast<std::size_t>(got);
  }
  ::close(fd);
  buffer[filled] = '\0';
  return static_cast<ssize_t>(filled);
}

void proc_path(char* out, std::size_t size, const char* pid, const char* leaf) {
  std::snprintf(out, size, "/proc/%s/%s", pid, leaf);
}

// Whether `text` holds `directory` as a whole path or a path prefix (followed by '/', a NUL, a
// space as in "(deleted)", or the end).
bool mentions(const char* text, std::size_t length, const char* directory, std::size_t directory_length) {
  for (const char* at = text; length >= directory_length && at <= text + length - directory_length; ++at) {
    const void* found = ::memmem(at, static_cast<std::size_t>(text + length - at), directory, directory_length);
    if (found == nullptr) return false;
    const char* end = static_cast<const char*>(found) + directory_length;
    if (end == text + length || *end == '/' || *end == '\0' || *end == ' ') return true;
    at = static_cast<const char*>(found);
  }
  return false;
}

// Whether the process works in `directory` (its cwd is in there: initdb, pg_ctl and every server
// process, which inherit it or chdir to the data directory) or names it on its command line.
bool process_uses(const char* pid, const char* directory, std::size_t directory_length) {
  char path[64], text[4096];
  proc_path(path, sizeof path, pid, "cwd");
  const ssize_t link_length = ::readlink(path, text, sizeof text - 1);
  if (link_length > 0 && mentions(text, static_cast<std::size_t>(link_length), directory, directory_length) &&
      std::strncmp(text, directory, directory_length) == 0) {
    return true;
  }
  proc_path(path, sizeof path, pid, "cmdline");
  const ssize_t length = read_small_file(path, text, sizeof text);
  return length > 0 && mentions(text, static_cast<std::size_t>(length), directory, directory_length);
}

bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  char path[64], number[24], stat[512];
  std::snprintf(number, sizeof number, "%d", static_cast<int>(pid));
  proc_path(path, sizeof path, number, "stat");
  if (read_small_file(path, stat, sizeof stat) <= 0) return false;
  const char* state = std::strrchr(stat, ')');  // "pid (comm) S ...": comm may hold spaces
  return state == nullptr || std::strncmp(state, ") Z", 3) != 0;  // a zombie is dead, only not reaped
}

struct LinuxDirent64 {  // what getdents64(2) returns; glibc before 2.30 has no wrapper
  std::uint64_t ino;
  std::int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[1];
};

// SIGKILLs every process that uses `directory`; how many there were.
int kill_processes_using(const char* directory) {
  const int proc = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) return 0;
  const std::size_t directory_length = std::strlen(directory);
  const pid_t self = ::getpid();
  int killed = 0;
  alignas(8) char entries[8192];
  for (;;) {
    const long got = ::syscall(SYS_getdents64, proc, entries, sizeof entries);
    if (got <= 0) break;
    for (long offset = 0; offset < got;) {
      const auto* entry = reinterpret_cast<const LinuxDirent64*>(entries + offset);
      offset += entry->reclen;
      const char* name = entry->name;
      if (name[0] < '1' || name[0] > '9' || std::strspn(name, "0123456789") != std::strlen(name)) continue;
      const pid_t pid = static_cast<pid_t>(std::atol(name));
      if (pid == self || !process_uses(name, directory, directory_length)) continue;
      if (::kill(pid, SIGKILL) == 0) ++killed;
    }
  }
  ::close(proc);
  return killed;
}

// A postmaster that died by SIGKILL leaves its small System V segment behind, one per kill, until
// the system's limit on segments is reached. Its key and id are on line 7 of postmaster.pid.
void remove_shared_memory(const char* pid_file) {
  char text[1024];
  if (read_small_file(pid_file, text, sizeof text) <= 0) return;
  const char* line = text;
  for (int skipped = 0; skipped < 6 && line != nullptr; ++skipped) {
    line = std::strchr(line, '\n');
    if (line != nullptr) ++line;
  }
  if (line == nullptr) return;
  char* end = nullptr;
  const long key = std::strtol(line, &end, 10);
  const long id = std::strtol(end, &end, 10);
  if (key <= 0 || id < 0 || end == line) return;
  struct shmid_ds info {};
  // Only that very segment, and only when nothing uses it any more.
  if (::shmctl(static_cast<int>(id), IPC_STAT, &info) == 0 && info.shm_perm.__key == static_cast<key_t>(key) &&
      info.shm_nattch == 0) {
    ::shmctl(static_cast<int>(id), IPC_RMID, nullptr);
  }
}

// What the watchdog does when its owner is gone: stop whatever server runs in `directory`, then
// everything else still working in it, then remove it.
[[noreturn]] void clean_up_after_owner(const char* directory, const char* pid_file) {
  char text[64], number[24];
  const std::size_t directory_length = std::strlen(directory);
  if (read_small_file(pid_file, text, sizeof text) > 0) {
    const pid_t postmaster = static_cast<pid_t>(std::atol(text));
    std::snprintf(number, sizeof number, "%d", static_cast<int>(postmaster));
    // Only a process that really works in our directory: a stale pid may have been reused.
    if (postmaster > 0 && process_uses(number, directory, directory_length)) {
      ::kill(postmaster, SIGQUIT);  // immediate shutdown: the postmaster takes its backends down
      for (int i = 0; i < 50 && alive(postmaster); ++i) ::usleep(100000);
    }
  }
  // pg_ctl may have launched a postmaster that has not written its pid file yet, initdb may be
  // running its bootstrap backend, a server process may hang: none of those is in the pid file. Kill
  // until the directory has been quiet for a few rounds, so that a process forked meanwhile is caught.
  for (int round = 0, quiet = 0; round < 200 && quiet < 3; ++round) {
    quiet = kill_processes_using(directory) == 0 ? quiet + 1 : 0;
    ::usleep(50000);
  }
  remove_shared_memory(pid_file);
  ::execl("/bin/rm", "rm", "-rf", "--", directory, static_cast<char*>(nullptr));
  ::_exit(1);
}

constexpr char disarm_byte = 'd';
}  // namespace

// A helper process that exists for the whole life of the cluster directory, from before it exists:
// it creates the directory, then waits on a pipe whose other end only we hold. The kernel closes that
// end however we die (SIGKILL included), and the watchdog then kills what runs in the directory and
// removes it. A disarm byte before the end closes means that we cleaned up ourselves.
class ClusterWatchdog {
public:
  ClusterWatchdog(const fs::path& directory, const std::optional<util::UserIdentity>& owner) {
    // Everything the child needs is made before fork.
    const std::string directory_text = directory.string();
    const std::string pid_file = (directory / "data" / "postmaster.pid").string();
    util::Pipe life = util::make_pipe(O_CLOEXEC);
    util::Pipe report = util::make_pipe(O_CLOEXEC);
    const pid_t child = ::fork();
    if (child < 0) throw Error(ExitCode::failure, "cannot start the embedded cluster's watchdog: fork failed");
    if (child == 0) {
      // Its own session, so a terminal's Ctrl-C does not take it down with us; no descriptor of ours
      // but its two pipe ends (holding a caller's stdout pipe would keep that caller waiting).
      ::setsid();
      std::signal(SIGINT, SIG_IGN);
      std::signal(SIGHUP, SIG_IGN);
      std::signal(SIGTERM, SIG_DFL);
      std::signal(SIGPIPE, SIG_IGN);
      if (::chdir("/") != 0) ::_exit(1);
      const int null = ::open("/dev/null", O_RDWR);
      for (int fd = 0; fd < 3 && null >= 0; ++fd) ::dup2(null, fd);
      for (int fd = 3; fd < 1024; ++fd) {
        if (fd != life.read_end.get() && fd != report.write_end.get()) ::close(fd);
      }
      int error = ::mkdir(directory_text.c_str(), 0700) == 0 ? 0 : errno;
      const bool created = error == 0;
      if (created && owner && ::chown(directory_text.c_str(), owner->uid, owner->gid) != 0) error = errno;
      (void)!::write(report.write_end.get(), &error, sizeof error);
      ::close(report.write_end.get());
      if (!created) ::_exit(1);
      char byte = 0;
      ssize_t got;
      do {
        got = ::read(life.read_end.get(), &byte, 1);
      } while (got < 0 && errno == EINTR);
      if (got == 1 && byte == disarm_byte) ::_exit(0);
      clean_up_after_owner(directory_text.c_str(), pid_file.c_str());
    }
    pid_ = child;
    pipe_ = std::move(life.write_end);
    life.read_end.reset();
    report.write_end.reset();
    int error = 0;
    ssize_t got;
    do {
      got = ::read(report.read_end.get(), &error, sizeof error);
    } while (got < 0 && errno == EINTR);
    if (got != sizeof error) error = EIO;
    if (error != 0) {
      end();
      throw Error(ExitCode::failure, "cannot create the embedded cluster's directory " + directory_text + ": " +
                                         std::strerror(error));
    }
  }

  ~ClusterWatchdog() { end(); }
  ClusterWatchdog(const ClusterWatchdog&) = delete;
  ClusterWatchdog& operator=(const ClusterWatchdog&) = delete;

  // The directory is gone and no server runs: the watchdog has nothing left to do.
  void disarm() noexcept {
    if (pipe_) (void)!::write(pipe_.get(), &disarm_byte, 1);
  }

private:
  // Without disarm() first, the watchdog cleans up as if we had died; either way, we wait for it.
  void end() noexcept {
    if (pid_ <= 0) return;
    pipe_.reset();
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = 0;
  }

  util::UniqueFd pipe_;
  pid_t pid_ = 0;
};

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
  const fs::path parent = options_.parent_directory.empty() ? util::temp_directory_root() : options_.parent_directory;
  const fs::path directory = parent / ("pgseed-" + util::random_hex(4));
  watchdog_ = std::make_unique<ClusterWatchdog>(directory, server_user_);
  directory_ = std::make_unique<util::TemporaryDirectory>(util::TemporaryDirectory::Adopt{}, directory);
  socket_directory_ = directory_->path();

  auto check = [](const util::CommandResult& result, const std::string& step) {
    if (!result.ok()) {
      throw Error(ExitCode::failure, "embedded cluster: " + step + " failed: " + result.last_error_line());
    }
  };
  check(run_as_server_user({tools_.program("initdb").string(), "--pgdata=" + data_directory().string(),
                            "--username=postgres", "--auth=trust", "--encoding=UTF8", "--locale=" + options_.locale,
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
  }
  if (!options_.database.empty() && options_.database != "postgres") {
    Connection admin(connection("postgres"));
    admin.execute("CREATE DATABASE " + admin.quote_identifier(options_.database));
  }
}

EmbeddedCluster::~EmbeddedCluster() {
  stop();
  const fs::path directory = directory_->path();
  directory_.reset();
  std::error_code ignored;
  // Whatever we could not do ourselves (a server that would not stop, a file we could not remove),
  // the watchdog does when it is destroyed undisarmed, after this body.
  if (stopped_cleanly_ && !fs::exists(directory, ignored) && !ignored) watchdog_->disarm();
}

void EmbeddedCluster::stop() noexcept {
  if (!running_) return;
  running_ = false;
  try {
    const auto result = run_as_server_user({tools_.program("pg_ctl").string(), "stop", "--wait", "--timeout=60",
                                            "--mode=fast", "--pgdata=" + data_directory().string()},
                                           util::Command::OnInterrupt::ignore);
    stopped_cleanly_ = result.ok();
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
