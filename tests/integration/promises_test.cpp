// The promises of issue 8 under what real teams do: an app writing during a dump, concurrent runs,
// kill -9 in the middle of a restore, dumps a server cannot read, hostile names and URLs.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/metadata.h"
#include "pgseed/core/server_admin.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/sha256.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <future>
#include <iostream>
#include <random>
#include <set>
#include <thread>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace pgseed;
using testing::run_pgseed;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> restore_args(const fs::path& dump, const pg::ConnInfo& target) {
  return {"restore", "--yes", "--database-url", target.keyword_string(), dump.string()};
}

// A project dumped once from its own source database.
struct Dumped : testing::DumpedProject {
  Dumped() : DumpedProject("promise_src") {}
};

// pgseed's helper databases (scratch and previous copies, any naming scheme) for one target.
std::vector<std::string> helper_databases(const std::string& target) {
  pg::Connection admin(testing::test_server().connection("postgres"));
  std::vector<std::string> names;
  for (const auto& row : admin.query("SELECT datname FROM pg_database WHERE starts_with(datname, " +
                                     admin.quote_literal(target + "_pgseed_") + ")")) {
    names.push_back(row[0].value_or(""));
  }
  return names;
}

std::int64_t count_of(const pg::ConnInfo& database, const std::string& table) {
  return std::stoll(testing::query_value(database, "SELECT count(*) FROM " + table));
}

int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// Runs `count` copies of a pgseed command at once and returns their results.
std::vector<testing::PgseedRun> run_concurrently(int count, const std::vector<std::string>& arguments) {
  std::vector<std::future<testing::PgseedRun>> runs;
  for (int i = 0; i < count; ++i) runs.push_back(std::async(std::launch::async, [&] { return run_pgseed(arguments); }));
  std::vector<testing::PgseedRun> results;
  for (auto& run : runs) results.push_back(run.get());
  return results;
}

}  // namespace

TEST_CASE("a dump taken while an app writes restores with matching counts", "[integration][promises]") {
  Dumped dumped;
  {
    pg::Connection app(dumped.source);
    app.execute("CREATE TABLE app_events (id bigserial PRIMARY KEY, payload text NOT NULL)");
  }
  std::atomic<bool> stop{false};
  std::atomic<long> written{0};
  std::thread writer([&] {
    pg::Connection app(dumped.source);
    while (!stop) {
      app.execute("INSERT INTO app_events (payload) SELECT 'event ' || g FROM generate_series(1, 5) g;"
                  "INSERT INTO users (email, full_name, created_at) "
                  "VALUES (md5(random()::text) || '@example.com', 'writer', now())");
      written += 6;
    }
  });
  testing::PgseedRun run;
  for (int i = 0; i < 3; ++i) {  // three dumps, each under writes
    run = run_pgseed({"dump", "-C", dumped.project.root().string(), "--database-url", dumped.source.keyword_string()});
    if (run.exit_code != 0) break;
  }
  stop = true;
  writer.join();
  REQUIRE(run.exit_code == 0);
  CHECK(written > 0);

  const fs::path dump = dumped.dump();
  const auto metadata = core::read_metadata(core::metadata_path_for(dump));
  // The writer kept going after the snapshot was taken, so the table now has more rows than the dump.
  CHECK(metadata.record_counts.at("public.app_events") < count_of(dumped.source, "app_events"));
  const auto target = testing::fresh_database("promise_written");
  const auto restore = run_pgseed(restore_args(dump, target));
  INFO(restore.err);
  REQUIRE(restore.exit_code == 0);
  CHECK(count_of(target, "app_events") == metadata.record_counts.at("public.app_events"));
  CHECK(count_of(target, "users") == metadata.record_counts.at("public.users"));
}

TEST_CASE("concurrent dumps into one directory never destroy each other's work", "[integration][promises][concurrency]") {
  testing::ScratchProject project;
  const auto source = testing::fresh_database("promise_concurrent");
  // Fresh database: the four runs also race to migrate and to seed it.
  const auto runs = run_concurrently(
      4, {"dump", "-C", project.root().string(), "--database-url", source.keyword_string()});
  std::set<std::string> dumps;
  for (const auto& run : runs) {
    INFO(run.err);
    CHECK(run.exit_code == 0);
    dumps.insert(run.out.substr(0, run.out.find('\n')));
  }
  CHECK(dumps.size() == 4);  // four distinct names, also within one second and one commit
  std::string newest;
  for (const auto& dump : dumps) {
    const auto verify = run_pgseed({"verify", dump});
    INFO(dump << "\n" << verify.err);
    CHECK(verify.exit_code == 0);
    newest = std::max(newest, core::read_metadata(core::metadata_path_for(dump)).timestamp);
  }
  const auto latest = run_pgseed({"verify", "--dump-dir", project.dumps().string()});
  INFO(latest.err);
  CHECK(latest.exit_code == 0);
  CHECK(core::read_metadata(project.dumps() / "dev-seeded-latest.metadata.json").timestamp == newest);
  // Only finished files: no temporary file of any run is left.
  for (const auto& entry : fs::directory_iterator(project.dumps())) CHECK(entry.path().filename().string()[0] != '.');
  CHECK(count_of(source, "users") == 11);  // seeded once, not four times
}

