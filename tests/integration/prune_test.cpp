// pgseed prune: real dumps in a real git repository; latest and tracked files survive.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/metadata.h"

#include <chrono>
#include <ctime>
#include <thread>

using namespace pgseed;
using testing::run_pgseed;
namespace fs = std::filesystem;

namespace {


struct GitProject {
  testing::ScratchProject project;
  std::string git(std::vector<std::string> arguments) const {
    util::Command command;
    command.argv = {"git", "-C", project.root().string(), "-c", "user.name=t", "-c", "user.email=t@example.com"};
    command.argv.insert(command.argv.end(), arguments.begin(), arguments.end());
    const auto result = util::run_command(command);
    INFO(result.stderr_text);
    REQUIRE(result.ok());
    return result.stdout_text;
  }
  mutable std::time_t last_dump = 0;
  fs::path dump() const {
    testing::wait_for_next_second(last_dump);
    const auto run = run_pgseed(
        {"dump", "-C", project.root().string(), "--database-url", testing::fresh_database("prune").keyword_string()});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    last_dump = std::time(nullptr);
    return testing::latest_real_dump(project.dumps());
  }
  std::vector<std::string> prune(std::vector<std::string> extra) const {
    std::vector<std::string> arguments = {"prune", "-C", project.root().string()};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
  }
};

bool pair_exists(const fs::path& dump) { return fs::exists(dump) && fs::exists(core::metadata_path_for(dump)); }
bool pair_gone(const fs::path& dump) { return !fs::exists(dump) && !fs::exists(core::metadata_path_for(dump)); }

// A snapshot pair as `pgseed snapshot` writes it: the dump format, kind "snapshot".
void write_snapshot(const fs::path& directory, const std::string& name, const fs::path& from,
                    const std::string& timestamp) {
  fs::create_directories(directory);
  fs::copy_file(from, directory / (name + ".dump"));
  auto metadata = core::read_metadata(core::metadata_path_for(from));
  metadata.kind = core::ArchiveKind::snapshot;
  metadata.environment.clear();
  metadata.database = "appdb";
  metadata.file = name + ".dump";
  metadata.timestamp = timestamp;
  core::write_metadata(directory / (name + ".metadata.json"), metadata);
}

}  // namespace

TEST_CASE("prune --keep 1 deletes old dumps, never the latest nor one git tracks", "[integration][prune]") {
  GitProject repo;
  repo.git({"init", "-q"});
  repo.git({"add", "migrations", "seeds"});
  repo.git({"commit", "-qm", "app"});
  const fs::path shared = repo.dump();
  repo.git({"add", "dumps"});
  repo.git({"commit", "-qm", "the team's dump"});
  const fs::path older = repo.dump();
  const fs::path newest = repo.dump();
  REQUIRE(shared != older);
  REQUIRE(older != newest);
  REQUIRE(testing::latest_real_dump(repo.project.dumps()) == newest);

  const auto dry = run_pgseed(repo.prune({"--keep", "1", "--dry-run"}));
  INFO(dry.out << dry.err);
  REQUIRE(dry.exit_code == 0);
  CHECK(dry.out == "would delete dump " + older.string() + " (older than the newest kept)\n");
  CHECK(dry.err.find("not deleting dump " + shared.string() + ": tracked by git") != std::string::npos);
  CHECK(dry.err.find("git rm") != std::string::npos);
  for (const auto& dump : {shared, older, newest}) CHECK(pair_exists(dump));

  // A physical snapshot beside the old dump (dump --physical) goes with it; the newest's stays.
  const fs::path older_physical = core::physical_path_for(older), newest_physical = core::physical_path_for(newest);
  testing::write_text(older_physical, "physical snapshot of the older dump");
  testing::write_text(newest_physical, "physical snapshot of the newest dump");

  const auto run = run_pgseed(repo.prune({"--keep", "1"}));
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out == "deleted dump " + older.string() + " (older than the newest kept)\n");
  CHECK(pair_gone(older));
  CHECK_FALSE(fs::exists(older_physical));
  CHECK(fs::exists(newest_physical));
  CHECK(pair_exists(shared));
  CHECK(pair_exists(newest));
  CHECK(repo.git({"status", "--porcelain", "dumps"}).find(shared.filename().string()) == std::string::npos);
  // What restore would use is intact.
  CHECK(run_pgseed({"verify", "-C", repo.project.root().string()}).exit_code == 0);

  // Nothing left to do: a second run deletes nothing.
  const auto again = run_pgseed(repo.prune({"--keep", "1"}));
  CHECK(again.exit_code == 0);
  CHECK(again.out.empty());
}

