#include "support/catch.h"

#include "pgseed/core/metadata.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

using namespace pgseed;

namespace {
core::DumpMetadata sample() {
  core::DumpMetadata metadata;
  metadata.environment = "dev";
  metadata.version = "0123456789abcdef0123456789abcdef01234567";
  metadata.timestamp = "2026-11-21T06:40:01Z";
  metadata.file = "dev-seeded-v0123456-20261121T064001Z.dump";
  metadata.size_bytes = 1234;
  metadata.checksum = std::string(64, 'a');
  metadata.record_counts = {{"public.users", 11}, {"public.\"Order Items\"", 0}};
  metadata.migrations = {"0001", "0002"};
  metadata.migrations_fingerprint = std::string(64, 'b');
  metadata.server_version = "15.18";
  metadata.pg_dump_major = 15;
  metadata.tool_version = "0.1.0";
  return metadata;
}

core::PhysicalSnapshot sample_physical() {
  core::PhysicalSnapshot physical;
  physical.file = "dev-seeded-v0123456-20261121T064001Z.pgdata.tar.zst";
  physical.size_bytes = 250225497;
  physical.checksum = std::string(64, 'd');
  physical.compression_level = 1;
  physical.database = "postgres";
  physical.bootstrap_user = "postgres";
  physical.major_version = 15;
  physical.server_version_num = 150018;
  physical.catalog_version = 202209061;
  physical.control_version = 1300;
  physical.max_align = 8;
  physical.block_size = 8192;
  physical.relseg_size = 131072;
  physical.wal_block_size = 8192;
  physical.wal_segment_size = 16777216;
  physical.name_data_len = 64;
  physical.float8_pass_by_value = true;
  physical.data_checksums = 0;
  physical.architecture = "aarch64";
  physical.glibc = "2.36";
  physical.encoding = "UTF8";
  physical.locale_provider = "libc";
  physical.collate = "en_US.utf8";
  physical.ctype = "en_US.utf8";
  physical.locale_note = "en_US.utf8, as the official postgres image";
  physical.database_collation_version = "2.36";
  physical.collations = {{"public.german_icu", {"icu", "de-DE", "", "153.120"}},
                         {"public.\"de_DE\"", {"libc", "de_DE.utf8", "de_DE.utf8", "2.36"}},
                         {"pg_catalog.\"C\"", {"libc", "C", "C", ""}}};
  return physical;
}
}  // namespace

TEST_CASE("metadata round-trips through JSON", "[unit][metadata]") {
  const auto original = sample();
  const auto parsed = core::DumpMetadata::from_json(original.to_json());
  CHECK(parsed.environment == original.environment);
  CHECK(parsed.version == original.version);
  CHECK(parsed.size_bytes == original.size_bytes);
  CHECK(parsed.checksum == original.checksum);
  CHECK(parsed.record_counts == original.record_counts);
  CHECK(parsed.migrations == original.migrations);
  CHECK(parsed.pg_dump_major == 15);
}

TEST_CASE("metadata keeps one key per line for the shell init script", "[unit][metadata]") {
  const std::string text = sample().to_json();
  CHECK(text.find("\n  \"checksum\": \"" + std::string(64, 'a') + "\",\n") != std::string::npos);
  CHECK(text.find("\n    \"public.users\": 11") != std::string::npos);
  CHECK(text.find("\"pgDumpMajor\": 15") != std::string::npos);
}

