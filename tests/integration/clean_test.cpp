// pgseed clean: real leftovers (owner locks held and free, killed restores), real templates, and the
// DELETE EVERYTHING question on a real pseudo-terminal.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/locks.h"
#include "pgseed/core/metadata.h"
#include "pgseed/core/server_admin.h"
#include "pgseed/core/templates.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/sha256.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

using namespace pgseed;
using testing::run_pgseed;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> clean_args(const testing::ScratchProject& project, const pg::ConnInfo& target,
                                    std::vector<std::string> extra = {}) {
  std::vector<std::string> arguments = {"clean", "-C", project.root().string(), "--database-url",
                                        target.keyword_string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

void create_database(const std::string& name) {
  pg::Connection admin(testing::test_server().connection("postgres"));
  admin.execute("CREATE DATABASE " + admin.quote_identifier(name));
}

// A template database exactly as core/templates.h describes one.
void create_template(core::TemplateKind kind, const std::string& key, const std::string& detail) {
  pg::Connection admin(testing::test_server().connection("postgres"));
  const std::string name = core::template_name(key);
  admin.execute("CREATE DATABASE " + admin.quote_identifier(name));
  admin.execute("COMMENT ON DATABASE " + admin.quote_identifier(name) + " IS " +
                admin.quote_literal(core::template_comment(kind, key, detail)));
  admin.execute("ALTER DATABASE " + admin.quote_identifier(name) + " IS_TEMPLATE true ALLOW_CONNECTIONS false");
}

std::string sha256_of(const std::string& text) { return util::sha256_hex(text); }

// A dump pair in the project's dump directory; returns its checksum.
std::string write_dump_pair(const testing::ScratchProject& project, const std::string& stem,
                            const std::string& content) {
  fs::create_directories(project.dumps());
  const fs::path dump = project.dumps() / (stem + ".dump");
  testing::write_text(dump, content);
  core::DumpMetadata metadata;
  metadata.pg_dump_major = 15;  // as pg_dump 15 writes it
  metadata.environment = "dev";
  metadata.timestamp = "2026-11-21T00:00:00Z";
  metadata.file = dump.filename().string();
  metadata.size_bytes = fs::file_size(dump);
  metadata.checksum = util::sha256_file(dump).sha256;
  core::write_metadata(core::metadata_path_for(dump), metadata);
  return metadata.checksum;
}



std::vector<std::string> databases_starting_with(const std::string& prefix) {
  pg::Connection admin(testing::test_server().connection("postgres"));
  std::vector<std::string> names;
  for (const auto& row : admin.query("SELECT datname FROM pg_database WHERE starts_with(datname, " +
                                     admin.quote_literal(prefix) + ") ORDER BY 1")) {
    names.push_back(row[0].value_or(""));
  }
  return names;
}

// The three templates of the template tests, and a snapshot pair: what clean must tell apart.
// Keys differ per instance: the test cases of one process share a server.
std::string unique_text(const std::string& text) {
  static int counter = 0;
  return text + " " + std::to_string(::getpid()) + " " + std::to_string(++counter);
}

struct WithTemplates {
  testing::ScratchProject project;
  pg::ConnInfo target = testing::fresh_database("clean_tpl");
  std::string live_key = write_dump_pair(project, "dev-seeded-v1234567-20261121T000000Z-aaaaaa",
                                         unique_text("PGDMP still here"));
  std::string stale_key = sha256_of(unique_text("a dump that was pruned"));
  std::string seed_key = sha256_of(unique_text("seed inputs users=20"));
  fs::path snapshots = project.root() / ".pgseed" / "snapshots";
  std::string notmine = std::string(core::template_prefix) + "notmine_" + target.database();
  WithTemplates() {
    create_template(core::TemplateKind::dump, live_key, "dev-seeded-v1234567-20261121T000000Z-aaaaaa.dump");
    create_template(core::TemplateKind::dump, stale_key, "dev-seeded-v7654321-20261101T000000Z-bbbbbb.dump");
    create_template(core::TemplateKind::seed, seed_key, "dev");
    // A database that merely starts like a template: no pgseed comment, so not pgseed's.
    create_database(notmine);
    fs::create_directories(snapshots);
    testing::write_text(snapshots / "before.dump", "PGDMP snapshot");
    core::DumpMetadata metadata;
    metadata.pg_dump_major = 15;  // as pg_dump 15 writes it
    metadata.kind = core::ArchiveKind::snapshot;
    metadata.database = "appdb";
    metadata.timestamp = "2026-11-21T00:00:00Z";
    metadata.file = "before.dump";
    metadata.size_bytes = fs::file_size(snapshots / "before.dump");
    metadata.checksum = util::sha256_file(snapshots / "before.dump").sha256;
    core::write_metadata(snapshots / "before.metadata.json", metadata);
  }
  bool exists(const std::string& key) const { return testing::database_exists(core::template_name(key)); }
};


}  // namespace

TEST_CASE("clean drops exactly the leftover databases whose owner lock is free", "[integration][clean]") {
  testing::ScratchProject project;
  const auto target = testing::fresh_database("clean");
  const std::string base = target.database();
  const std::vector<std::string> abandoned = {core::helper_name(base, "restore"), core::helper_name(base, "previous")};
  const std::string owned = core::helper_name(base, "restore");
  // pgseed-like names that are not pgseed's (no valid check digits, or not the pattern): never touched.
  const std::vector<std::string> lookalikes = {base + "_pgseed_restore_1", base + "_pgseed_restore_DEADBEEF",
                                               base + "_pgseed_restore_0123abcd_x", base + "_pgseed_scratch_0123abcd",
                                               base + "_pgseed_previous_0a1b2c3d", base + "_pgseed_restore_0123456789ab"};
  for (const auto& name : lookalikes) REQUIRE(!core::is_helper_database_name(name));
  for (const auto& name : abandoned) create_database(name);
  for (const auto& name : lookalikes) create_database(name);
  // A running pgseed: it holds the owner lock named after its scratch database, taken before CREATE.
  auto owner = std::make_unique<pg::Connection>(testing::test_server().connection("postgres"));
  REQUIRE(core::SessionLock::try_take(*owner, core::LockScope::owner, owned));
  create_database(owned);

  const auto run = run_pgseed(clean_args(project, target));
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  for (const auto& name : abandoned) {
    CHECK(!testing::database_exists(name));
    CHECK(run.out.find("dropped database " + name + " (left behind by a pgseed run that is gone)") !=
          std::string::npos);
  }
  CHECK(testing::database_exists(owned));
  for (const auto& name : lookalikes) CHECK(testing::database_exists(name));
  CHECK(testing::database_exists(base));
  CHECK(run.err.find("acting on database " + base) != std::string::npos);

  // The owner is gone (its session ended): now its database is a leftover too.
  owner.reset();
  const auto again = run_pgseed(clean_args(project, target));
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(!testing::database_exists(owned));
  for (const auto& name : lookalikes) CHECK(testing::database_exists(name));
  const auto nothing = run_pgseed(clean_args(project, target));
  CHECK(nothing.out.empty());
  CHECK(nothing.err.find("nothing to clean") != std::string::npos);
}

TEST_CASE("clean deletes temporary files whose writer is gone, and no other file", "[integration][clean]") {
  testing::ScratchProject project;
  const auto target = testing::fresh_database("clean_tmp");
  const fs::path snapshots = project.root() / ".pgseed" / "snapshots";
  fs::create_directories(project.dumps());
  fs::create_directories(snapshots);
  // What a killed dump or snapshot leaves: `.<name>.tmp-<hex>`, its flock gone with the process.
  const std::vector<fs::path> abandoned = {project.dumps() / ".dev-seeded-vx-20261121T000000Z-aaaaaa.dump.tmp-0123abcd",
                                           snapshots / ".before.metadata.json.tmp-89abcdef"};
  for (const auto& path : abandoned) testing::write_text(path, "half written");
  // One whose writer is alive: it holds the flock (here, this test does).
  const fs::path alive = project.dumps() / ".dev-seeded-vy-20261121T000000Z-bbbbbb.dump.tmp-deadbeef";
  testing::write_text(alive, "being written");
  const int alive_fd = ::open(alive.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(alive_fd >= 0);
  REQUIRE(::flock(alive_fd, LOCK_EX | LOCK_NB) == 0);
  // Hidden files that are not pgseed temporaries.
  const std::vector<fs::path> others = {project.dumps() / ".gitkeep", project.dumps() / ".notes.tmp-later",
                                        snapshots / ".gitignore"};
  for (const auto& path : others) testing::write_text(path, "keep");

  const auto run = run_pgseed(clean_args(project, target));
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  for (const auto& path : abandoned) {
    CHECK(!fs::exists(path));
    CHECK(run.out.find("deleted " + path.string() + " (a temporary file of a run that is gone)") != std::string::npos);
  }
  CHECK(fs::exists(alive));
  for (const auto& path : others) CHECK(fs::exists(path));
  ::close(alive_fd);
}

TEST_CASE("clean removes what restores killed with SIGKILL left, and the target stays", "[integration][clean][kill]") {
  testing::ScratchProject project;
  const auto source = testing::fresh_database("clean_src");
  REQUIRE(run_pgseed({"dump", "-C", project.root().string(), "--database-url", source.keyword_string()}).exit_code ==
          0);
  const fs::path dump = testing::latest_real_dump(project.dumps());
  const auto target = testing::fresh_database("clean_kill");
  const std::vector<std::string> restore = {"restore", "--yes", "--database-url", target.keyword_string(),
                                            dump.string()};
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(run_pgseed(restore).exit_code == 0);
  const auto whole = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);

  int leftovers_seen = 0;
  for (int point = 1; point <= 4; ++point) {
    const auto delay = whole * point / 5;
    INFO("kill after " << delay.count() << " ms of " << whole.count());
    const pid_t pid = testing::start_pgseed(restore);
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!databases_starting_with(target.database() + "_pgseed_").empty()) ++leftovers_seen;
  }
  std::cout << "killed restores that left a scratch or previous database: " << leftovers_seen << " of 4" << std::endl;

  // A killed run's session may take a moment to end (a CREATE DATABASE finishes first); until then
  // its lock is held and clean rightly keeps its database.
  std::vector<std::string> left;
  for (int attempt = 0; attempt < 20; ++attempt) {
    const auto run = run_pgseed(clean_args(project, target));
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    left = databases_starting_with(target.database() + "_pgseed_");
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  CHECK(left.empty());
  CHECK(testing::database_exists(target.database()));
}

TEST_CASE("clean drops templates of dumps that no longer exist, keeps seed templates and live ones",
          "[integration][clean]") {
  WithTemplates setup;
  const auto run = run_pgseed(clean_args(setup.project, setup.target));
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(!setup.exists(setup.stale_key));
  CHECK(run.out.find("dropped template " + core::template_name(setup.stale_key) +
                     " (its dump dev-seeded-v7654321-20261101T000000Z-bbbbbb.dump no longer exists)") !=
        std::string::npos);
  CHECK(setup.exists(setup.live_key));
  CHECK(setup.exists(setup.seed_key));
  CHECK(testing::database_exists(setup.notmine));
  CHECK(fs::exists(setup.snapshots / "before.dump"));

  SECTION("without the dump directory, templates of dumps are left alone") {
    fs::rename(setup.project.dumps(), setup.project.root() / "moved");
    const auto moved = run_pgseed(clean_args(setup.project, setup.target));
    CHECK(moved.exit_code == 0);
    CHECK(setup.exists(setup.live_key));
    CHECK(moved.err.find("templates of dumps are left alone") != std::string::npos);
  }
}

TEST_CASE("clean --all needs --yes-delete-everything without a terminal", "[integration][clean]") {
  WithTemplates setup;
  const auto refused = run_pgseed(clean_args(setup.project, setup.target, {"--all"}));
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 5);
  CHECK(refused.err.find("--yes-delete-everything") != std::string::npos);
  CHECK(refused.err.find("acting on") == std::string::npos);  // refused before contacting the server
  CHECK(setup.exists(setup.stale_key));
  CHECK(setup.exists(setup.live_key));
  CHECK(setup.exists(setup.seed_key));
  CHECK(fs::exists(setup.snapshots / "before.dump"));

  const auto run = run_pgseed(clean_args(setup.project, setup.target, {"--all", "--yes-delete-everything"}));
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  for (const auto& key : {setup.stale_key, setup.live_key, setup.seed_key}) CHECK(!setup.exists(key));
  CHECK(testing::database_exists(setup.notmine));
  CHECK(!fs::exists(setup.snapshots / "before.dump"));
  CHECK(!fs::exists(setup.snapshots / "before.metadata.json"));
  CHECK(fs::exists(setup.project.dumps() / "dev-seeded-v1234567-20261121T000000Z-aaaaaa.dump"));  // dumps are prune's
  CHECK(testing::database_exists(setup.target.database()));
}

