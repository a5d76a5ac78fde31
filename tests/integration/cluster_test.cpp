#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/pg/database.h"

#include <chrono>
#include <thread>
#include <sys/stat.h>
#include <unistd.h>

using namespace pgseed;
namespace fs = std::filesystem;

namespace {
bool wait_until_empty(const fs::path& directory, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::is_empty(directory)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return fs::is_empty(directory);
}

// A seed step that blocks for a long time, so that a signal lands mid-job.
void make_slow(const testing::ScratchProject& project) {
  project.write("seeds/slow.sql", "SELECT pg_sleep(60);");
  project.write("seeds/dev.json", R"({"seed": 1, "steps": [{"sql": "slow.sql"}]})");
}

// Runs pgseed in the background in a shell, sends `signal_name` after `delay`, and prints its exit code.
testing::PgseedRun interrupt_pgseed(const testing::ScratchProject& project, const fs::path& tmpdir,
                                    const std::string& signal_name, const std::string& delay) {
  util::Command command;
  command.argv = {"/bin/sh", "-c",
                  "\"$0\" dump --project-dir \"$1\" --database-url= & pid=$!; sleep " + delay + "; kill -" +
                      signal_name + " $pid; wait $pid; echo \"exit=$?\"",
                  PGSEED_BINARY, project.root().string()};
  command.env["TMPDIR"] = tmpdir.string();
  command.env["DATABASE_URL"] = std::nullopt;
  const auto result = util::run_command(command);
  return testing::PgseedRun{result.exit_code, result.stdout_text, result.stderr_text};
}

// Under root the cluster runs as postgres, which must be able to reach its directory.
void open_to_server_user(const util::TemporaryDirectory& directory) { ::chmod(directory.path().c_str(), 0755); }
}  // namespace

TEST_CASE("the embedded cluster serves queries and is removed when stopped", "[integration][cluster]") {
  util::TemporaryDirectory parent("pgseed-cluster-parent-");
  open_to_server_user(parent);
  fs::path data;
  {
    pg::EmbeddedCluster cluster(pg::PgTools::locate(), pg::ClusterOptions{parent.path(), "appdb"});
    data = cluster.data_directory();
    pg::Connection socket(cluster.connection());
    CHECK(socket.query_value("SELECT current_database()") == "appdb");
    pg::Connection tcp(cluster.tcp_connection());
    CHECK(tcp.query_value("SELECT inet_server_port()") == std::to_string(cluster.port()));
    if (::geteuid() == 0) {
      // initdb and postgres refuse root; the server must run as the postgres account.
      REQUIRE(cluster.server_user());
      CHECK(cluster.server_user()->name == "postgres");
      struct stat info {};
      REQUIRE(::stat(data.c_str(), &info) == 0);
      CHECK(info.st_uid == cluster.server_user()->uid);
    }
  }
  CHECK(!fs::exists(data));
  CHECK(fs::is_empty(parent.path()));
}

TEST_CASE("pgseed stops its embedded cluster on SIGTERM and SIGINT mid-job", "[integration][cluster]") {
  testing::ScratchProject project;
  make_slow(project);
  for (const char* signal_name : {"TERM", "INT"}) {
    INFO(signal_name);
    util::TemporaryDirectory tmpdir("pgseed-tmpdir-");
    open_to_server_user(tmpdir);
    const auto run = interrupt_pgseed(project, tmpdir.path(), signal_name, "3");
    CHECK(run.out.find("exit=130") != std::string::npos);
    CHECK(run.err.find("interrupted by SIG") != std::string::npos);
    CHECK(wait_until_empty(tmpdir.path(), std::chrono::seconds(5)));
    CHECK(!fs::exists(project.dumps() / "dev-seeded-latest.dump"));
  }
}

TEST_CASE("a killed pgseed leaves no server behind (watchdog)", "[integration][cluster]") {
  testing::ScratchProject project;
  make_slow(project);
  util::TemporaryDirectory tmpdir("pgseed-tmpdir-");
  open_to_server_user(tmpdir);
  const auto run = interrupt_pgseed(project, tmpdir.path(), "KILL", "3");
  CHECK(run.out.find("exit=137") != std::string::npos);
  CHECK(wait_until_empty(tmpdir.path(), std::chrono::seconds(20)));
}