TEST_CASE("invalid metadata names what is wrong", "[unit][metadata]") {
  struct Case {
    const char* what;
    std::function<void(nlohmann::json&)> corrupt;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"missing checksum", [](nlohmann::json& j) { j.erase("checksum"); }, "missing field checksum"},
      {"short checksum", [](nlohmann::json& j) { j["checksum"] = "abc"; }, "checksum is not 64"},
      {"uppercase checksum", [](nlohmann::json& j) { j["checksum"] = std::string(64, 'A'); }, "checksum is not 64"},
      {"size as string", [](nlohmann::json& j) { j["sizeBytes"] = "12"; }, "sizeBytes must be an integer"},
      {"negative count", [](nlohmann::json& j) { j["recordCounts"]["public.users"] = -1; }, "recordCounts.public.users"},
      {"future format", [](nlohmann::json& j) { j["formatVersion"] = 99; }, "formatVersion 99 is not supported"},
      {"other algorithm", [](nlohmann::json& j) { j["checksumAlgorithm"] = "md5"; }, "md5"},
      {"counts not an object", [](nlohmann::json& j) { j["recordCounts"] = nlohmann::json::array(); }, "recordCounts must be an object"},
      // the physical section: what verify needs of it
      {"physical not an object", [](nlohmann::json& j) { j["physical"] = "yes"; }, "field physical must be an object"},
      {"physical without file", [](nlohmann::json& j) { j["physical"].erase("file"); }, "physical.file"},
      {"physical without checksum", [](nlohmann::json& j) { j["physical"].erase("checksum"); }, "physical.checksum"},
      {"physical short checksum", [](nlohmann::json& j) { j["physical"]["checksum"] = "abc"; }, "physical.checksum is not 64"},
      {"physical negative size", [](nlohmann::json& j) { j["physical"]["sizeBytes"] = -1; }, "physical.sizeBytes must not be negative"},
      {"physical size as string", [](nlohmann::json& j) { j["physical"]["sizeBytes"] = "12"; }, "physical.sizeBytes"},
  };
  auto with_physical = sample();
  with_physical.physical = sample_physical();
  for (const auto& test : cases) {
    INFO(test.what);
    auto document = nlohmann::json::parse(with_physical.to_json());
    test.corrupt(document);
    try {
      core::DumpMetadata::from_json(document.dump());
      FAIL("accepted");
    } catch (const core::MetadataError& e) {
      CHECK(std::string(e.what()).find(test.expected) != std::string::npos);
    }
  }
  CHECK_THROWS_AS(core::DumpMetadata::from_json("{ not json"), core::MetadataError);
  CHECK_THROWS_AS(core::DumpMetadata::from_json("[1,2]"), core::MetadataError);
}

TEST_CASE("snapshot metadata keeps its kind, database, note and table patterns", "[unit][metadata]") {
  core::DumpMetadata snapshot;
  snapshot.pg_dump_major = 15;  // as pg_dump 15 writes it
  snapshot.kind = core::ArchiveKind::snapshot;
  snapshot.database = "appdb";
  snapshot.note = "before the risky migration";
  snapshot.table_patterns = {"public.users", "public.orders*"};
  snapshot.excluded_table_patterns = {"public.audit"};
  snapshot.file = "before.dump";
  snapshot.checksum = std::string(64, 'a');
  snapshot.timestamp = "2026-11-21T06:40:01Z";
  const auto back = core::DumpMetadata::from_json(snapshot.to_json());
  CHECK(back.kind == core::ArchiveKind::snapshot);
  CHECK(back.database == "appdb");
  CHECK(back.note == "before the risky migration");
  CHECK(back.table_patterns == snapshot.table_patterns);
  CHECK(back.excluded_table_patterns == snapshot.excluded_table_patterns);
  CHECK(back.partial());
  // Files written before kinds existed are dumps.
  core::DumpMetadata dump;
  dump.pg_dump_major = 15;  // as pg_dump 15 writes it
  dump.checksum = std::string(64, 'b');
  auto document = nlohmann::json::parse(dump.to_json());
  document.erase("kind");
  CHECK(core::DumpMetadata::from_json(document.dump()).kind == core::ArchiveKind::dump);
  document["kind"] = "tarball";
  CHECK_THROWS_AS(core::DumpMetadata::from_json(document.dump()), core::MetadataError);
}

