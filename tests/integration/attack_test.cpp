// Issue 9's day-to-day commands under what a hostile but realistic user does: odd database settings,
// names and environment values that the first implementation read the wrong way.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/pg/database.h"

#include <chrono>
#include <future>

using namespace pgseed;
using testing::run_pgseed;

namespace {

struct Dumped : testing::DumpedProject {
  pg::ConnInfo target = testing::fresh_database("attack_target");
  Dumped() : DumpedProject("attack_src") {}
  std::vector<std::string> restore() const {
    return {"restore", "--yes", "--no-safety-snapshot", "-C", root(), "--database-url", target.keyword_string()};
  }
};

std::string database_settings(pg::Connection& admin, const std::string& database) {
  return admin.query_value(
      "SELECT coalesce(array_to_string(ARRAY(SELECT c FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, "
      "unnest(s.setconfig) c WHERE s.setrole = 0 AND d.datname = " + admin.quote_literal(database) + " ORDER BY 1), '|'), '')");
}

}  // namespace

TEST_CASE("the swap carries database settings as values, never as SQL", "[integration][attack]") {
  Dumped project;
  pg::Connection admin(testing::test_server().connection("postgres"));
  admin.execute("DROP ROLE IF EXISTS pgseed_injected");
  const std::string db = admin.quote_identifier(project.target.database());
  // What a database owner may set: a string setting whose value reads as SQL once pasted unquoted,
  // and one whose value is the word DEFAULT, which unquoted means "remove the setting".
  admin.execute("ALTER DATABASE " + db + " SET application_name = 'x; CREATE ROLE pgseed_injected'");
  admin.execute("ALTER DATABASE " + db + " SET attack.note = 'default'");
  admin.execute("ALTER DATABASE " + db + " SET work_mem = '8MB'");
  // A list stays a list: quoted whole it would become one schema named "$user", public, "My;Schema".
  admin.execute("ALTER DATABASE " + db + " SET search_path = \"$user\", public, \"My;Schema\"");
  const std::string before = database_settings(admin, project.target.database());

  const auto restored = run_pgseed(project.restore());
  INFO(restored.err);
  REQUIRE(restored.exit_code == 0);
  CHECK(admin.query_value("SELECT count(*) FROM pg_roles WHERE rolname = 'pgseed_injected'") == "0");
  CHECK(database_settings(admin, project.target.database()) == before);
  admin.execute("DROP ROLE IF EXISTS pgseed_injected");
}

TEST_CASE("a partial restore never hangs behind an app's open transaction", "[integration][attack]") {
  testing::ScratchProject project;
  const pg::ConnInfo database = testing::fresh_database("attack_partial");
  const std::string root = project.root().string(), url = database.keyword_string();
  for (const char* command : {"migrate", "seed"}) {
    const auto run = run_pgseed({command, "-C", root, "--database-url", url});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
  }
  const auto take = run_pgseed({"snapshot", "orders-only", "-t", "public.orders", "-C", root, "--database-url", url});
  INFO(take.err);
  REQUIRE(take.exit_code == 0);
  const std::string before = testing::query_value(database, "SELECT count(*) FROM orders");

  std::future<testing::PgseedRun> run;  // declared first: on a failure the app's transaction ends before we wait
  pg::Connection app(database);
  {
    // The app (or a psql left in BEGIN, or a debugger paused mid-request) holds a row of orders.
    pg::Transaction open(app);
    open.execute("UPDATE orders SET id = id WHERE id = (SELECT min(id) FROM orders)");
    run = std::async(std::launch::async, [&] {
      return run_pgseed({"restore", "orders-only", "--yes", "--no-safety-snapshot", "-C", root, "--database-url", url});
    });
    REQUIRE(run.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  }
  const auto result = run.get();
  INFO(result.err);
  CHECK(result.exit_code == 3);
  CHECK(result.err.find("lock") != std::string::npos);
  CHECK(testing::query_value(database, "SELECT count(*) FROM orders") == before);
}

TEST_CASE("PGSEED_PROTECTED protects unless it says no: a typo or an unknown word fails closed", "[integration][attack]") {
  Dumped project;
  for (const std::string value : {"2", "enabled", "protected", "TRUE ", "Yes"}) {
    INFO("PGSEED_PROTECTED=" << value);
    const auto refused = run_pgseed(project.restore(), {{"PGSEED_PROTECTED", value}});
    INFO(refused.err);
    CHECK(refused.exit_code == 5);
    CHECK(refused.err.find("PGSEED_PROTECTED=") != std::string::npos);
  }
  for (const std::string value : {"0", "off", "FALSE", "no"}) {
    INFO("PGSEED_PROTECTED=" << value);
    const auto restored = run_pgseed(project.restore(), {{"PGSEED_PROTECTED", value}});
    INFO(restored.err);
    CHECK(restored.exit_code == 0);
  }
}
