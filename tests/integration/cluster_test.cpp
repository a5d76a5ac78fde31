#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/pg/database.h"

#include "pgseed/util/atomic_file.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
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

// What a dead pgseed left in (or running from) `tmpdir`, waiting up to `limit` for the watchdog to
// finish; empty when nothing. Whatever is left is then removed, so that the next round starts clean.
std::string leftovers_after_kill(const fs::path& tmpdir, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto processes = testing::processes_using(tmpdir);
    const bool empty = fs::is_empty(tmpdir);
    if ((empty && processes.empty()) || std::chrono::steady_clock::now() >= deadline) {
      std::ostringstream report;
      for (const auto& entry : fs::directory_iterator(tmpdir)) report << "left: " << entry.path().string() << "\n";
      for (const pid_t pid : processes) {
        report << "running: " << testing::describe_process(pid) << "\n";
        ::kill(pid, SIGKILL);
      }
      for (const auto& entry : fs::directory_iterator(tmpdir)) fs::remove_all(entry.path());
      return report.str();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

unsigned kill_test_seed() {
  const char* fixed = std::getenv("PGSEED_KILL_SEED");
  return fixed != nullptr ? static_cast<unsigned>(std::stoul(fixed)) : std::random_device{}();
}

int kill_test_points() {
  const char* points = std::getenv("PGSEED_KILL_POINTS");
  return points != nullptr ? std::stoi(points) : 20;
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

// Each point is a fresh `pgseed dump` on the embedded cluster, SIGKILLed after a random delay within
// its own slice of the first 3 s: initdb, the server start (pg_ctl has launched a postmaster that has
// not written its pid file yet), migrate, seed. Two lanes, each with its own TMPDIR, share the points
// to halve the wall time. PGSEED_KILL_SEED replays a run, PGSEED_KILL_POINTS makes it a longer soak.
TEST_CASE("a SIGKILL at any moment of the embedded cluster's life leaves nothing behind", "[integration][cluster][kill]") {
  testing::ScratchProject project;
  const unsigned seed = kill_test_seed();
  std::cout << "kill points: PGSEED_KILL_SEED=" << seed << std::endl;
  std::mt19937 random(seed);
  const int points = kill_test_points();
  constexpr double span_ms = 3000;
  std::vector<std::chrono::microseconds> delays;
  for (int point = 0; point < points; ++point) {
    std::uniform_real_distribution<double> within(0, span_ms / points);
    delays.emplace_back(static_cast<long>((point * span_ms / points + within(random)) * 1000));
  }
  std::shuffle(delays.begin(), delays.end(), random);

  constexpr int lanes = 2;
  std::vector<std::string> failures(delays.size());  // Catch2 assertions are for the main thread only
  std::vector<std::thread> threads;
  for (int lane = 0; lane < lanes; ++lane) {
    threads.emplace_back([&, lane] {
      util::TemporaryDirectory tmpdir("pgseed-kill-");
      open_to_server_user(tmpdir);
      for (std::size_t point = static_cast<std::size_t>(lane); point < delays.size(); point += lanes) {
        try {
          const pid_t pgseed = testing::start_pgseed({"dump", "--project-dir", project.root().string()},
                                                     {{"TMPDIR", tmpdir.path().string()}});
          std::this_thread::sleep_for(delays[point]);
          ::kill(pgseed, SIGKILL);
          ::waitpid(pgseed, nullptr, 0);
          failures[point] = leftovers_after_kill(tmpdir.path(), std::chrono::seconds(8));
        } catch (const std::exception& error) {
          failures[point] = error.what();
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t point = 0; point < delays.size(); ++point) {
    INFO("PGSEED_KILL_SEED=" << seed << ", kill after " << delays[point].count() / 1000 << " ms");
    CHECK(failures[point] == "");
  }
}

// Against a server of its own (not the embedded cluster, whose watchdog would end pg_dump's
// connection anyway), only pgseed's death can stop pg_dump.
TEST_CASE("a SIGKILL during pg_dump stops pg_dump, and the next dump removes its file", "[integration][cluster][kill]") {
  testing::ScratchProject project;
  // Enough data that pg_dump runs for a while: long enough to be caught, and to show whether it
  // outlives pgseed.
  project.write("seeds/bulk.sql",
                "CREATE TABLE bulk AS SELECT g AS id, md5(g::text) || md5((-g)::text) AS body "
                "FROM generate_series(1, 400000) g;");
  project.write("seeds/dev.json", R"({"seed": 1, "steps": [{"sql": "bulk.sql"}]})");
  const auto database = testing::fresh_database("killdump");
  const std::vector<std::string> dump{"dump", "--project-dir", project.root().string(), "--database-url",
                                      database.keyword_string()};
  const pid_t pgseed = testing::start_pgseed(dump);
  std::vector<pid_t> pg_dump;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (pg_dump.empty() && std::chrono::steady_clock::now() < deadline && testing::process_alive(pgseed)) {
    // The pg_dump that writes the dump, not the one asked for its version.
    for (const pid_t pid : testing::descendant_processes(pgseed, "pg_dump")) {
      if (testing::describe_process(pid).find("--snapshot=") != std::string::npos) pg_dump.push_back(pid);
    }
  }
  ::kill(pgseed, SIGKILL);
  ::waitpid(pgseed, nullptr, 0);
  REQUIRE(pg_dump.size() == 1);
  const auto stopped_by = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (testing::process_alive(pg_dump.front()) && std::chrono::steady_clock::now() < stopped_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const bool pg_dump_stopped = !testing::process_alive(pg_dump.front());
  if (!pg_dump_stopped) ::kill(pg_dump.front(), SIGKILL);
  CHECK(pg_dump_stopped);

  std::vector<fs::path> abandoned;
  for (const auto& entry : fs::directory_iterator(project.dumps())) {
    if (util::is_temporary_name(entry.path().filename().string())) abandoned.push_back(entry.path());
  }
  REQUIRE(abandoned.size() == 1);
  const auto run = testing::run_pgseed(dump);
  REQUIRE(run.exit_code == 0);
  CHECK(!fs::exists(abandoned.front()));
  for (const auto& entry : fs::directory_iterator(project.dumps())) {
    CHECK(!util::is_temporary_name(entry.path().filename().string()));
  }
}

TEST_CASE("a SIGKILL during pg_restore stops pg_restore and its parallel workers", "[integration][cluster][kill]") {
  testing::ScratchProject project;
  // Two big tables, so that both parallel workers have long work when the kill comes.
  project.write("seeds/bulk.sql",
                "CREATE TABLE bulk_a AS SELECT g AS id, md5(g::text) || md5((-g)::text) AS body "
                "FROM generate_series(1, 400000) g;"
                "CREATE TABLE bulk_b AS SELECT * FROM bulk_a;");
  project.write("seeds/dev.json", R"({"seed": 1, "steps": [{"sql": "bulk.sql"}]})");
  const auto source = testing::fresh_database("killrestore_source");
  REQUIRE(testing::run_pgseed({"dump", "--project-dir", project.root().string(), "--database-url",
                               source.keyword_string()}).exit_code == 0);
  const auto target = testing::fresh_database("killrestore_target");
  const pid_t pgseed = testing::start_pgseed({"restore", "--yes", "--jobs", "2", "--database-url",
                                              target.keyword_string(),
                                              testing::latest_real_dump(project.dumps()).string()});
  std::vector<pid_t> restoring;  // pg_restore and the workers it forked
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (restoring.size() < 3 && std::chrono::steady_clock::now() < deadline && testing::process_alive(pgseed)) {
    restoring = testing::descendant_processes(pgseed, "pg_restore");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the workers are inside COPY now
  ::kill(pgseed, SIGKILL);
  ::waitpid(pgseed, nullptr, 0);
  REQUIRE(restoring.size() == 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::string survivors;
  for (const pid_t pid : restoring) {
    if (testing::process_alive(pid)) {
      survivors += testing::describe_process(pid) + "\n";
      ::kill(pid, SIGKILL);
    }
  }
  CHECK(survivors == "");
}
