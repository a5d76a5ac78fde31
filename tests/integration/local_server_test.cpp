// `pgseed up`/`down` and the day-to-day commands on the project's persistent local server.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/pg/database.h"

using namespace pgseed;
using testing::run_pgseed;
namespace fs = std::filesystem;

namespace {
std::string url_from(const std::string& up_output) {
  const std::string prefix = "DATABASE_URL=";
  REQUIRE(up_output.rfind(prefix, 0) == 0);
  return up_output.substr(prefix.size(), up_output.find('\n') - prefix.size());
}
}  // namespace

TEST_CASE("pgseed up starts a persistent local server that migrate and seed use by default", "[integration][local]") {
  testing::ScratchProject project;
  const std::string root = project.root().string();
  const auto up = run_pgseed({"up", "-C", root});
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  const std::string url = url_from(up.out);
  CHECK(url.rfind("postgresql://postgres@127.0.0.1:", 0) == 0);
  const auto connection = pg::ConnInfo::parse(url);

  // With no URL configured, migrate and seed act on that server, and say so.
  const auto migrate = run_pgseed({"migrate", "-C", root});
  INFO(migrate.err);
  REQUIRE(migrate.exit_code == 0);
  CHECK(migrate.err.find("local server") != std::string::npos);
  CHECK(migrate.err.find(connection.get("port").value_or("?")) != std::string::npos);
  const auto seed = run_pgseed({"seed", "-C", root, "--set", "users=20"});
  INFO(seed.err);
  REQUIRE(seed.exit_code == 0);
  CHECK(testing::query_value(connection, "SELECT count(*) FROM users") == "21");  // 20 generated and the superuser

  // The data survives down and up, on the same port.
  const auto down = run_pgseed({"down", "-C", root});
  REQUIRE(down.exit_code == 0);
  CHECK(down.out.find("stopped") != std::string::npos);
  CHECK_THROWS(testing::query_value(connection, "SELECT 1"));
  CHECK(run_pgseed({"down", "-C", root}).out.find("not running") != std::string::npos);
  const auto again = run_pgseed({"up", "-C", root});
  REQUIRE(again.exit_code == 0);
  CHECK(url_from(again.out) == url);
  CHECK(testing::query_value(connection, "SELECT count(*) FROM users") == "21");  // 20 generated and the superuser
  CHECK(testing::query_value(connection, "SELECT inet_server_addr()::text") == "127.0.0.1/32");

  // A command finds the server down and starts it.
  REQUIRE(run_pgseed({"down", "-C", root}).exit_code == 0);
  const auto migrate_again = run_pgseed({"migrate", "-C", root});
  INFO(migrate_again.err);
  CHECK(migrate_again.exit_code == 0);
  CHECK(migrate_again.err.find("started it") != std::string::npos);
  CHECK(migrate_again.out.find("up to date") != std::string::npos);
  REQUIRE(run_pgseed({"down", "-C", root}).exit_code == 0);
}
