#include "support/catch.h"

#include "pgseed/core/dump_files.h"

#include <chrono>

using namespace pgseed;

TEST_CASE("versioned dump names carry environment, short commit and UTC time", "[unit][naming]") {
  // 2026-11-21T06:40:01Z
  const auto time = std::chrono::system_clock::time_point(std::chrono::seconds(1795243201));
  CHECK(core::versioned_dump_stem("dev", "abc1234", time, "3f9a0c") == "dev-seeded-vabc1234-20261121T064001Z-3f9a0c");
  CHECK(util::iso8601_utc(time) == "2026-11-21T06:40:01Z");
}

TEST_CASE("metadata is found by the dump's stem", "[unit][naming]") {
  CHECK(core::metadata_path_for("/d/dev-seeded-vabc-20260101T000000Z.dump") ==
        "/d/dev-seeded-vabc-20260101T000000Z.metadata.json");
  CHECK(core::metadata_path_for("/d/dev-seeded-latest.dump") == "/d/dev-seeded-latest.metadata.json");
  CHECK(core::metadata_path_for("other.bin") == "other.bin.metadata.json");
  CHECK(core::latest_dump_path("/d", "staging") == "/d/staging-seeded-latest.dump");
}

