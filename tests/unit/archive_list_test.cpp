#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/archive_list.h"
#include "pgseed/core/dump_files.h"
#include "pgseed/util/sha256.h"

#include <map>

using namespace pgseed;
namespace fs = std::filesystem;

namespace {

// A dump file with its metadata, as pgseed writes them.
void write_pair(const fs::path& directory, const std::string& stem, const std::string& environment,
                const std::string& timestamp, const std::string& content = "PGDMP fake dump") {
  fs::create_directories(directory);
  const fs::path dump = directory / (stem + ".dump");
  testing::write_text(dump, content);
  core::DumpMetadata metadata;
  metadata.pg_dump_major = 15;  // as pg_dump 15 writes it
  metadata.environment = environment;
  metadata.timestamp = timestamp;
  metadata.file = dump.filename().string();
  metadata.size_bytes = fs::file_size(dump);
  metadata.checksum = util::sha256_file(dump).sha256;
  metadata.record_counts = {{"public.users", 11}, {"public.orders", 4}};
  metadata.version = "0123456789abcdef0123456789abcdef01234567";
  core::write_metadata(core::metadata_path_for(dump), metadata);
}

const core::Archive& find(const std::vector<core::Archive>& archives, const std::string& name) {
  for (const auto& archive : archives) {
    if (archive.name == name) return archive;
  }
  FAIL("no archive " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("metadata timestamps parse, anything else does not", "[unit][archives]") {
  struct Case {
    const char* text;
    bool parses;
  };
  const Case cases[] = {
      {"2026-11-21T06:45:32Z", true},
      {"1970-01-01T00:00:00Z", true},
      {"2026-11-21T06:45:32", false},
      {"2026-11-21 06:45:32Z", false},
      {"2026-13-21T06:45:32Z", false},
      {"2026-11-21T24:45:32Z", false},
      {"2026-11-21T06:45:32+01", false},
      {"", false},
      {"yesterday", false},
      {"2026-11-21T06:45:32Zx", false},
  };
  for (const auto& test : cases) {
    INFO(test.text);
    CHECK(core::parse_iso8601_utc(test.text).has_value() == test.parses);
  }
  const auto epoch = core::parse_iso8601_utc("1970-01-02T00:00:01Z");
  REQUIRE(epoch);
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(epoch->time_since_epoch()).count() == 86401);
}

TEST_CASE("ages read as seconds, minutes, hours, days", "[unit][archives]") {
  const std::pair<long, const char*> cases[] = {{0, "0 s"},         {59, "59 s"},  {60, "1 min"},
                                                {3599, "59 min"},   {3600, "1 h"}, {47 * 3600, "47 h"},
                                                {48 * 3600, "2 d"}, {-5, "future"}};
  for (const auto& [seconds, text] : cases) {
    INFO(seconds);
    CHECK(core::format_age(std::chrono::seconds(seconds)) == text);
  }
}

TEST_CASE("list_archives lists every pair, broken ones with what is wrong, and marks latest", "[unit][archives]") {
  util::TemporaryDirectory scratch("pgseed-archives-");
  const fs::path dumps = scratch.path() / "dumps";
  write_pair(dumps, "dev-seeded-vaaaaaaa-20261120T000000Z-000001", "dev", "2026-11-20T00:00:00Z");
  write_pair(dumps, "dev-seeded-vbbbbbbb-20261121T000000Z-000002", "dev", "2026-11-21T00:00:00Z");
  write_pair(dumps, "staging-seeded-vccccccc-20261119T000000Z-000003", "staging", "2026-11-19T00:00:00Z");
  fs::create_symlink("dev-seeded-vaaaaaaa-20261120T000000Z-000001.dump", dumps / "dev-seeded-latest.dump");
  fs::create_symlink("dev-seeded-vaaaaaaa-20261120T000000Z-000001.metadata.json",
                     dumps / "dev-seeded-latest.metadata.json");
  // What can go wrong with a pair.
  testing::write_text(dumps / "dev-seeded-vddddddd-20261101T000000Z-000004.dump", "no metadata");
  write_pair(dumps, "dev-seeded-veeeeeee-20261102T000000Z-000005", "dev", "2026-11-02T00:00:00Z");
  fs::remove(dumps / "dev-seeded-veeeeeee-20261102T000000Z-000005.dump");
  write_pair(dumps, "dev-seeded-vfffffff-20261103T000000Z-000006", "dev", "2026-11-03T00:00:00Z");
  testing::write_text(dumps / "dev-seeded-vfffffff-20261103T000000Z-000006.metadata.json", "{ not json");
  write_pair(dumps, "dev-seeded-v1111111-20261104T000000Z-000007", "dev", "2026-11-04T00:00:00Z");
  testing::write_text(dumps / "dev-seeded-v1111111-20261104T000000Z-000007.dump",
                      "version https://git-lfs.github.com/spec/v1\n");
  write_pair(dumps, "dev-seeded-v2222222-20261105T000000Z-000008", "dev", "2026-11-05T00:00:00Z");
  testing::write_text(dumps / "dev-seeded-v2222222-20261105T000000Z-000008.dump", "truncated");
  // Not archives: temporaries, other files.
  testing::write_text(dumps / ".dev-seeded-v3333333-20261106T000000Z-000009.dump.tmp-abcdef", "half");
  testing::write_text(dumps / "README.md", "notes");

  const auto archives = core::list_archives(dumps, core::ArchiveKind::dump);
  REQUIRE(archives.size() == 8);
  struct Expected {
    const char* name;
    core::VerifyStatus status;
    const char* group;
    bool latest;
  };
  const Expected expected[] = {
      {"dev-seeded-vaaaaaaa-20261120T000000Z-000001.dump", core::VerifyStatus::ok, "dev", true},
      {"dev-seeded-vbbbbbbb-20261121T000000Z-000002.dump", core::VerifyStatus::ok, "dev", false},
      {"staging-seeded-vccccccc-20261119T000000Z-000003.dump", core::VerifyStatus::ok, "staging", false},
      {"dev-seeded-vddddddd-20261101T000000Z-000004.dump", core::VerifyStatus::metadata_missing, "dev", false},
      {"dev-seeded-veeeeeee-20261102T000000Z-000005.dump", core::VerifyStatus::missing, "dev", false},
      {"dev-seeded-vfffffff-20261103T000000Z-000006.dump", core::VerifyStatus::metadata_invalid, "dev", false},
      {"dev-seeded-v1111111-20261104T000000Z-000007.dump", core::VerifyStatus::lfs_pointer, "dev", false},
      {"dev-seeded-v2222222-20261105T000000Z-000008.dump", core::VerifyStatus::size_mismatch, "dev", false},
  };
  for (const auto& test : expected) {
    INFO(test.name);
    const auto& archive = find(archives, test.name);
    CHECK(archive.status == test.status);
    CHECK(archive.group == test.group);
    CHECK(archive.latest == test.latest);
    CHECK(archive.kind == core::ArchiveKind::dump);
  }
  CHECK(find(archives, "dev-seeded-vbbbbbbb-20261121T000000Z-000002.dump").rows() == 15);
  CHECK(find(archives, "dev-seeded-vfffffff-20261103T000000Z-000006.dump").detail.find("not valid JSON") !=
        std::string::npos);
  // Grouped by environment, newest first; what has no time comes last in its group.
  CHECK(archives[0].name == "dev-seeded-vbbbbbbb-20261121T000000Z-000002.dump");
  CHECK(archives[1].name == "dev-seeded-vaaaaaaa-20261120T000000Z-000001.dump");
  CHECK(archives.back().group == "staging");

  std::uint64_t on_disk = 0;
  for (const auto& entry : fs::directory_iterator(dumps)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_symlink() && name[0] != '.' && name != "README.md") on_disk += entry.file_size();
  }
  CHECK(core::disk_usage(archives) == on_disk);

  SECTION("a directory that does not exist has nothing") {
    CHECK(core::list_archives(scratch.path() / "nope", core::ArchiveKind::snapshot).empty());
  }
}

TEST_CASE("plan_prune keeps the newest N per environment, latest, tracked and unknown files", "[unit][archives]") {
  const auto now = std::chrono::system_clock::now();
  struct Spec {
    std::string name;
    std::string group;  // environment; "" with kind snapshot means any database
    int hours_ago = 0;
    bool latest = false;
    bool snapshot = false;
    bool dump_exists = true;
    bool readable = true;
    int orphan_minutes = 0;  // metadata alone: written this many minutes ago
  };
  struct Case {
    const char* title;
    std::vector<Spec> archives;
    int keep;
    bool snapshots;
    std::vector<std::string> tracked;
    std::map<std::string, core::PruneAction> expected;
  };
  using A = core::PruneAction;
  const std::vector<Case> cases = {
      {"newest N per environment",
       {{"d1", "dev", 1}, {"d2", "dev", 2}, {"d3", "dev", 3}, {"s1", "staging", 5}, {"s2", "staging", 9}},
       2,
       false,
       {},
       {{"d1", A::keep_newest},
        {"d2", A::keep_newest},
        {"d3", A::remove},
        {"s1", A::keep_newest},
        {"s2", A::keep_newest}}},
      {"latest counts as one of the N",
       {{"d1", "dev", 1, true}, {"d2", "dev", 2}, {"d3", "dev", 3}},
       1,
       false,
       {},
       {{"d1", A::keep_latest}, {"d2", A::remove}, {"d3", A::remove}}},
      {"an older latest is kept, and the N fills up with the newest",
       {{"d1", "dev", 1}, {"d2", "dev", 2}, {"d3", "dev", 3, true}},
       2,
       false,
       {},
       {{"d1", A::keep_newest}, {"d2", A::remove}, {"d3", A::keep_latest}}},
      {"dumps of the same second rank by file name, as the latest link does",
       {{"d1", "dev", 1}, {"d2", "dev", 1}, {"d0", "dev", 1}},
       1,
       false,
       {},
       {{"d1", A::remove}, {"d2", A::keep_newest}, {"d0", A::remove}}},
      {"tracked files are kept and said so",
       {{"d1", "dev", 1}, {"d2", "dev", 2}, {"d3", "dev", 3}},
       1,
       false,
       {"d2.dump", "d3.metadata.json"},
       {{"d1", A::keep_newest}, {"d2", A::keep_tracked}, {"d3", A::keep_tracked}}},
      {"no readable metadata: left alone, and not counted",
       {{"d1", "dev", 1, false, false, true, false}, {"d2", "dev", 2}, {"d3", "dev", 3}},
       1,
       false,
       {},
       {{"d1", A::keep_unreadable}, {"d2", A::keep_newest}, {"d3", A::remove}}},
      {"snapshots only with --snapshots",
       {{"a", "appdb", 1, false, true}, {"b", "appdb", 2, false, true}, {"d1", "dev", 1}},
       1,
       false,
       {},
       {{"a", A::keep_not_asked}, {"b", A::keep_not_asked}, {"d1", A::keep_newest}}},
      {"snapshots of all databases rank together",
       {{"a", "appdb", 1, false, true}, {"b", "other", 2, false, true}, {"c", "appdb", 3, false, true}},
       2,
       true,
       {},
       {{"a", A::keep_newest}, {"b", A::keep_newest}, {"c", A::remove}}},
      {"metadata alone: removed when old, kept while a dump may be in progress",
       {{"d1", "dev", 1},
        {"o1", "dev", 30, false, false, false, true, 5},
        {"o2", "dev", 0, false, false, false, true, 0}},
       1,
       false,
       {},
       {{"d1", A::keep_newest}, {"o1", A::remove_orphan}, {"o2", A::keep_in_progress}}},
      {"a latest link keeps even a dump-less pair",
       {{"d1", "dev", 1}, {"o1", "dev", 30, true, false, false, true, 5}},
       1,
       false,
       {},
       {{"d1", A::keep_newest}, {"o1", A::keep_latest}}},
  };
  const fs::path directory = "/dumps";
  for (const auto& test : cases) {
    INFO(test.title);
    std::vector<core::Archive> archives;
    std::map<fs::path, std::chrono::seconds> ages;
    for (const auto& spec : test.archives) {
      core::Archive archive;
      archive.kind = spec.snapshot ? core::ArchiveKind::snapshot : core::ArchiveKind::dump;
      archive.name = spec.name;
      archive.dump_path = directory / (spec.name + ".dump");
      archive.metadata_path = directory / (spec.name + ".metadata.json");
      archive.dump_exists = spec.dump_exists;
      archive.metadata_exists = true;
      archive.latest = spec.latest;
      archive.group = spec.group;
      if (spec.readable) {
        core::DumpMetadata metadata;
        metadata.pg_dump_major = 15;  // as pg_dump 15 writes it
        metadata.kind = archive.kind;
        (spec.snapshot ? metadata.database : metadata.environment) = spec.group;
        archive.created = now - std::chrono::hours(spec.hours_ago);
        metadata.timestamp = util::iso8601_utc(*archive.created);
        archive.metadata = metadata;
      }
      ages[archive.metadata_path] = std::chrono::minutes(spec.orphan_minutes);
      archives.push_back(archive);
    }
    std::set<fs::path> tracked;
    for (const auto& name : test.tracked) tracked.insert(directory / name);
    core::PruneOptions options;
    options.keep = test.keep;
    options.snapshots = test.snapshots;
    const auto decisions = core::plan_prune(archives, options, tracked,
                                            [&](const fs::path& path) { return ages.at(path); });
    REQUIRE(decisions.size() == archives.size());
    for (const auto& decision : decisions) {
      INFO(decision.archive->name << ": " << core::to_string(decision.action));
      CHECK(decision.action == test.expected.at(decision.archive->name));
    }
  }
}
