// The dump format (issue 11): pg_dump -Z0 through zstd by default, older -Z1 dumps still verified and
// restored, the bare documented command, and what a kill or a damaged file leaves.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/metadata.h"
#include "pgseed/pg/database.h"
#include "pgseed/pg/tools.h"
#include "pgseed/util/sha256.h"
#include "pgseed/util/subprocess.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

using namespace pgseed;
using testing::run_pgseed;
namespace fs = std::filesystem;

namespace {

const std::string zstd_magic = "\x28\xb5\x2f\xfd";

std::string first_bytes(const fs::path& file, std::size_t count) { return util::read_file_prefix(file, count); }

// One dumped dev project per test process: a dump takes a few seconds, and no test changes it.
struct Dumped : testing::DumpedProject {
  Dumped() : DumpedProject("format_source") {}
};
const Dumped& dumped() {
  static const Dumped instance;
  return instance;
}

core::RecordCounts counts_in(const pg::ConnInfo& database) {
  pg::Connection connection(database);
  core::RecordCounts counts;
  for (const auto& row : connection.query("SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables "
                                          "WHERE relname NOT LIKE 'pgseed\\_%'")) {
    const std::string table = row[0].value_or("");
    counts[table] = std::stoll(connection.query_value("SELECT count(*) FROM " + table));
  }
  return counts;
}

util::CommandResult run(std::vector<std::string> argv, std::map<std::string, std::optional<std::string>> env = {}) {
  util::Command command;
  command.argv = std::move(argv);
  command.env = std::move(env);
  return util::run_command(command);
}

std::string bindir() { return pg::PgTools::locate().bindir().string(); }

// A copy of the shared dump in a directory of its own, to damage or to watch for leftovers.
struct DumpCopy {
  util::TemporaryDirectory directory{"pgseed-format-"};
  fs::path dump = directory.path() / dumped().dump().filename();
  fs::path metadata = core::metadata_path_for(dump);
  DumpCopy() {
    fs::copy_file(dumped().dump(), dump);
    fs::copy_file(core::metadata_path_for(dumped().dump()), metadata);
  }
  // The files in the directory other than the dump and its metadata.
  std::vector<std::string> others() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(directory.path())) {
      if (entry.path() != dump && entry.path() != metadata) names.push_back(entry.path().filename().string());
    }
    return names;
  }
};

// A database holding one marker row: what a refused restore must not lose.
pg::ConnInfo target_with_marker(const std::string& label) {
  const auto target = testing::fresh_database(label);
  pg::Connection(target).execute("CREATE TABLE keep_me (note text); INSERT INTO keep_me VALUES ('precious');");
  return target;
}

}  // namespace

TEST_CASE("a default dump is a zstd stream of a custom archive, with metadata that says so", "[integration][format]") {
  const auto& source = dumped();
  CHECK(first_bytes(source.dump(), 4) == zstd_magic);
  const auto metadata = core::read_metadata(core::metadata_path_for(source.dump()));
  CHECK(metadata.compressor == "zstd");
  CHECK(metadata.compression == 1);
  CHECK(metadata.format == "custom");
  // The checksum is of the stored, compressed file: what `pgseed verify` and the init script hash.
  CHECK(metadata.checksum == util::sha256_file(source.dump()).sha256);
  const auto decompressed = run({"zstd", "-dcq", source.dump().string()});
  REQUIRE(decompressed.ok());
  CHECK(decompressed.stdout_text.rfind("PGDMP", 0) == 0);

  SECTION("snapshots are written the same way") {
    const auto run_snapshot = run_pgseed({"snapshot", "-C", source.project.root().string(), "--database-url",
                                          source.source.keyword_string(), "format-check"});
    REQUIRE(run_snapshot.exit_code == 0);
    const fs::path snapshot = source.project.root() / ".pgseed" / "snapshots" / "format-check.dump";
    CHECK(first_bytes(snapshot, 4) == zstd_magic);
    CHECK(core::read_metadata(core::metadata_path_for(snapshot)).compressor == "zstd");
  }
  SECTION("--compress 0 writes a custom archive pg_restore reads as it is") {
    testing::ScratchProject project;
    const auto run_dump = run_pgseed({"dump", "-Z0", "-C", project.root().string(), "--dump-dir",
                                      (project.root() / "plain").string(), "--database-url", source.source.keyword_string()});
    REQUIRE(run_dump.exit_code == 0);
    const auto plain = testing::latest_real_dump(project.root() / "plain");
    CHECK(first_bytes(plain, 5) == "PGDMP");
    const auto metadata_plain = core::read_metadata(core::metadata_path_for(plain));
    CHECK(metadata_plain.compressor == "pg_dump");
    CHECK(metadata_plain.compression == 0);
    CHECK(run({bindir() + "/pg_restore", "--list", plain.string()}).ok());
  }
}

