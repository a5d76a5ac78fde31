#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/metadata.h"
#include "pgseed/pg/database.h"
#include "pgseed/util/sha256.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

using namespace pgseed;
using testing::run_pgseed;
namespace fs = std::filesystem;

namespace {

struct DumpedProject {
  testing::ScratchProject project;
  pg::ConnInfo source = testing::fresh_database("source");
  testing::PgseedRun run;
  DumpedProject() {
    run = run_pgseed({"dump", "--project-dir", project.root().string(), "--database-url", source.keyword_string()});
  }
  fs::path dump() const { return testing::latest_real_dump(project.dumps()); }
};

std::vector<std::string> restore_args(const fs::path& dump, const pg::ConnInfo& target) {
  return {"restore", "--yes", "--database-url", target.keyword_string(), dump.string()};
}

core::RecordCounts counts_in(const pg::ConnInfo& database) {
  pg::Connection connection(database);
  core::RecordCounts counts;
  for (const char* table : {"public.coins", "public.users", "public.algorithms", "public.positions", "public.orders",
                            "public.price_data_5min", "public.news_articles", "public.agent_sessions"}) {
    counts[table] = std::stoll(connection.query_value(std::string("SELECT count(*) FROM ") + table));
  }
  return counts;
}

// A database holding one marker row: the thing a failed restore must not lose.
pg::ConnInfo target_with_marker() {
  const auto target = testing::fresh_database("target");
  pg::Connection connection(target);
  connection.execute("CREATE TABLE keep_me (note text); INSERT INTO keep_me VALUES ('precious');");
  return target;
}

void check_marker_intact(const pg::ConnInfo& target) {
  CHECK(testing::query_value(target, "SELECT note FROM keep_me") == "precious");
}

int scratch_databases() {
  pg::Connection admin(testing::test_server().connection("postgres"));
  return std::stoi(admin.query_value("SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_pgseed\\_%'"));
}

}  // namespace

TEST_CASE("dump writes a versioned dump, metadata with exact counts, and latest links", "[integration][dump]") {
  DumpedProject dumped;
  REQUIRE(dumped.run.exit_code == 0);
  const fs::path dump = dumped.dump();
  CHECK(dumped.run.out == dump.string() + "\n");
  CHECK(dump.filename().string().rfind("dev-seeded-vunknown-", 0) == 0);
  CHECK(fs::is_symlink(dumped.project.dumps() / "dev-seeded-latest.dump"));
  CHECK(fs::read_symlink(dumped.project.dumps() / "dev-seeded-latest.dump") == dump.filename());
  CHECK(fs::read_symlink(dumped.project.dumps() / "dev-seeded-latest.metadata.json") ==
        core::metadata_path_for(dump).filename());
  CHECK(dumped.run.err.find("not in a git repository") != std::string::npos);

  const auto metadata = core::read_metadata(core::metadata_path_for(dump));
  CHECK(metadata.environment == "dev");
  CHECK(metadata.version == "unknown");
  CHECK(metadata.file == dump.filename().string());
  CHECK(metadata.size_bytes == fs::file_size(dump));
  CHECK(metadata.checksum == util::sha256_file(dump).sha256);
  CHECK(metadata.record_counts == counts_in(dumped.source));
  CHECK(metadata.record_counts.at("public.users") == 11);
  CHECK(metadata.record_counts.count("public.pgseed_migrations") == 0);
  CHECK(metadata.migrations == std::vector<std::string>{"0001", "0002", "0003", "0004", "0005", "0006"});
  CHECK(metadata.migrations_fingerprint.size() == 64);
  CHECK(metadata.pg_dump_major >= 15);
  CHECK(!metadata.server_version.empty());
  // No temporary files are left next to the finished ones.
  for (const auto& entry : fs::directory_iterator(dumped.project.dumps())) {
    CHECK(entry.path().filename().string()[0] != '.');
  }
}