TEST_CASE("concurrent seeds of one database serialise", "[integration][promises][concurrency]") {
  testing::ScratchProject project;
  const auto database = testing::fresh_database("promise_seed");
  REQUIRE(run_pgseed({"migrate", "-C", project.root().string(), "--database-url", database.keyword_string()}).exit_code == 0);
  const auto runs = run_concurrently(4, {"seed", "-C", project.root().string(), "--database-url", database.keyword_string()});
  int seeded = 0;
  for (const auto& run : runs) {
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.err.find("duplicate key") == std::string::npos);
    if (run.out.find("already holds") == std::string::npos) ++seeded;
  }
  CHECK(seeded == 1);
  CHECK(count_of(database, "users") == 11);
}

TEST_CASE("concurrent restores into a target that does not exist serialise", "[integration][promises][concurrency]") {
  Dumped dumped;
  const std::string name = "promise_new_target_" + std::to_string(::getpid());
  const auto target = testing::test_server().connection(name);
  const auto runs = run_concurrently(4, restore_args(dumped.dump(), target));
  for (const auto& run : runs) {
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.err.find("pg_database_datname_index") == std::string::npos);
  }
  CHECK(count_of(target, "users") == 11);
  CHECK(helper_databases(name).empty());
}

TEST_CASE("a restore killed at random points leaves the target old or new, and the next run cleans up",
          "[integration][promises][kill]") {
  Dumped dumped;
  const auto metadata = core::read_metadata(core::metadata_path_for(dumped.dump()));
  const auto target = testing::fresh_database("promise_kill");
  auto make_old = [&] {
    {
      pg::Connection admin(testing::test_server().connection("postgres"));
      admin.execute("DROP DATABASE IF EXISTS " + admin.quote_identifier(target.database()) + " WITH (FORCE)");
      admin.execute("CREATE DATABASE " + admin.quote_identifier(target.database()));
    }
    pg::Connection(target).execute("CREATE TABLE keep_me (note text); INSERT INTO keep_me VALUES ('precious')");
  };
  make_old();
  // How long a whole restore takes here, so that the kills spread over all of it.
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(run_pgseed(restore_args(dumped.dump(), testing::fresh_database("promise_kill_timing"))).exit_code == 0);
  const auto whole = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);

  const unsigned seed = std::random_device{}();
  std::cout << "kill points for restore: seed " << seed << ", restore takes " << whole.count() << " ms" << std::endl;
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay(0, static_cast<int>(whole.count() * 11 / 10));
  int old_seen = 0, new_seen = 0;
  for (int point = 0; point < 20; ++point) {
    const int milliseconds = delay(random);
    INFO("seed " << seed << ", kill point " << point << " after " << milliseconds << " ms");
    // With -C the restore takes its safety snapshot into the project: the kills land in that too.
    auto arguments = restore_args(dumped.dump(), target);
    arguments.insert(arguments.end(), {"-C", dumped.project.root().string()});
    const pid_t pid = testing::start_pgseed(arguments);
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
    ::kill(pid, SIGKILL);
    wait_for(pid);

    const bool exists = testing::database_exists(target.database());
    REQUIRE(exists);  // never nothing
    const bool old_content =
        testing::query_value(target, "SELECT to_regclass('keep_me') IS NOT NULL") == "t" &&
        testing::query_value(target, "SELECT string_agg(note, ',') FROM keep_me") == "precious";
    if (old_content) {
      CHECK(testing::query_value(target, "SELECT to_regclass('users') IS NULL") == "t");  // not a mix
      ++old_seen;
    } else {
      pg::Connection restored(target);
      for (const auto& [table, count] : metadata.record_counts) {
        CHECK(std::stoll(restored.query_value("SELECT count(*) FROM " + table)) == count);
      }
      ++new_seen;
      make_old();  // back to a known old state for the next kill
    }
  }
  std::cout << "after the kills: old " << old_seen << ", new " << new_seen << std::endl;

  // The next run removes what the killed ones left. A killed run's server session may take a moment
  // to end (a CREATE DATABASE in progress finishes first), and until then its lock is held.
  std::vector<std::string> left;
  for (int attempt = 0; attempt < 20; ++attempt) {
    const auto next = run_pgseed(restore_args(dumped.dump(), target));
    INFO(next.err);
    REQUIRE(next.exit_code == 0);
    left = helper_databases(target.database());
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  CHECK(left.empty());
  CHECK(count_of(target, "users") == metadata.record_counts.at("public.users"));
  // Every safety snapshot that looks finished is complete, and no temporary file survives a next run.
  const fs::path snapshots = dumped.project.root() / ".pgseed" / "snapshots";
  REQUIRE(run_pgseed({"snapshot", "after-the-kills", "-C", dumped.project.root().string(), "--database-url",
                      target.keyword_string()}).exit_code == 0);
  int finished = 0;
  for (const auto& entry : fs::directory_iterator(snapshots)) {
    const std::string name = entry.path().filename().string();
    CHECK(name[0] != '.');
    if (entry.path().extension() != ".dump") continue;
    ++finished;
    const auto verify = run_pgseed({"verify", entry.path().string()});
    INFO(name << "\n" << verify.err);
    CHECK(verify.exit_code == 0);
  }
  std::cout << "safety snapshots that finished before a kill: " << finished - 1 << std::endl;
}

