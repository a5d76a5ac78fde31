// Sharing dumps through Git LFS with a local file:// remote (git-lfs needs no server for that).
// LFS objects of file:// remotes are hard-linked between repositories: nothing here modifies a dump
// in place.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/metadata.h"

#include <sys/stat.h>

using namespace pgseed;
namespace fs = std::filesystem;

namespace {

// git with the LFS filter configured on the command line, so the test does not depend on anyone's
// ~/.gitconfig.
util::CommandResult git(const fs::path& directory, std::vector<std::string> arguments,
                        std::map<std::string, std::optional<std::string>> env = {}) {
  util::Command command;
  command.argv = {"git", "-C", directory.string(), "-c", "user.name=pgseed test", "-c", "user.email=test@example.com",
                  "-c", "filter.lfs.clean=git-lfs clean -- %f", "-c", "filter.lfs.smudge=git-lfs smudge -- %f",
                  "-c", "filter.lfs.process=git-lfs filter-process", "-c", "filter.lfs.required=true",
                  "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always"};
  command.argv.insert(command.argv.end(), arguments.begin(), arguments.end());
  command.env = std::move(env);
  const auto result = util::run_command(command);
  if (!result.ok()) throw std::runtime_error("git " + arguments.front() + " failed: " + result.stderr_text);
  return result;
}

}  // namespace

TEST_CASE("dumps travel through Git LFS, and a clone without LFS content gets the pointer message", "[integration][lfs]") {
  util::TemporaryDirectory area("pgseed-lfs-");
  ::chmod(area.path().c_str(), 0755);
  const fs::path remote = area.path() / "remote.git";
  const fs::path origin = area.path() / "origin";
  fs::create_directories(remote);
  git(remote, {"init", "-q", "--bare"});

  // The producer: the example app, .gitattributes from this repository, a fresh dump.
  fs::create_directories(origin);
  fs::copy(fs::path(PGSEED_SOURCE_DIR) / "migrations", origin / "migrations", fs::copy_options::recursive);
  fs::copy(fs::path(PGSEED_SOURCE_DIR) / "seeds", origin / "seeds", fs::copy_options::recursive);
  fs::copy_file(fs::path(PGSEED_SOURCE_DIR) / ".gitattributes", origin / ".gitattributes");
  git(origin, {"init", "-q"});
  git(origin, {"add", "."});
  git(origin, {"commit", "-qm", "app"});
  const auto dump_run = testing::run_pgseed({"dump", "-C", origin.string()});
  REQUIRE(dump_run.exit_code == 0);
  const fs::path produced = testing::latest_real_dump(origin / "dumps");
  const std::string checksum = core::read_metadata(core::metadata_path_for(produced)).checksum;
  git(origin, {"add", "dumps"});
  git(origin, {"commit", "-qm", "dev dump"});
  // The dump is stored as an LFS object; metadata and links are plain git.
  const std::string lfs_files = git(origin, {"lfs", "ls-files", "--name-only"}).stdout_text;
  CHECK(lfs_files.find(produced.filename().string()) != std::string::npos);
  CHECK(lfs_files.find("metadata.json") == std::string::npos);
  CHECK(lfs_files.find("latest") == std::string::npos);
  git(origin, {"remote", "add", "origin", "file://" + remote.string()});
  git(origin, {"push", "-q", "origin", "HEAD:main"});

  SECTION("a clone with LFS restores the same bytes") {
    const fs::path clone = area.path() / "clone";
    git(area.path(), {"clone", "-q", "file://" + remote.string(), clone.string()});
    const fs::path cloned = testing::latest_real_dump(clone / "dumps");
    CHECK(cloned.filename() == produced.filename());
    const auto verify = testing::run_pgseed({"verify", "--json", "-C", clone.string()});
    REQUIRE(verify.exit_code == 0);
    CHECK(verify.out.find(checksum) != std::string::npos);
    const auto target = testing::fresh_database("lfs");
    const auto restore = testing::run_pgseed({"restore", "--yes", "-C", clone.string(), "--database-url", target.keyword_string()});
    CHECK(restore.exit_code == 0);
    CHECK(testing::query_value(target, "SELECT count(*) FROM users") == "11");
  }
  SECTION("a clone with GIT_LFS_SKIP_SMUDGE=1 has pointers, and both restore paths say git lfs pull") {
    const fs::path clone = area.path() / "pointers";
    git(area.path(), {"clone", "-q", "file://" + remote.string(), clone.string()}, {{"GIT_LFS_SKIP_SMUDGE", "1"}});
    const fs::path pointer = testing::latest_real_dump(clone / "dumps");
    CHECK(testing::read_text(pointer).rfind("version https://git-lfs.github.com/spec/v1", 0) == 0);

    const auto restore = testing::run_pgseed({"restore", "--yes", "-C", clone.string(), "--database-url",
                                              testing::fresh_database("pointer").keyword_string()});
    CHECK(restore.exit_code == 3);
    CHECK(restore.err.find("is a Git LFS pointer") != std::string::npos);
    CHECK(restore.err.find("hint: run git lfs pull") != std::string::npos);

    // The init script, fed from the pointer clone's dumps/.
    const fs::path init_script = fs::path(PGSEED_SOURCE_DIR) / "scripts" / "init-db.sh";
    util::Command init;
    init.argv = {"bash", init_script.string()};
    init.env["PGSEED_DUMP"] = (clone / "dumps" / "dev-seeded-latest.dump").string();
    const auto result = util::run_command(init);
    CHECK(result.exit_code != 0);
    CHECK(result.stderr_text.find("pgseed-init: error: ") != std::string::npos);
    CHECK(result.stderr_text.find("run git lfs pull") != std::string::npos);

    // `git lfs pull` then brings the real dump.
    git(clone, {"lfs", "pull"});
    CHECK(testing::run_pgseed({"verify", "-C", clone.string()}).exit_code == 0);
  }
}
