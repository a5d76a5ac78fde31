#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/migrations.h"
#include "pgseed/error.h"
#include "pgseed/util/sha256.h"

using namespace pgseed;

TEST_CASE("migrations sort by number, not by text", "[unit][migrations]") {
  util::TemporaryDirectory directory("pgseed-mig-");
  testing::write_text(directory.path() / "10_later.sql", "select 10;");
  testing::write_text(directory.path() / "9_earlier.sql", "select 9;");
  testing::write_text(directory.path() / "0001_first.sql", "select 1;");
  testing::write_text(directory.path() / "README.md", "not a migration");
  const auto files = core::discover_migrations(directory.path());
  REQUIRE(files.size() == 3);
  CHECK(files[0].name == "first");
  CHECK(files[1].version == "9");
  CHECK(files[2].version == "10");
  CHECK(files[0].sha256 == util::sha256_hex("select 1;"));
}

TEST_CASE("badly named or duplicate migrations are refused by name", "[unit][migrations]") {
  util::TemporaryDirectory directory("pgseed-mig-");
  testing::write_text(directory.path() / "0001_a.sql", "");
  SECTION("no number") {
    testing::write_text(directory.path() / "add_orders.sql", "");
    try {
      core::discover_migrations(directory.path());
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::usage);
      CHECK(std::string(e.what()).find("add_orders.sql is not named NNNN_name.sql") != std::string::npos);
    }
  }
  SECTION("same number twice") {
    testing::write_text(directory.path() / "01_b.sql", "");
    try {
      core::discover_migrations(directory.path());
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find("have the same number") != std::string::npos);
    }
  }
}

TEST_CASE("a missing migrations directory is a clear error", "[unit][migrations]") {
  CHECK_THROWS_WITH(core::discover_migrations("/nonexistent/migrations"),
                    "migrations directory /nonexistent/migrations does not exist");
}