TEST_CASE("wrongly typed or out-of-range version fields are metadata errors, never library errors", "[unit][metadata]") {
  core::DumpMetadata good;
  good.pg_dump_major = 15;
  good.checksum = std::string(64, 'c');
  const auto base = nlohmann::json::parse(good.to_json());
  const std::vector<std::pair<std::string, nlohmann::json>> cases = {
      {"/postgres/pgDumpMajor", "99"},         {"/postgres/pgDumpMajor", nullptr},
      {"/postgres/pgDumpMajor", 1e300},        {"/postgres/pgDumpMajor", 1099511627776LL},
      {"/postgres/pgDumpMajor", 0},            {"/postgres/serverVersionNum", "x"},
      {"/tool/name", 5},                       {"/postgres", "15"},
      {"/compression", "1"},
  };
  for (const auto& [pointer, value] : cases) {
    auto document = base;
    document[nlohmann::json::json_pointer(pointer)] = value;
    INFO(pointer << " = " << value.dump());
    CHECK_THROWS_AS(core::DumpMetadata::from_json(document.dump()), core::MetadataError);
  }
  auto without = base;
  without.erase("postgres");
  CHECK_THROWS_AS(core::DumpMetadata::from_json(without.dump()), core::MetadataError);
  CHECK(core::DumpMetadata::from_json(base.dump()).pg_dump_major == 15);
}

namespace {
std::string read_text(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}
}  // namespace

TEST_CASE("the physical section round-trips every field", "[unit][metadata][physical]") {
  auto metadata = sample();
  metadata.physical = sample_physical();
  const auto parsed = core::DumpMetadata::from_json(metadata.to_json());
  REQUIRE(parsed.physical);
  // json_text() writes every field: equal texts are equal snapshots.
  CHECK(parsed.physical->json_text() == metadata.physical->json_text());
  CHECK(parsed.physical->collations.at("public.german_icu").locale == "de-DE");
  CHECK(parsed.physical->collations.at("public.\"de_DE\"").ctype == "de_DE.utf8");
  CHECK(parsed.physical->size_bytes == 250225497);
  CHECK_FALSE(core::DumpMetadata::from_json(sample().to_json()).physical);
}

// The init script reads the physical section in SQL (p->>'field') and compares each value, as text,
// with what the running server reports: a key renamed on one side only, or a boolean written as a
// string, would make every snapshot "incompatible" and every first start silently logical.
TEST_CASE("every physical field the init script reads is written, with the type its comparison expects", "[unit][metadata][physical]") {
  auto metadata = sample();
  metadata.physical = sample_physical();
  const auto section = nlohmann::json::parse(metadata.to_json()).at("physical");
  const std::string script = read_text(std::string(PGSEED_SOURCE_DIR) + "/scripts/init-db.sh");
  const std::regex read_field(R"(p->>?'([A-Za-z0-9]+)')");
  std::set<std::string> read;
  for (auto it = std::sregex_iterator(script.begin(), script.end(), read_field); it != std::sregex_iterator(); ++it) {
    read.insert((*it)[1].str());
  }
  REQUIRE(read.size() >= 20);  // the script's check still has this form
  for (const auto& field : read) {
    INFO("physical." << field << ", read by scripts/init-db.sh");
    CHECK(section.contains(field));
  }
  // boolean::text is 'true'/'false', int::text digits: the JSON types that give the same ->> text.
  CHECK(section.at("float8PassByValue").is_boolean());
  for (const char* integer : {"majorVersion", "catalogVersion", "controlVersion", "maxAlign", "blockSize", "relsegSize",
                              "walBlockSize", "walSegmentSize", "nameDataLen", "dataChecksums", "sizeBytes"}) {
    INFO(integer);
    CHECK(section.at(integer).is_number_integer());
  }
  CHECK(section.at("collationVersions").at("public.german_icu") == "153.120");
  // what the script reads of each collation: e.value->>'provider' and the rest
  for (const char* field : {"provider", "locale", "ctype", "version"}) {
    INFO(field);
    CHECK(script.find(std::string("e.value->>'") + field + "'") != std::string::npos);
    CHECK(section.at("collations").at("public.german_icu").at(field).is_string());
  }
}

TEST_CASE("metadata from before the collations field keeps its collation versions", "[unit][metadata][physical]") {
  auto metadata = sample();
  metadata.physical = sample_physical();
  auto document = nlohmann::json::parse(metadata.to_json());
  document["physical"].erase("collations");
  const auto parsed = core::DumpMetadata::from_json(document.dump());
  REQUIRE(parsed.physical);
  CHECK(parsed.physical->collations.at("public.german_icu").version == "153.120");
  CHECK(parsed.physical->collations.at("public.german_icu").provider.empty());
}
