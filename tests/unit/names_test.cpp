#include "support/catch.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/names.h"
#include "pgseed/error.h"

#include <string>
#include <utility>
#include <vector>

using namespace pgseed;

TEST_CASE("one name rule for environments and snapshots", "[unit][names]") {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"dev", true},
      {"feature_x-2", true},
      {"release.2026-11", true},
      {"A", true},
      {std::string(64, 'a'), true},
      {std::string(65, 'a'), false},
      {"", false},
      {"../../tmp/x", false},
      {"..", false},
      {".hidden", false},
      {"-dash-first", false},
      {"_under_first", false},
      {"a/b", false},
      {"a b", false},
      {"tab\there", false},
      {"new\nline", false},
      {"caf\xc3\xa9", false},
      {"semi;colon", false},
  };
  for (const auto& [name, valid] : cases) {
    CAPTURE(name);
    CHECK(core::is_valid_name(name) == valid);
    if (!valid) {
      try {
        core::check_name("environment", name);
        FAIL("accepted");
      } catch (const Error& e) {
        CHECK(e.code() == ExitCode::usage);
        CHECK(std::string(e.what()).rfind("environment name '", 0) == 0);
        // Control characters are shown escaped, never printed raw into the terminal.
        CHECK(std::string(e.what()).find('\n') == std::string::npos);
      }
    }
  }
}

TEST_CASE("every way to a dump by environment checks the name", "[unit][names]") {
  CHECK_THROWS_AS(core::latest_dump_path("/d", "../../tmp/x"), Error);
  CHECK(core::latest_dump_path("/d", "dev") == "/d/dev-seeded-latest.dump");
}

TEST_CASE("database names over 63 bytes are refused, not silently cut", "[unit][names]") {
  CHECK_NOTHROW(core::check_database_name(std::string(63, 'd')));
  CHECK_THROWS_AS(core::check_database_name(std::string(64, 'd')), Error);
  CHECK_THROWS_AS(core::check_database_name(""), Error);
  // 21 three-byte characters: 63 bytes, allowed; 22 are 66 bytes.
  std::string yen;
  for (int i = 0; i < 22; ++i) yen += "\xe5\x86\x86";
  CHECK_NOTHROW(core::check_database_name(yen.substr(0, 63)));
  CHECK_THROWS_AS(core::check_database_name(yen), Error);
}

TEST_CASE("identifiers derived from a name are cut on UTF-8 character boundaries", "[unit][names]") {
  const std::vector<std::tuple<std::string, std::size_t, std::string>> cases = {
      {"plain", 3, "pla"},
      {"plain", 10, "plain"},
      {"\xc3\xa9t\xc3\xa9", 1, ""},              // é is 2 bytes: not split
      {"\xc3\xa9t\xc3\xa9", 2, "\xc3\xa9"},
      {"\xc3\xa9t\xc3\xa9", 4, "\xc3\xa9t"},
      {"\xe5\x86\x86\xe5\x86\x86", 5, "\xe5\x86\x86"},  // 3-byte characters
      {"\xf0\x9f\x90\x98x", 3, ""},              // a 4-byte character
      {"\xf0\x9f\x90\x98x", 4, "\xf0\x9f\x90\x98"},
  };
  for (const auto& [text, limit, expected] : cases) {
    CAPTURE(text, limit);
    CHECK(core::utf8_prefix(text, limit) == expected);
  }
}
