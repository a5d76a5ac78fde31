#include "support/test_support.h"

#include "pgseed/pg/database.h"

#include <atomic>
#include <thread>
#include <chrono>
#include <fstream>
#include <memory>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <sys/prctl.h>
#include <unistd.h>

extern char** environ;

namespace pgseed::testing {
namespace fs = std::filesystem;

pg::EmbeddedCluster& test_server() {
  static std::unique_ptr<pg::EmbeddedCluster> server =
      std::make_unique<pg::EmbeddedCluster>(pg::PgTools::locate(), pg::ClusterOptions{});
  return *server;
}

pg::ConnInfo fresh_database(const std::string& label) {
  static std::atomic<int> counter{0};
  const std::string name = "t_" + label + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  pg::Connection admin(test_server().connection("postgres"));
  admin.execute("CREATE DATABASE " + admin.quote_identifier(name));
  return test_server().connection(name);
}

std::string query_value(const pg::ConnInfo& database, const std::string& sql) {
  pg::Connection connection(database);
  return connection.query_value(sql);
}

std::string news_body_compressions(const pg::ConnInfo& database) {
  return query_value(database,
                     "SELECT coalesce(string_agg(DISTINCT pg_column_compression(body), ',' ORDER BY pg_column_compression(body)), '') "
                     "FROM news_articles");
}

bool database_exists(const std::string& name) {
  pg::Connection admin(test_server().connection("postgres"));
  return admin.query_value("SELECT count(*) FROM pg_database WHERE datname = " + admin.quote_literal(name)) == "1";
}

namespace {
// The project's local server (`pgseed up`, and what the day-to-day commands use without a URL) lives
// in one directory per test process, never in the machine's real one, and is stopped at exit.
class LocalServerSandbox {
public:
  LocalServerSandbox() : parent_("pgseed-test-local-") {
    fs::permissions(parent_.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                        fs::perms::others_read | fs::perms::others_exec);
  }
  ~LocalServerSandbox() {
    const fs::path data = directory() / "data";
    if (!fs::exists(data / "postmaster.pid")) return;
    util::Command stop;
    stop.argv = {(pg::PgTools::locate().bindir() / "pg_ctl").string(), "stop", "--wait", "--mode=fast", "--pgdata=" + data.string()};
    if (::geteuid() == 0) stop.run_as = util::find_user("postgres");
    stop.working_directory = parent_.path();
    try {
      util::run_command(stop);
    } catch (...) {
    }
  }
  fs::path directory() const { return parent_.path() / "server"; }
  // The working directory of every pgseed a test starts: what a command writes relative to it (a
  // safety snapshot of a restore without -C goes to ./.pgseed/snapshots) goes when the tests end.
  fs::path working_directory() const {
    const fs::path directory = parent_.path() / "cwd";
    fs::create_directories(directory);
    return directory;
  }

private:
  util::TemporaryDirectory parent_;
};

LocalServerSandbox& sandbox() {
  static LocalServerSandbox instance;
  return instance;
}
}  // namespace

fs::path local_server_directory() { return sandbox().directory(); }

namespace {
// What every pgseed a test starts sees: none of the caller's pgseed settings (a developer's shell
// must not change results), and the test process's own local server directory.
std::map<std::string, std::optional<std::string>> isolated_environment() {
  std::map<std::string, std::optional<std::string>> env;
  for (const char* variable : {"DATABASE_URL", "PGSEED_ENVIRONMENT", "PGSEED_DUMP_DIR", "PGSEED_LOCAL_PORT",
                               "PGSEED_SNAPSHOT_DIR", "PGSEED_PROTECTED"}) {
    env[variable] = std::nullopt;
  }
  env["PGSEED_LOCAL_SERVER_DIR"] = local_server_directory().string();
  return env;
}
}  // namespace

PgseedRun run_pgseed(std::vector<std::string> arguments, std::map<std::string, std::optional<std::string>> env) {
  util::Command command;
  command.argv = {PGSEED_BINARY};
  command.argv.insert(command.argv.end(), arguments.begin(), arguments.end());
  command.env = isolated_environment();
  for (auto& [key, value] : env) command.env[key] = value;
  command.working_directory = sandbox().working_directory();
  const auto result = util::run_command(command);
  return PgseedRun{result.exit_code, result.stdout_text, result.stderr_text};
}

pid_t start_pgseed(std::vector<std::string> arguments, std::map<std::string, std::optional<std::string>> env) {
  for (auto& [key, value] : isolated_environment()) env.emplace(key, value);
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    if (equals != nullptr) merged[std::string(*entry, static_cast<std::size_t>(equals - *entry))] = equals + 1;
  }
  for (const auto& [key, value] : env) {
    if (value) merged[key] = *value;
    else merged.erase(key);
  }
  std::vector<std::string> argv_text{PGSEED_BINARY}, env_text;
  argv_text.insert(argv_text.end(), arguments.begin(), arguments.end());
  for (const auto& [key, value] : merged) env_text.push_back(key + "=" + value);
  const std::string working_directory = sandbox().working_directory().string();
  std::vector<char*> argv, envp;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  for (auto& entry : env_text) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    if (::chdir(working_directory.c_str()) != 0) ::_exit(127);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

namespace {
std::string read_proc(pid_t pid, const char* leaf) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + leaf, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The state letter and parent from /proc/PID/stat ("pid (comm) S ppid ..."; comm may hold spaces).
bool read_stat(pid_t pid, char& state, pid_t& parent, std::string& name) {
  const std::string stat = read_proc(pid, "stat");
  const auto open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return false;
  name = stat.substr(open + 1, close - open - 1);
  std::istringstream rest(stat.substr(close + 1));
  long ppid = 0;
  if (!(rest >> state >> ppid)) return false;
  parent = static_cast<pid_t>(ppid);
  return true;
}

std::vector<pid_t> all_processes() {
  std::vector<pid_t> pids;
  std::error_code error;
  for (fs::directory_iterator it("/proc", error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) pids.push_back(std::stoi(name));
  }
  return pids;
}
}  // namespace

bool process_alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  char state = 0;
  pid_t parent = 0;
  std::string name;
  return read_stat(pid, state, parent, name) && state != 'Z' && state != 'X';
}