TEST_CASE("clean --all on a terminal goes on only for the exact phrase DELETE EVERYTHING", "[integration][clean]") {
  WithTemplates setup;
  for (const char* answer : {"delete everything\n", "y\n", "DELETE EVERYTHING!\n", ""}) {
    INFO("answer: " << answer);
    const auto refused = testing::run_pgseed_on_terminal(clean_args(setup.project, setup.target, {"--all"}), answer);
    INFO(refused.out);
    CHECK(refused.exit_code == 5);
    CHECK(refused.out.find("type DELETE EVERYTHING to go on") != std::string::npos);
    CHECK(refused.out.find("drops 3 pgseed templates") != std::string::npos);
    CHECK(refused.out.find("cancelled, nothing changed") != std::string::npos);
    CHECK(setup.exists(setup.live_key));
    CHECK(setup.exists(setup.stale_key));
    CHECK(fs::exists(setup.snapshots / "before.dump"));
  }
  const auto run = testing::run_pgseed_on_terminal(clean_args(setup.project, setup.target, {"--all"}), "DELETE EVERYTHING\n");
  INFO(run.out);
  CHECK(run.exit_code == 0);
  for (const auto& key : {setup.stale_key, setup.live_key, setup.seed_key}) CHECK(!setup.exists(key));
  CHECK(!fs::exists(setup.snapshots / "before.dump"));
}

