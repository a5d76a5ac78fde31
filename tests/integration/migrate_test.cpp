#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/pg/database.h"

#include <thread>

using namespace pgseed;
using testing::run_pgseed;

namespace {
std::vector<std::string> migrate_args(const testing::ScratchProject& project, const pg::ConnInfo& database) {
  return {"migrate", "--project-dir", project.root().string(), "--database-url", database.keyword_string()};
}
}  // namespace

TEST_CASE("migrate applies every migration once and is idempotent", "[integration][migrate]") {
  testing::ScratchProject project;
  const auto database = testing::fresh_database("migrate");
  const auto first = run_pgseed(migrate_args(project, database));
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("applied 6") != std::string::npos);

  const auto second = run_pgseed(migrate_args(project, database));
  REQUIRE(second.exit_code == 0);
  CHECK(second.out.find("up to date") != std::string::npos);
  CHECK(testing::query_value(database, "SELECT count(*) FROM pgseed_migrations") == "6");
  CHECK(testing::query_value(database, "SELECT count(*) FROM pgseed_migrations WHERE length(sha256) = 64 AND duration_ms >= 0") == "6");
  CHECK(testing::query_value(database, "SELECT to_regclass('public.price_data_5min') IS NOT NULL") == "t");
}

TEST_CASE("only pending migrations run", "[integration][migrate]") {
  testing::ScratchProject project;
  const auto database = testing::fresh_database("pending");
  REQUIRE(run_pgseed(migrate_args(project, database)).exit_code == 0);
  project.write("migrations/0007_add_watchlists.sql", "CREATE TABLE watchlists (id serial PRIMARY KEY);");
  const auto run = run_pgseed(migrate_args(project, database));
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("applied 1") != std::string::npos);
  CHECK(run.err.find("0007_add_watchlists.sql") != std::string::npos);
  CHECK(run.err.find("0001") == std::string::npos);
}

TEST_CASE("an applied migration that was edited is refused by name", "[integration][migrate]") {
  testing::ScratchProject project;
  const auto database = testing::fresh_database("edited");
  REQUIRE(run_pgseed(migrate_args(project, database)).exit_code == 0);
  const auto file = project.root() / "migrations" / "0002_create_algorithms.sql";
  testing::write_text(file, testing::read_text(file) + "\n-- harmless looking edit\n");
  const auto run = run_pgseed(migrate_args(project, database));
  CHECK(run.exit_code == 4);
  CHECK(run.err.find("0002_create_algorithms.sql was changed after it was applied") != std::string::npos);
  CHECK(run.err.find("hint:") != std::string::npos);
}

TEST_CASE("a failing migration rolls back and names the file and the server's message", "[integration][migrate]") {
  testing::ScratchProject project;
  const auto database = testing::fresh_database("failing");
  project.write("migrations/0007_broken.sql",
                "CREATE TABLE half_done (id int);\nINSERT INTO no_such_table VALUES (1);\n");
  project.write("migrations/0008_after.sql", "CREATE TABLE after_broken (id int);");
  const auto run = run_pgseed(migrate_args(project, database));
  CHECK(run.exit_code == 4);
  CHECK(run.err.find("0007_broken.sql failed") != std::string::npos);
  CHECK(run.err.find("relation \"no_such_table\" does not exist") != std::string::npos);
  // 0001-0006 went in, 0007 left nothing behind, 0008 never ran.
  CHECK(testing::query_value(database, "SELECT string_agg(version, ',' ORDER BY version) FROM pgseed_migrations") ==
        "0001,0002,0003,0004,0005,0006");
  CHECK(testing::query_value(database, "SELECT to_regclass('public.half_done') IS NULL") == "t");
  CHECK(testing::query_value(database, "SELECT to_regclass('public.after_broken') IS NULL") == "t");
}

TEST_CASE("concurrent migrate runs serialise on the advisory lock", "[integration][migrate]") {
  testing::ScratchProject project;
  const auto database = testing::fresh_database("concurrent");
  // A slow first migration makes sure the two runs overlap.
  project.write("migrations/0000_slow.sql", "SELECT pg_sleep(1);");
  testing::PgseedRun first, second;
  std::thread other([&] { first = run_pgseed(migrate_args(project, database)); });
  second = run_pgseed(migrate_args(project, database));
  other.join();
  CHECK(first.exit_code == 0);
  CHECK(second.exit_code == 0);
  CHECK(testing::query_value(database, "SELECT count(*) FROM pgseed_migrations") == "7");
  // Exactly one of them did the work.
  const bool first_applied = first.out.find("applied 7") != std::string::npos;
  const bool second_applied = second.out.find("applied 7") != std::string::npos;
  CHECK(first_applied != second_applied);
}

TEST_CASE("an unreachable database is a clear error without the password", "[integration][migrate]") {
  testing::ScratchProject project;
  const auto run = run_pgseed({"migrate", "--project-dir", project.root().string(), "--database-url",
                               "postgresql://nobody:hunter2@127.0.0.1:1/none?connect_timeout=2"});
  CHECK(run.exit_code == 4);
  CHECK(run.err.find("cannot connect to") != std::string::npos);
  CHECK(run.err.find("hunter2") == std::string::npos);
  CHECK(run.err.find("password=***") != std::string::npos);
}