TEST_CASE("dump records the git commit and whether seeds or migrations are dirty", "[integration][dump]") {
  testing::ScratchProject project;
  auto git = [&](std::vector<std::string> arguments) {
    util::Command command;
    command.argv = {"git", "-C", project.root().string(), "-c", "user.name=t", "-c", "user.email=t@example.com"};
    command.argv.insert(command.argv.end(), arguments.begin(), arguments.end());
    const auto result = util::run_command(command);
    REQUIRE(result.ok());
    return result.stdout_text;
  };
  git({"init", "-q"});
  git({"add", "migrations", "seeds"});
  git({"commit", "-qm", "app"});
  const std::string head = git({"rev-parse", "HEAD"}).substr(0, 40);

  const auto clean = run_pgseed({"dump", "-C", project.root().string(), "--database-url",
                                 testing::fresh_database("git").keyword_string()});
  REQUIRE(clean.exit_code == 0);
  auto metadata = core::read_metadata(core::metadata_path_for(testing::latest_real_dump(project.dumps())));
  CHECK(metadata.version == head);
  CHECK(!metadata.dirty);
  CHECK(testing::latest_real_dump(project.dumps()).filename().string().rfind("dev-seeded-v" + head.substr(0, 7) + "-", 0) == 0);

  // One more generated user in the profile: an uncommitted change under seeds/.
  auto profile = nlohmann::json::parse(testing::read_text(project.root() / "seeds" / "dev.json"));
  for (auto& step : profile["steps"]) {
    if (step.value("generate", "") == "users") step["count"] = 11;
  }
  project.write("seeds/dev.json", profile.dump(2));
  const auto dirty = run_pgseed({"dump", "-C", project.root().string(), "--database-url",
                                 testing::fresh_database("gitdirty").keyword_string()});
  REQUIRE(dirty.exit_code == 0);
  metadata = core::read_metadata(core::metadata_path_for(testing::latest_real_dump(project.dumps())));
  CHECK(metadata.dirty);
  CHECK(metadata.record_counts.at("public.users") == 12);
}

TEST_CASE("dump -> verify -> restore brings the exact counts back", "[integration][restore]") {
  DumpedProject dumped;
  REQUIRE(dumped.run.exit_code == 0);

  const auto verify = run_pgseed({"verify", "--dump-dir", dumped.project.dumps().string()});
  CHECK(verify.exit_code == 0);
  CHECK(verify.out.rfind("ok: ", 0) == 0);
  const auto verify_json = run_pgseed({"verify", "--json", dumped.dump().string()});
  CHECK(verify_json.exit_code == 0);
  CHECK(nlohmann::json::parse(verify_json.out).at("status") == "ok");

  SECTION("into a database that does not exist yet") {
    const auto target = testing::test_server().connection("created_by_restore_" + std::to_string(::getpid()));
    const auto run = run_pgseed(restore_args(dumped.dump(), target));
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("created") != std::string::npos);
    CHECK(counts_in(target) == counts_in(dumped.source));
    // Large values are stored with lz4, which is faster than the server's default pglz.
    CHECK(testing::news_body_compressions(target) == "lz4");
  }
  SECTION("replacing a database that holds other data, through the latest link") {
    const auto target = target_with_marker();
    const auto run = run_pgseed({"restore", "--yes", "--database-url", target.keyword_string(), "--dump-dir",
                                 dumped.project.dumps().string()});
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("replaced") != std::string::npos);
    CHECK(counts_in(target) == counts_in(dumped.source));
    CHECK(testing::query_value(target, "SELECT to_regclass('public.keep_me') IS NULL") == "t");
    CHECK(testing::query_value(target, "SELECT email FROM users WHERE is_superuser") == "admin@example.com");
  }
  CHECK(scratch_databases() == 0);
}

TEST_CASE("a column whose schema names a compression keeps it when seeded and restored", "[integration][restore]") {
  // pgseed loads large values with lz4, but an app that asks for pglz on a column gets pglz.
  testing::ScratchProject project;
  project.write("migrations/0007_news_body_compression.sql",
                "ALTER TABLE news_articles ALTER COLUMN body SET COMPRESSION pglz;\n");
  const auto source = testing::fresh_database("explicit_compression");
  const auto dumped = run_pgseed({"dump", "-C", project.root().string(), "--database-url", source.keyword_string()});
  REQUIRE(dumped.exit_code == 0);
  CHECK(testing::news_body_compressions(source) == "pglz");

  const auto target = testing::test_server().connection("explicit_compression_restored_" + std::to_string(::getpid()));
  REQUIRE(run_pgseed(restore_args(testing::latest_real_dump(project.dumps()), target)).exit_code == 0);
  CHECK(testing::news_body_compressions(target) == "pglz");
}