TEST_CASE("clean with no database configured acts on the project's local server", "[integration][clean]") {
  testing::ScratchProject project;
  const auto run = run_pgseed({"clean", "-C", project.root().string()});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.err.find("acting on the project's local server") != std::string::npos);
  CHECK(run.err.find("throwaway") == std::string::npos);
}

TEST_CASE("clean --all refuses a protected target unless --allow-protected and its name are given",
          "[integration][clean][guards]") {
  WithTemplates setup;
  const std::string database = setup.target.database();
  auto all = [&](std::vector<std::string> extra) {
    std::vector<std::string> arguments = {"--all", "--yes-delete-everything"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return run_pgseed(clean_args(setup.project, setup.target, arguments));
  };
  auto nothing_deleted = [&] {
    CHECK(setup.exists(setup.live_key));
    CHECK(setup.exists(setup.seed_key));
    CHECK(fs::exists(setup.snapshots / "before.dump"));
  };

  SECTION("-e production protects, even without the mark") {
    const auto refused = all({"-e", "production"});
    INFO(refused.err);
    CHECK(refused.exit_code == 5);
    CHECK(refused.err.find(database) != std::string::npos);
    nothing_deleted();
  }
  SECTION("the mark of pgseed protect; plain clean still removes what has no owner") {
    REQUIRE(run_pgseed({"protect", "--database-url", setup.target.keyword_string()}).exit_code == 0);
    const auto refused = all({});
    INFO(refused.err);
    CHECK(refused.exit_code == 5);
    CHECK(refused.err.find("protected") != std::string::npos);
    nothing_deleted();
    CHECK(all({"--allow-protected"}).exit_code == 5);                                    // the name is missing
    CHECK(all({"--allow-protected", "--confirm-name", database + "x"}).exit_code == 5);  // and must match
    nothing_deleted();

    const auto plain = run_pgseed(clean_args(setup.project, setup.target));
    CHECK(plain.exit_code == 0);
    CHECK(!setup.exists(setup.stale_key));

    const auto allowed = all({"--allow-protected", "--confirm-name", database});
    INFO(allowed.err);
    CHECK(allowed.exit_code == 0);
    CHECK(!setup.exists(setup.live_key));
    CHECK(!setup.exists(setup.seed_key));
    CHECK(!fs::exists(setup.snapshots / "before.dump"));
  }
}