TEST_CASE("a reused PID never makes a restore fail or drop a database it did not create", "[integration][promises]") {
  Dumped dumped;
  const auto target = testing::fresh_database("promise_pid");
  // In a new PID namespace pgseed is always PID 1, as in a container: names derived from the PID
  // repeat on every run. Databases that already have such names belong to somebody else.
  std::vector<pg::ConnInfo> lookalikes;
  for (const std::string& role : {"restore", "previous"}) {
    const std::string name = target.database() + "_pgseed_" + role + "_1";
    pg::Connection admin(testing::test_server().connection("postgres"));
    admin.execute("CREATE DATABASE " + admin.quote_identifier(name));
    lookalikes.push_back(testing::test_server().connection(name));
    pg::Connection(lookalikes.back()).execute("CREATE TABLE mine (x int); INSERT INTO mine VALUES (1)");
  }
  std::vector<std::string> in_namespace = {"unshare", "--pid", "--fork", PGSEED_BINARY};
  const auto arguments = restore_args(dumped.dump(), target);
  in_namespace.insert(in_namespace.end(), arguments.begin(), arguments.end());
  for (int i = 0; i < 2; ++i) {
    util::Command command;
    command.argv = in_namespace;
    command.argv.push_back("--no-safety-snapshot");  // not what this test is about; it would land in ./.pgseed
    command.env["DATABASE_URL"] = std::nullopt;
    const auto run = util::run_command(command);
    INFO(run.stderr_text);
    CHECK(run.exit_code == 0);
  }
  CHECK(count_of(target, "users") == 11);
  for (const auto& lookalike : lookalikes) {
    REQUIRE(testing::database_exists(lookalike.database()));
    CHECK(count_of(lookalike, "mine") == 1);
  }
}

TEST_CASE("a dump newer than the server or pg_restore is refused before anything is created", "[integration][promises]") {
  Dumped dumped;
  const auto target = testing::fresh_database("promise_newer");
  pg::Connection(target).execute("CREATE TABLE keep_me (note text); INSERT INTO keep_me VALUES ('precious')");
  const fs::path dump = dumped.dump();
  const fs::path metadata_path = core::metadata_path_for(dump);
  const auto original = testing::read_text(metadata_path);

  SECTION("metadata that claims pg_dump 99") {
    auto metadata = core::DumpMetadata::from_json(original);
    metadata.pg_dump_major = 99;
    metadata.pg_dump_version = "99.0";
    fs::remove(metadata_path);
    testing::write_text(metadata_path, metadata.to_json());
    const auto run = run_pgseed(restore_args(dump, target));
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("pg_dump 99") != std::string::npos);
  }
  SECTION("an archive whose header is newer than this pg_restore") {
    // Custom-format header: "PGDMP", then major, minor, revision of the archive format.
    const fs::path copy = dump.parent_path() / "newer-header.dump";
    util::Command decompress;  // the header is inside the zstd stream
    decompress.argv = {"zstd", "-dcq", dump.string()};
    std::string bytes = util::run_command(decompress).stdout_text;
    REQUIRE(bytes.rfind("PGDMP", 0) == 0);
    bytes[6] = 99;
    testing::write_text(copy, bytes);
    auto metadata = core::DumpMetadata::from_json(original);
    metadata.file = copy.filename().string();
    metadata.size_bytes = fs::file_size(copy);
    metadata.checksum = util::sha256_file(copy).sha256;
    testing::write_text(core::metadata_path_for(copy), metadata.to_json());
    const auto run = run_pgseed(restore_args(copy, target));
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("cannot be read by pg_restore") != std::string::npos);
  }
  CHECK(testing::query_value(target, "SELECT note FROM keep_me") == "precious");
  CHECK(helper_databases(target.database()).empty());
}

