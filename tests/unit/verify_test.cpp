// Corruption cases for verify, table-driven. verify needs no server, so the "dump" here is any file
// with metadata made for it; the integration tests do the same against real pg_dump output.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/metadata.h"
#include "pgseed/core/verify.h"
#include "pgseed/util/fs.h"
#include "pgseed/util/sha256.h"

#include <sys/stat.h>

using namespace pgseed;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  util::TemporaryDirectory directory{"pgseed-verify-"};
  fs::path dump = directory.path() / "dev-seeded-vabc1234-20260101T000000Z.dump";
  fs::path metadata = core::metadata_path_for(dump);

  Fixture() {
    std::string content = "PGDMP";
    for (int i = 0; i < 100000; ++i) content += static_cast<char>(i % 256);
    testing::write_text(dump, content);
    core::DumpMetadata record;
    record.pg_dump_major = 15;  // as pg_dump 15 writes it
    record.environment = "dev";
    record.timestamp = "2026-01-01T00:00:00Z";
    record.file = dump.filename().string();
    record.size_bytes = content.size();
    record.checksum = util::sha256_hex(content);
    record.record_counts = {{"public.users", 3}};
    core::write_metadata(metadata, record);
  }
};

}  // namespace

TEST_CASE("an intact dump verifies, also through the latest link", "[unit][verify]") {
  Fixture fixture;
  CHECK(core::verify_dump(fixture.dump).status == core::VerifyStatus::ok);
  const auto link = core::latest_dump_path(fixture.directory.path(), "dev");
  fs::create_symlink(fixture.dump.filename(), link);
  const auto result = core::verify_dump(link);
  CHECK(result.status == core::VerifyStatus::ok);
  CHECK(result.metadata_path == fixture.metadata);
}

TEST_CASE("damaged dumps and metadata are refused with the right status", "[unit][verify]") {
  struct Case {
    const char* name;
    std::function<void(const Fixture&)> damage;
    core::VerifyStatus expected;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"byte appended", [](const Fixture& f) { testing::write_text(f.dump, testing::read_text(f.dump) + "x"); },
       core::VerifyStatus::size_mismatch, "has the wrong size"},
      {"truncated", [](const Fixture& f) { fs::resize_file(f.dump, fs::file_size(f.dump) - 10); },
       core::VerifyStatus::size_mismatch, "has the wrong size"},
      {"one byte flipped",
       [](const Fixture& f) {
         std::string content = testing::read_text(f.dump);
         content[content.size() / 2] ^= 0x01;
         testing::write_text(f.dump, content);
       },
       core::VerifyStatus::checksum_mismatch, "failed its checksum"},
      {"git lfs pointer",
       [](const Fixture& f) {
         testing::write_text(f.dump, "version https://git-lfs.github.com/spec/v1\noid sha256:" + std::string(64, '0') +
                                         "\nsize 100005\n");
       },
       core::VerifyStatus::lfs_pointer, "is a Git LFS pointer"},
      {"metadata missing", [](const Fixture& f) { fs::remove(f.metadata); }, core::VerifyStatus::metadata_missing,
       "does not exist"},
      {"metadata malformed", [](const Fixture& f) { testing::write_text(f.metadata, "{\"formatVersion\": 1,"); },
       core::VerifyStatus::metadata_invalid, "is invalid: not valid JSON"},
      {"metadata empty", [](const Fixture& f) { testing::write_text(f.metadata, ""); },
       core::VerifyStatus::metadata_invalid, "is invalid"},
      {"dump missing", [](const Fixture& f) { fs::remove(f.dump); }, core::VerifyStatus::missing, "does not exist"},
  };
  for (const auto& test : cases) {
    INFO(test.name);
    Fixture fixture;
    test.damage(fixture);
    const auto result = core::verify_dump(fixture.dump);
    CHECK(result.status == test.expected);
    const Error error = result.to_error();
    CHECK(error.code() == ExitCode::dump_refused);
    CHECK(std::string(error.what()).find(test.message) != std::string::npos);
    if (test.expected == core::VerifyStatus::lfs_pointer) CHECK(error.hint() == "run git lfs pull");
  }
}

TEST_CASE("a directory, a dangling link and a FIFO are refused as exactly that", "[unit][verify]") {
  Fixture fixture;
  struct Case {
    const char* name;
    fs::path path;
    core::VerifyStatus expected;
    const char* status_name;  // what verify --json prints
    const char* message;
  };
  const fs::path directory = fixture.directory.path() / "dev-seeded-latest.dump.d";
  fs::create_directory(directory);
  const fs::path dangling = core::latest_dump_path(fixture.directory.path(), "dev");
  fs::create_symlink("dev-seeded-vgone000-20260101T000000Z.dump", dangling);
  const fs::path fifo = fixture.directory.path() / "fifo.dump";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::vector<Case> cases = {
      {"directory", directory, core::VerifyStatus::directory, "directory", "is a directory, not a dump file"},
      {"dangling latest link", dangling, core::VerifyStatus::dangling_link, "dangling-link",
       "is a link to dev-seeded-vgone000-20260101T000000Z.dump, which does not exist"},
      {"fifo", fifo, core::VerifyStatus::not_regular_file, "not-regular-file", "is not a regular file"},
      {"nothing there", fixture.directory.path() / "nope.dump", core::VerifyStatus::missing, "missing",
       "does not exist"},
  };
  for (const auto& test : cases) {
    INFO(test.name);
    const auto result = core::verify_dump(test.path);
    CHECK(result.status == test.expected);
    CHECK(std::string(core::to_string(result.status)) == test.status_name);
    const Error error = result.to_error();
    CHECK(error.code() == ExitCode::dump_refused);
    CHECK(std::string(error.what()) == "dump " + test.path.string() + " " + test.message);
  }
}

TEST_CASE("through the latest link, verify checks and reports the resolved file", "[unit][verify]") {
  Fixture fixture;
  const auto link = core::latest_dump_path(fixture.directory.path(), "dev");
  fs::create_symlink(fixture.dump.filename(), link);
  const auto result = core::verify_dump(link);
  REQUIRE(result.ok());
  CHECK(result.dump_path == link);
  CHECK(result.resolved_path == fs::canonical(fixture.dump));
  CHECK(result.actual_size == fs::file_size(fixture.dump));
}