TEST_CASE("corrupted dumps are refused before the target is touched", "[integration][restore]") {
  DumpedProject dumped;
  REQUIRE(dumped.run.exit_code == 0);
  const auto target = target_with_marker();

  struct Case {
    const char* name;
    std::function<void(const fs::path& dump, const fs::path& metadata)> damage;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"byte appended", [](const fs::path& d, const fs::path&) { testing::write_text(d, testing::read_text(d) + "\n"); },
       "has the wrong size"},
      {"truncated", [](const fs::path& d, const fs::path&) { fs::resize_file(d, fs::file_size(d) / 2); }, "has the wrong size"},
      {"one byte flipped",
       [](const fs::path& d, const fs::path&) {
         std::string content = testing::read_text(d);
         content[content.size() / 3] ^= 0x20;
         testing::write_text(d, content);
       },
       "failed its checksum"},
      {"git lfs pointer",
       [](const fs::path& d, const fs::path&) {
         testing::write_text(d, "version https://git-lfs.github.com/spec/v1\noid sha256:" +
                                    util::sha256_file(d).sha256 + "\nsize " + std::to_string(fs::file_size(d)) + "\n");
       },
       "is a Git LFS pointer"},
      {"metadata missing", [](const fs::path&, const fs::path& m) { fs::remove(m); }, "does not exist"},
      {"metadata malformed", [](const fs::path&, const fs::path& m) { testing::write_text(m, "{\"checksum\": "); },
       "is invalid"},
  };
  for (const auto& test : cases) {
    INFO(test.name);
    // Work on copies: the dump and metadata of the project stay intact for the next case.
    util::TemporaryDirectory copies("pgseed-corrupt-");
    const fs::path dump = copies.path() / dumped.dump().filename();
    fs::copy_file(dumped.dump(), dump);
    fs::copy_file(core::metadata_path_for(dumped.dump()), core::metadata_path_for(dump));
    test.damage(dump, core::metadata_path_for(dump));

    const auto run = run_pgseed(restore_args(dump, target));
    CHECK(run.exit_code == 3);
    CHECK(run.err.find(test.message) != std::string::npos);
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') <= 2);  // one line, plus a hint
    if (std::string(test.name) == "git lfs pointer") CHECK(run.err.find("git lfs pull") != std::string::npos);
    check_marker_intact(target);
    CHECK(run_pgseed({"verify", dump.string()}).exit_code == 3);
  }
  CHECK(scratch_databases() == 0);
}

TEST_CASE("a restore that fails midway leaves the target intact", "[integration][restore]") {
  DumpedProject dumped;
  REQUIRE(dumped.run.exit_code == 0);
  const auto target = target_with_marker();
  util::TemporaryDirectory copies("pgseed-midway-");
  const fs::path dump = copies.path() / dumped.dump().filename();
  const fs::path metadata_path = core::metadata_path_for(dump);
  fs::copy_file(dumped.dump(), dump);
  auto metadata = core::read_metadata(core::metadata_path_for(dumped.dump()));

  SECTION("a cut-off file whose metadata was made to match fails to decompress") {
    // (A cut-off -Z1 archive, which pg_restore itself fails on, is in format_test.cpp.)
    fs::resize_file(dump, fs::file_size(dump) * 6 / 10);
    metadata.size_bytes = fs::file_size(dump);
    metadata.checksum = util::sha256_file(dump).sha256;
    core::write_metadata(metadata_path, metadata);
    const auto run = run_pgseed(restore_args(dump, target));
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("cannot be decompressed") != std::string::npos);
  }
  SECTION("the restored counts do not match the metadata") {
    metadata.record_counts["public.users"] = 12;
    core::write_metadata(metadata_path, metadata);
    const auto run = run_pgseed(restore_args(dump, target));
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("public.users has 11 rows, the metadata says 12") != std::string::npos);
  }
  check_marker_intact(target);
  CHECK(scratch_databases() == 0);
}