TEST_CASE("multibyte database names restore and replace again and again", "[integration][promises]") {
  Dumped dumped;
  std::string name;
  for (int i = 0; i < 30; ++i) name += "\xc3\xa9";  // 30 x é = 60 bytes: helper names must cut it
  const auto target = testing::test_server().connection(name);
  for (int i = 0; i < 3; ++i) {
    const auto run = run_pgseed(restore_args(dumped.dump(), target));
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
  }
  CHECK(count_of(target, "users") == 11);
  CHECK(helper_databases(name).empty());
}

TEST_CASE("bad names and URLs are usage errors that name the object and leak nothing", "[integration][promises]") {
  Dumped dumped;
  const std::string project = dumped.project.root().string();
  const auto target = testing::fresh_database("promise_bad_input");
  struct Case {
    std::vector<std::string> arguments;
    int exit_code;
    std::string says;
  };
  const std::string long_name(64, 'd');
  const std::vector<Case> cases = {
      {{"verify", "-C", project, "-e", "../../tmp/x"}, 2, "environment name '../../tmp/x' is not valid"},
      {{"restore", "--yes", "-C", project, "-e", "../../tmp/x", "--database-url", target.keyword_string()}, 2,
       "environment name"},
      {{"dump", "-C", project, "-e", "a/b", "--database-url", target.keyword_string()}, 2, "environment name"},
      {{"seed", "-C", project, "-e", "..", "--database-url", target.keyword_string()}, 2, "environment name"},
      {{"restore", "--yes", "-C", project, "--database-url", target.with("dbname", long_name).keyword_string()}, 2,
       "PostgreSQL allows 63"},
      {{"migrate", "-C", project, "--database-url", target.with("dbname", long_name).keyword_string()}, 2, "PostgreSQL allows 63"},
      {{"seed", "-C", project, "--database-url", target.with("dbname", long_name).keyword_string()}, 2, "PostgreSQL allows 63"},
      {{"dump", "-C", project, "--database-url", target.with("dbname", long_name).keyword_string()}, 2, "PostgreSQL allows 63"},
      {{"protect", "-C", project, "--database-url", target.with("dbname", long_name).keyword_string()}, 2, "PostgreSQL allows 63"},
      {{"status", "-C", project, "-e", "../../x", "--database-url", target.keyword_string()}, 2, "environment name"},
      {{"migrate", "-C", project, "--database-url", "postgresql://app:s3cret@[bad/app"}, 2, "database url"},
      {{"restore", "--yes", "-C", project, "--database-url", "postgresql://app:s3%zzcret@host/app"}, 2, "database url"},
      {{"dump", "-C", project, "--database-url", "host=x password='s3cret"}, 2, "database url"},
  };
  for (const auto& test : cases) {
    const auto run = run_pgseed(test.arguments);
    INFO(test.arguments[0] << " " << test.arguments.back() << "\n" << run.err);
    CHECK(run.exit_code == test.exit_code);
    CHECK(run.err.find(test.says) != std::string::npos);
    CHECK(run.err.find("s3cret") == std::string::npos);
    CHECK(run.err.find("s3%zzcret") == std::string::npos);
  }
  CHECK(!testing::database_exists(long_name));
}