TEST_CASE("prune keeps the newest N of each environment, and snapshots only with --snapshots", "[integration][prune]") {
  GitProject repo;  // not a git repository: nothing is tracked
  const fs::path first = repo.dump();
  const fs::path second = repo.dump();
  const fs::path third = repo.dump();
  REQUIRE(first != second);  // each dump moved the latest link on
  REQUIRE(second != third);
  // Another environment's single dump is the newest of its own group, whatever its age.
  fs::copy_file(first, repo.project.dumps() / "staging-seeded-vunknown-20200101T000000Z-abcdef.dump");
  auto staging = core::read_metadata(core::metadata_path_for(first));
  staging.environment = "staging";
  staging.timestamp = "2020-01-01T00:00:00Z";
  staging.file = "staging-seeded-vunknown-20200101T000000Z-abcdef.dump";
  core::write_metadata(repo.project.dumps() / "staging-seeded-vunknown-20200101T000000Z-abcdef.metadata.json", staging);

  const fs::path snapshots = repo.project.root() / ".pgseed" / "snapshots";
  write_snapshot(snapshots, "old-one", first, "2026-01-01T00:00:00Z");
  write_snapshot(snapshots, "pre-restore-appdb-20260201T000000Z", first, "2026-02-01T00:00:00Z");
  write_snapshot(snapshots, "new-one", first, "2026-03-01T00:00:00Z");

  SECTION("--keep 2") {
    const auto run = run_pgseed(repo.prune({"--keep", "2"}));
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(pair_gone(first));
    CHECK(pair_exists(second));
    CHECK(pair_exists(third));
    CHECK(pair_exists(repo.project.dumps() / "staging-seeded-vunknown-20200101T000000Z-abcdef.dump"));
    for (const char* name : {"old-one", "pre-restore-appdb-20260201T000000Z", "new-one"})
      CHECK(pair_exists(snapshots / (std::string(name) + ".dump")));
    CHECK(run.err.find("snapshots are left alone without --snapshots") != std::string::npos);
  }
  SECTION("--keep 2 --snapshots") {
    const auto run = run_pgseed(repo.prune({"--keep", "2", "--snapshots"}));
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(pair_gone(first));
    CHECK(pair_gone(snapshots / "old-one.dump"));
    CHECK(pair_exists(snapshots / "pre-restore-appdb-20260201T000000Z.dump"));
    CHECK(pair_exists(snapshots / "new-one.dump"));
    CHECK(run.out.find("deleted snapshot " + (snapshots / "old-one.dump").string()) != std::string::npos);
  }
  SECTION("a dump without readable metadata is left alone, and metadata left by a killed prune goes") {
    testing::write_text(core::metadata_path_for(second), "{ broken");
    // A prune killed between its two deletes leaves the metadata alone; an hour old, nobody writes it.
    fs::remove(first);
    fs::last_write_time(core::metadata_path_for(first), fs::file_time_type::clock::now() - std::chrono::hours(1));
    const auto run = run_pgseed(repo.prune({"--keep", "1"}));
    INFO(run.out << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(pair_gone(first));
    CHECK(run.out.find("deleted dump " + core::metadata_path_for(first).string() + " (metadata whose dump is gone)") !=
          std::string::npos);
    CHECK(fs::exists(second));  // its age is unknown
    CHECK(pair_exists(third));
  }
  SECTION("bad --keep values are usage errors") {
    for (const std::vector<std::string>& bad :
         {std::vector<std::string>{}, {"--keep", "0"}, {"--keep", "x"}, {"--keep", "-1"}}) {
      const auto run = run_pgseed(repo.prune(bad));
      CHECK(run.exit_code == 2);
    }
    CHECK(pair_exists(first));
  }
}