TEST_CASE("restore refuses connected sessions unless forced, and unconfirmed runs", "[integration][restore]") {
  DumpedProject dumped;
  REQUIRE(dumped.run.exit_code == 0);
  const auto target = target_with_marker();
  {
    pg::Connection app(target);  // an application still connected
    const auto refused = run_pgseed(restore_args(dumped.dump(), target));
    CHECK(refused.exit_code == 5);
    CHECK(refused.err.find("1 other connected session") != std::string::npos);
    CHECK(refused.err.find("--force") != std::string::npos);
    check_marker_intact(target);

    const auto forced = run_pgseed({"restore", "--yes", "--force", "--database-url", target.keyword_string(),
                                    dumped.dump().string()});
    CHECK(forced.exit_code == 0);
  }
  CHECK(testing::query_value(target, "SELECT count(*) FROM users") == "11");

  const auto unconfirmed = run_pgseed({"restore", "--database-url", target.keyword_string(), dumped.dump().string()});
  CHECK(unconfirmed.exit_code == 5);
  CHECK(unconfirmed.err.find("nobody confirmed") != std::string::npos);
  CHECK(unconfirmed.err.find("hint: pass --yes") != std::string::npos);
}

TEST_CASE("latest moves only when a dump succeeds", "[integration][dump]") {
  DumpedProject dumped;
  REQUIRE(dumped.run.exit_code == 0);
  const fs::path first = dumped.dump();
  const auto files_before = std::distance(fs::directory_iterator(dumped.project.dumps()), fs::directory_iterator());

  SECTION("a failing migration") {
    dumped.project.write("migrations/0007_broken.sql", "SELECT * FROM nowhere;");
    const auto run = run_pgseed({"dump", "-C", dumped.project.root().string(), "--database-url", dumped.source.keyword_string()});
    CHECK(run.exit_code == 4);
  }
  SECTION("an empty database without --allow-empty") {
    dumped.project.write("seeds/empty/README", "no seed files");
    const auto empty = testing::fresh_database("empty");
    const auto run = run_pgseed({"dump", "-C", dumped.project.root().string(), "-e", "empty", "--database-url",
                                 empty.keyword_string()});
    CHECK(run.exit_code == 5);
    CHECK(run.err.find("has no rows in any table") != std::string::npos);
    CHECK(run.err.find("--allow-empty") != std::string::npos);
    const auto allowed = run_pgseed({"dump", "-C", dumped.project.root().string(), "-e", "empty", "--allow-empty",
                                     "--dump-dir", (dumped.project.root() / "other-dumps").string(), "--database-url",
                                     empty.keyword_string()});
    CHECK(allowed.exit_code == 0);
  }
  CHECK(testing::latest_real_dump(dumped.project.dumps()) == first);
  CHECK(std::distance(fs::directory_iterator(dumped.project.dumps()), fs::directory_iterator()) == files_before);
}

TEST_CASE("seeding twice changes nothing", "[integration][seed]") {
  testing::ScratchProject project;
  const auto database = testing::fresh_database("seedtwice");
  const std::vector<std::string> migrate = {"migrate", "-C", project.root().string(), "--database-url", database.keyword_string()};
  const std::vector<std::string> seed = {"seed", "-C", project.root().string(), "--database-url", database.keyword_string()};
  REQUIRE(run_pgseed(migrate).exit_code == 0);
  REQUIRE(run_pgseed(seed).exit_code == 0);
  const auto counts = counts_in(database);
  const auto again = run_pgseed(seed);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("nothing changed") != std::string::npos);
  CHECK(counts_in(database) == counts);
}

TEST_CASE("the embedded default produces a dump with no database configured", "[integration][dump]") {
  testing::ScratchProject project;
  const auto run = run_pgseed({"dump", "-C", project.root().string()});
  REQUIRE(run.exit_code == 0);
  CHECK(run.err.find("embedded PostgreSQL cluster") != std::string::npos);
  const auto restore = run_pgseed({"restore", "-C", project.root().string()});
  CHECK(restore.exit_code == 0);
  CHECK(restore.out.find("counts verified") != std::string::npos);
}