std::vector<pid_t> processes_using(const fs::path& directory) {
  const std::string text = directory.string();
  std::vector<pid_t> found;
  for (const pid_t pid : all_processes()) {
    if (pid == ::getpid() || !process_alive(pid)) continue;
    std::error_code error;
    const std::string cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", error).string();
    if ((!error && cwd.compare(0, text.size(), text) == 0) || read_proc(pid, "cmdline").find(text) != std::string::npos) {
      found.push_back(pid);
    }
  }
  return found;
}

std::vector<pid_t> descendant_processes(pid_t ancestor, const std::string& name) {
  struct Entry {
    pid_t pid;
    pid_t parent;
    std::string name;
  };
  std::vector<Entry> running;
  for (const pid_t pid : all_processes()) {
    char state = 0;
    Entry entry{pid, 0, {}};
    if (read_stat(pid, state, entry.parent, entry.name) && state != 'Z' && state != 'X') running.push_back(entry);
  }
  std::vector<pid_t> lineage{ancestor}, found;
  for (std::size_t next = 0; next < lineage.size(); ++next) {
    for (const Entry& entry : running) {
      if (entry.parent != lineage[next]) continue;
      lineage.push_back(entry.pid);
      if (entry.name == name) found.push_back(entry.pid);
    }
  }
  return found;
}

std::string describe_process(pid_t pid) {
  std::string cmdline = read_proc(pid, "cmdline");
  for (char& c : cmdline) {
    if (c == '\0') c = ' ';
  }
  return std::to_string(pid) + " " + cmdline;
}

PgseedRun run_pgseed_on_terminal(const std::vector<std::string>& arguments, const std::string& typed,
                                 std::map<std::string, std::optional<std::string>> env) {
  auto quoted = [](const std::string& text) {
    std::string out = "'";
    for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  };
  std::string command_line = quoted(PGSEED_BINARY);
  for (const auto& argument : arguments) command_line += " " + quoted(argument);
  util::TemporaryDirectory directory("pgseed-terminal-");
  write_text(directory.path() / "typed", typed);
  util::Command command;
  command.argv = {"script", "-qec", command_line, "/dev/null"};
  command.stdin_file = directory.path() / "typed";
  command.env = isolated_environment();
  for (auto& [key, value] : env) command.env[key] = value;
  command.working_directory = sandbox().working_directory();
  const auto result = util::run_command(command);
  return PgseedRun{result.exit_code, result.stdout_text, result.stderr_text};
}

void wait_for_next_second(std::time_t& last) {
  while (std::time(nullptr) <= last) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  last = std::time(nullptr);
}

namespace {
void copy_tree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  fs::copy(from, to, fs::copy_options::recursive);
}
}  // namespace

ScratchProject::ScratchProject() : directory_("pgseed-test-project-") {
  copy_tree(fs::path(PGSEED_SOURCE_DIR) / "migrations", root() / "migrations");
  copy_tree(fs::path(PGSEED_SOURCE_DIR) / "seeds", root() / "seeds");
}

void ScratchProject::write(const fs::path& relative, const std::string& content) const {
  fs::create_directories((root() / relative).parent_path());
  write_text(root() / relative, content);
}

fs::path latest_real_dump(const fs::path& dumps, const std::string& environment) {
  return fs::canonical(dumps / (environment + "-seeded-latest.dump"));
}

DumpedProject::DumpedProject(const std::string& source_label) : source(fresh_database(source_label)) {
  const auto dumped = run_pgseed({"dump", "-C", root(), "--database-url", source.keyword_string()});
  if (dumped.exit_code != 0) throw std::runtime_error("pgseed dump for the test failed: " + dumped.err);
}

std::string read_text(const fs::path& path) { return util::read_file(path); }

void write_text(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace pgseed::testing
