#include "support/catch.h"

#include "pgseed/core/metadata.h"

#include <nlohmann/json.hpp>

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
  };
  for (const auto& test : cases) {
    INFO(test.what);
    auto document = nlohmann::json::parse(sample().to_json());
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
