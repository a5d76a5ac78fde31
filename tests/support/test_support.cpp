#include "support/test_support.h"

#include "pgseed/pg/database.h"

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <unistd.h>

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

private:
  util::TemporaryDirectory parent_;
};
}  // namespace

fs::path local_server_directory() {
  static LocalServerSandbox sandbox;
  return sandbox.directory();
}

PgseedRun run_pgseed(std::vector<std::string> arguments, std::map<std::string, std::optional<std::string>> env) {
  util::Command command;
  command.argv = {PGSEED_BINARY};
  command.argv.insert(command.argv.end(), arguments.begin(), arguments.end());
  for (const char* variable : {"DATABASE_URL", "PGSEED_ENVIRONMENT", "PGSEED_DUMP_DIR", "PGSEED_LOCAL_PORT",
                               "PGSEED_SNAPSHOT_DIR", "PGSEED_PROTECTED"}) {
    command.env[variable] = std::nullopt;
  }
  command.env["PGSEED_LOCAL_SERVER_DIR"] = local_server_directory().string();
  for (auto& [key, value] : env) command.env[key] = value;
  const auto result = util::run_command(command);
  return PgseedRun{result.exit_code, result.stdout_text, result.stderr_text};
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

std::string read_text(const fs::path& path) { return util::read_file(path); }

void write_text(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace pgseed::testing