TEST_CASE("a zstd dump restores with pgseed restore and with the bare documented command", "[integration][format]") {
  const auto& source = dumped();
  const auto expected = core::read_metadata(core::metadata_path_for(source.dump())).record_counts;
  REQUIRE(expected == counts_in(source.source));

  SECTION("pgseed verify and pgseed restore") {
    CHECK(run_pgseed({"verify", source.dump().string()}).exit_code == 0);
    DumpCopy copy;
    const auto target = testing::test_server().connection("format_restored_" + std::to_string(::getpid()));
    const auto restored = run_pgseed({"restore", "--yes", "--database-url", target.keyword_string(), copy.dump.string()});
    INFO(restored.err);
    REQUIRE(restored.exit_code == 0);
    CHECK(restored.err.find("decompressed") != std::string::npos);
    CHECK(counts_in(target) == expected);
    CHECK(copy.others().empty());  // the decompressed temporary is gone
  }
  SECTION("zstd -dc, then pg_restore -j2, as README documents it") {
    util::TemporaryDirectory work("pgseed-bare-");
    const auto target = testing::fresh_database("format_bare");
    const fs::path plain = work.path() / "x.dump";
    // README: zstd -dc x.dump.zst > x.dump && pg_restore -j2 --no-owner --no-acl -d db x.dump
    const auto restored = run({"bash", "-c", "zstd -dc \"$1\" > \"$2\" && \"$3\" -j2 --no-owner --no-acl -d \"$4\" \"$2\"",
                               "bare", source.dump().string(), plain.string(), bindir() + "/pg_restore",
                               target.argument_string()},
                              target.secret_environment());
    INFO(restored.stderr_text);
    REQUIRE(restored.ok());
    CHECK(counts_in(target) == expected);
  }
}

TEST_CASE("a dump written with pg_dump -Z1 and metadata without compressor still verifies and restores", "[integration][format]") {
  const auto& source = dumped();
  util::TemporaryDirectory directory("pgseed-old-format-");
  const fs::path dump = directory.path() / "dev-seeded-vold-20250101T000000Z-abcdef.dump";
  // What pgseed wrote before zstd: pg_dump's own gzip at level 1, inside the custom format.
  const auto dumped_old = run({bindir() + "/pg_dump", "-Fc", "-Z1", "--exclude-table=public.pgseed_provenance", "-f",
                               dump.string(), "--dbname=" + source.source.argument_string()},
                              source.source.secret_environment());
  REQUIRE(dumped_old.ok());
  auto document = nlohmann::json::parse(testing::read_text(core::metadata_path_for(source.dump())));
  document.erase("compressor");  // older metadata has no such field
  document["compression"] = 1;
  document["file"] = dump.filename().string();
  document["sizeBytes"] = fs::file_size(dump);
  document["checksum"] = util::sha256_file(dump).sha256;
  testing::write_text(core::metadata_path_for(dump), document.dump(2));
  CHECK(core::read_metadata(core::metadata_path_for(dump)).compressor == "pg_dump");

  CHECK(run_pgseed({"verify", dump.string()}).exit_code == 0);
  const auto target = testing::test_server().connection("format_old_" + std::to_string(::getpid()));
  const auto restored = run_pgseed({"restore", "--yes", "--database-url", target.keyword_string(), dump.string()});
  INFO(restored.err);
  REQUIRE(restored.exit_code == 0);
  CHECK(restored.err.find("decompressed") == std::string::npos);  // read as it is
  CHECK(counts_in(target) == core::read_metadata(core::metadata_path_for(dump)).record_counts);

  SECTION("and one cut off in its data, metadata made to match, fails in pg_restore with the target intact") {
    const auto kept = target_with_marker("format_old_cut");
    fs::resize_file(dump, fs::file_size(dump) * 6 / 10);
    document["sizeBytes"] = fs::file_size(dump);
    document["checksum"] = util::sha256_file(dump).sha256;
    fs::remove(core::metadata_path_for(dump));
    testing::write_text(core::metadata_path_for(dump), document.dump(2));
    const auto failed = run_pgseed({"restore", "--yes", "--database-url", kept.keyword_string(), dump.string()});
    CHECK(failed.exit_code == 1);
    CHECK(failed.err.find("pg_restore failed") != std::string::npos);
    CHECK(testing::query_value(kept, "SELECT note FROM keep_me") == "precious");
  }
}