TEST_CASE("cleanup never drops a lookalike, a protected database or the target itself", "[integration][promises]") {
  Dumped dumped;
  pg::Connection admin(testing::test_server().connection("postgres"));
  auto create = [&](const std::string& name) {
    admin.execute("CREATE DATABASE " + admin.quote_identifier(name));
    pg::Connection(testing::test_server().connection(name)).execute("CREATE TABLE precious (x int); INSERT INTO precious VALUES (1)");
  };
  // A name in the old 8-digit form, and one in today's form with wrong check digits.
  const std::string lookalike = "keep_pgseed_previous_0a1b2c3d", forged = "keep_pgseed_restore_0123456789ab";
  // pgseed's own form exactly, but marked protected.
  const std::string protected_one = core::helper_name("guarded", "previous");
  for (const auto& name : {lookalike, forged, protected_one}) create(name);
  admin.execute("ALTER DATABASE " + admin.quote_identifier(protected_one) + " SET pgseed.protected = on");
  // The target itself has pgseed's form: it is the target, not a leftover.
  const std::string target_name = core::helper_name("target", "previous");
  create(target_name);
  const auto target = testing::test_server().connection(target_name);

  const auto run = run_pgseed({"restore", "--yes", "--no-safety-snapshot", "--database-url", target.keyword_string(),
                               dumped.dump().string()});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find(" replaced from ") != std::string::npos);  // not "created": it was never dropped first
  for (const auto& name : {lookalike, forged, protected_one}) {
    INFO(name);
    CHECK(testing::database_exists(name));
  }
  // And template1 is never a target.
  const auto template_target = run_pgseed({"restore", "--yes", "--database-url",
                                           testing::test_server().connection("template1").keyword_string(),
                                           dumped.dump().string()});
  CHECK(template_target.exit_code == 2);
  CHECK(template_target.err.find("server's own template") != std::string::npos);
}

TEST_CASE("a dump never hangs while the app truncates tables, and survives an idle-transaction timeout",
          "[integration][promises]") {
  Dumped dumped;
  {
    pg::Connection app(dumped.source);
    app.execute("CREATE TABLE cache (x int); INSERT INTO cache VALUES (1)");
    // Managed services often end idle transactions quickly; the dump's snapshot idles while pg_dump runs.
    app.execute("ALTER DATABASE " + app.quote_identifier(dumped.source.database()) +
                " SET idle_in_transaction_session_timeout = '50ms'");
  }
  std::atomic<bool> stop{false};
  std::thread truncating([&] {
    pg::Connection app(dumped.source);
    while (!stop) app.execute("BEGIN; TRUNCATE cache; INSERT INTO cache VALUES (1); COMMIT");
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Join() {
      stop = true;
      thread.join();
    }
  } join{stop, truncating};
  int finished = 0, refused = 0;
  for (int i = 0; i < 3; ++i) {
    auto run = std::async(std::launch::async, [&] {
      return run_pgseed({"dump", "-C", dumped.project.root().string(), "--database-url", dumped.source.keyword_string()});
    });
    // A hang would be the bug; 90 s is far beyond the retries' bound (3 x 5 s of lock waits).
    REQUIRE(run.wait_for(std::chrono::seconds(90)) == std::future_status::ready);
    const auto result = run.get();
    INFO(result.err);
    if (result.exit_code == 0) ++finished;
    else if (result.exit_code == 4) ++refused;  // a clear refusal after its retries, never a hang
    else FAIL("unexpected exit " << result.exit_code);
  }
  stop = true;
  std::cout << "dumps under a TRUNCATE loop: " << finished << " finished, " << refused << " refused" << std::endl;
  // Whatever finished restores with matching counts (the restore compares them).
  if (finished > 0) {
    const auto restore = run_pgseed(restore_args(dumped.dump(), testing::fresh_database("promise_truncate")));
    INFO(restore.err);
    CHECK(restore.exit_code == 0);
  }
}

TEST_CASE("the latest links follow the last finished dump, and a future timestamp cannot pin them", "[integration][promises]") {
  Dumped dumped;
  const std::vector<std::string> dump = {"dump", "-q", "-C", dumped.project.root().string(), "--database-url",
                                         dumped.source.keyword_string()};
  for (int i = 0; i < 5; ++i) {  // back to back: often within one second
    const auto run = run_pgseed(dump);
    REQUIRE(run.exit_code == 0);
    CHECK(testing::latest_real_dump(dumped.project.dumps()).string() + "\n" == run.out);
  }
  // A teammate's clock (or an edit) puts the current latest dump in 2099.
  const fs::path latest_metadata = core::metadata_path_for(testing::latest_real_dump(dumped.project.dumps()));
  auto metadata = core::read_metadata(latest_metadata);
  metadata.timestamp = "2099-01-01T00:00:00Z";
  fs::remove(latest_metadata);
  testing::write_text(latest_metadata, metadata.to_json());
  const auto run = run_pgseed({"dump", "-C", dumped.project.root().string(), "--database-url", dumped.source.keyword_string()});
  REQUIRE(run.exit_code == 0);
  CHECK(run.err.find("claims a time in the future (2099-01-01T00:00:00Z)") != std::string::npos);
  CHECK(testing::latest_real_dump(dumped.project.dumps()).string() + "\n" == run.out);
}