TEST_CASE("a damaged zstd dump is refused before the target is touched", "[integration][format]") {
  DumpCopy copy;
  const auto target = target_with_marker("format_damaged");
  auto metadata = core::read_metadata(copy.metadata);

  SECTION("one changed byte fails the checksum in verify and in restore") {
    std::string bytes = testing::read_text(copy.dump);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x55);
    fs::remove(copy.dump);
    testing::write_text(copy.dump, bytes);
    const auto verified = run_pgseed({"verify", copy.dump.string()});
    CHECK(verified.exit_code == 3);
    CHECK(verified.err.find("failed its checksum") != std::string::npos);
    const auto restored = run_pgseed({"restore", "--yes", "--database-url", target.keyword_string(), copy.dump.string()});
    CHECK(restored.exit_code == 3);
    CHECK(restored.err.find("failed its checksum") != std::string::npos);
  }
  SECTION("a cut-off stream whose metadata was made to match fails to decompress, and leaves no temporary") {
    fs::resize_file(copy.dump, fs::file_size(copy.dump) * 6 / 10);
    metadata.size_bytes = fs::file_size(copy.dump);
    metadata.checksum = util::sha256_file(copy.dump).sha256;
    fs::remove(copy.metadata);
    core::write_metadata(copy.metadata, metadata);
    CHECK(run_pgseed({"verify", copy.dump.string()}).exit_code == 0);  // what the checksum cannot see
    const auto restored = run_pgseed({"restore", "--yes", "--database-url", target.keyword_string(), copy.dump.string()});
    CHECK(restored.exit_code == 3);
    CHECK(restored.err.find("cannot be decompressed") != std::string::npos);
    CHECK(copy.others().empty());
  }
  CHECK(testing::query_value(target, "SELECT note FROM keep_me") == "precious");
  CHECK(testing::query_value(target, "SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_pgseed\\_%'") == "0");
}

TEST_CASE("a restore killed while it decompresses leaves a temporary that the next run removes", "[integration][format][kill]") {
  DumpCopy copy;
  // The real zstd, held up before it writes a decompressed file (not while it feeds pg_restore --list
  // through a pipe), so the kill lands while the temporary exists.
  util::TemporaryDirectory tools("pgseed-slow-zstd-");
  const fs::path wrapper = tools.path() / "zstd";
  testing::write_text(wrapper, "#!/bin/sh\nif [ -f /dev/stdout ]; then sleep 30; fi\nexec " +
                                   util::find_in_path("zstd").string() + " \"$@\"\n");
  fs::permissions(wrapper, fs::perms::owner_all);
  const std::string path = tools.path().string() + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  const auto target = testing::test_server().connection("format_killed_" + std::to_string(::getpid()));

  const pid_t pgseed = testing::start_pgseed({"restore", "--yes", "--database-url", target.keyword_string(), copy.dump.string()},
                                             {{"PATH", path}});
  std::vector<std::string> left;
  for (int waited = 0; waited < 300 && left.empty(); ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    left = copy.others();
  }
  REQUIRE(left.size() == 1);
  CHECK(left[0].find(".plain.tmp-") != std::string::npos);
  ::kill(pgseed, SIGKILL);
  int status = 0;
  ::waitpid(pgseed, &status, 0);
  CHECK(copy.others() == left);  // a kill leaves it behind...

  const auto next = run_pgseed({"restore", "--yes", "--database-url", target.keyword_string(), copy.dump.string()});
  INFO(next.err);
  REQUIRE(next.exit_code == 0);
  CHECK(next.err.find("removed " + left[0]) != std::string::npos);
  CHECK(copy.others().empty());  // ...and the next run in that directory removes it
  CHECK(counts_in(target) == core::read_metadata(copy.metadata).record_counts);
}
