// pgseed reset: template clones of the latest dump, or of a seed with other counts, swapped in as a
// restore is; guards, concurrency and kills.
#include "support/catch.h"
#include "support/test_support.h"

#include "pgseed/core/dump_files.h"
#include "pgseed/core/metadata.h"
#include "pgseed/pg/database.h"

#include <algorithm>
#include <csignal>
#include <future>
#include <iostream>
#include <random>
#include <thread>
#include <sys/wait.h>

using namespace pgseed;
using testing::run_pgseed;
namespace fs = std::filesystem;

namespace {

struct Project : testing::DumpedProject {
  pg::ConnInfo target = testing::fresh_database("reset_target");
  Project() : DumpedProject("reset_src") {}
  std::vector<std::string> reset(std::vector<std::string> extra = {}) const {
    std::vector<std::string> arguments = {"reset", "--yes", "-C", root(), "--database-url", target.keyword_string()};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
  }
  core::DumpMetadata latest() const { return core::read_metadata(project.dumps() / "dev-seeded-latest.metadata.json"); }
};

std::vector<std::string> databases_like(const std::string& prefix) {
  pg::Connection admin(testing::test_server().connection("postgres"));
  std::vector<std::string> names;
  for (const auto& row : admin.query("SELECT datname FROM pg_database WHERE starts_with(datname, " + admin.quote_literal(prefix) +
                                     ") ORDER BY 1")) {
    names.push_back(row[0].value_or(""));
  }
  return names;
}

std::int64_t count_of(const pg::ConnInfo& database, const std::string& table) {
  return std::stoll(testing::query_value(database, "SELECT count(*) FROM " + table));
}

void check_counts(const pg::ConnInfo& database, const core::DumpMetadata& metadata) {
  pg::Connection connection(database);
  for (const auto& [table, count] : metadata.record_counts) {
    INFO(table);
    CHECK(std::stoll(connection.query_value("SELECT count(*) FROM " + table)) == count);
  }
}

}  // namespace

TEST_CASE("reset builds a template once, then clones it, and the target has the dump's exact content", "[integration][reset]") {
  Project project;
  const auto metadata = project.latest();
  pg::Connection(project.target).execute("CREATE TABLE scribble (x int); INSERT INTO scribble VALUES (1)");

  const auto first = run_pgseed(project.reset());
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("built template pgseed_template_" + metadata.checksum.substr(0, 16)) != std::string::npos);
  check_counts(project.target, metadata);
  CHECK(testing::query_value(project.target, "SELECT to_regclass('scribble') IS NULL") == "t");
  CHECK(testing::query_value(project.target, "SELECT restored_by || ' ' || kind || ' ' || checksum FROM pgseed_provenance") ==
        "pgseed reset dump " + metadata.checksum);

  pg::Connection(project.target).execute("DELETE FROM orders");
  const auto second = run_pgseed(project.reset());
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(second.out.find("cloned template") != std::string::npos);
  check_counts(project.target, metadata);

  // The template is a template: no connections, marked as such.
  const std::string name = "pgseed_template_" + metadata.checksum.substr(0, 16);
  pg::Connection admin(testing::test_server().connection("postgres"));
  CHECK(admin.query_value("SELECT datistemplate::text || datallowconn::text FROM pg_database WHERE datname = " +
                          admin.quote_literal(name)) == "truefalse");

  // A new latest dump gets a new template, and the old one goes.
  pg::Connection(project.source).execute("INSERT INTO coins (symbol, name, category) VALUES ('NEW', 'new coin', 'test')");
  REQUIRE(run_pgseed({"dump", "-C", project.root(), "--database-url", project.source.keyword_string()}).exit_code == 0);
  const auto newer = project.latest();
  REQUIRE(newer.checksum != metadata.checksum);
  const auto third = run_pgseed(project.reset());
  INFO(third.err);
  REQUIRE(third.exit_code == 0);
  check_counts(project.target, newer);
  const auto templates = databases_like("pgseed_template_");
  CHECK(std::find(templates.begin(), templates.end(), name) == templates.end());
  CHECK(std::find(templates.begin(), templates.end(), "pgseed_template_" + newer.checksum.substr(0, 16)) != templates.end());
}

TEST_CASE("reset --set makes other counts without a dump, kept as a template of its own", "[integration][reset]") {
  Project project;
  const auto first = run_pgseed(project.reset({"--set", "users=20"}));
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("from seed set dev (built template") != std::string::npos);
  CHECK(count_of(project.target, "users") == 21);  // 20 generated and the superuser
  const auto second = run_pgseed(project.reset({"--set", "users=20"}));
  REQUIRE(second.exit_code == 0);
  CHECK(second.out.find("cloned template") != std::string::npos);
  CHECK(count_of(project.target, "users") == 21);
  // Other counts, another template; the dump's reset still works beside them.
  REQUIRE(run_pgseed(project.reset({"--set", "users=6"})).exit_code == 0);
  CHECK(count_of(project.target, "users") == 7);
  REQUIRE(run_pgseed(project.reset()).exit_code == 0);
  check_counts(project.target, project.latest());
}

TEST_CASE("reset refuses a protected target, and a missing dump before any work", "[integration][reset]") {
  Project project;
  REQUIRE(run_pgseed({"protect", "--database-url", project.target.keyword_string()}).exit_code == 0);
  pg::Connection(project.target).execute("CREATE TABLE keep_me (x int)");
  const auto refused = run_pgseed(project.reset());
  CHECK(refused.exit_code == 5);
  CHECK(testing::query_value(project.target, "SELECT to_regclass('keep_me') IS NOT NULL") == "t");
  const auto allowed = run_pgseed(project.reset({"--allow-protected", "--confirm-name", project.target.database()}));
  INFO(allowed.err);
  CHECK(allowed.exit_code == 0);
  // The mark travels with the database through the swap.
  CHECK(testing::query_value(project.target, "SELECT current_setting('pgseed.protected', true)") == "on");

  const auto missing = run_pgseed({"reset", "--yes", "-C", project.root(), "-e", "nosuchenv", "--database-url",
                                   testing::fresh_database("reset_missing").keyword_string()});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find("does not exist") != std::string::npos);
}

TEST_CASE("reset and restore keep the database's owner, connection limit, comment and grants", "[integration][reset]") {
  Project project;
  pg::Connection admin(testing::test_server().connection("postgres"));
  // Roles are per server and the test server is shared: create them once.
  admin.execute("DO $$ BEGIN "
                "IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgseed_test_app') THEN CREATE ROLE pgseed_test_app; END IF; "
                "IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgseed_test_reader') THEN CREATE ROLE pgseed_test_reader; END IF; "
                "END $$");
  const std::string db = admin.quote_identifier(project.target.database());
  admin.execute("ALTER DATABASE " + db + " OWNER TO pgseed_test_app");
  admin.execute("ALTER DATABASE " + db + " CONNECTION LIMIT 17");
  admin.execute("COMMENT ON DATABASE " + db + " IS 'the app''s dev database'");
  admin.execute("REVOKE CONNECT, TEMPORARY ON DATABASE " + db + " FROM PUBLIC");
  admin.execute("GRANT CONNECT ON DATABASE " + db + " TO pgseed_test_reader WITH GRANT OPTION");
  const std::string properties_query =
      "SELECT pg_get_userbyid(datdba) || ' ' || datconnlimit || ' ' || shobj_description(oid, 'pg_database') || ' ' || "
      "array_to_string(ARRAY(SELECT a::text FROM unnest(datacl) a ORDER BY 1), ',') FROM pg_database WHERE datname = " +
      admin.quote_literal(project.target.database());
  const std::string before = admin.query_value(properties_query);
  REQUIRE(before.find("pgseed_test_app 17 the app's dev database") == 0);
  REQUIRE(before.find("pgseed_test_reader=c*/") != std::string::npos);

  const auto reset = run_pgseed(project.reset());
  INFO(reset.err);
  REQUIRE(reset.exit_code == 0);
  CHECK(admin.query_value(properties_query) == before);

  const auto restored = run_pgseed({"restore", "--yes", "--no-safety-snapshot", "-C", project.root(), "--database-url",
                                    project.target.keyword_string()});
  INFO(restored.err);
  REQUIRE(restored.exit_code == 0);
  CHECK(admin.query_value(properties_query) == before);
  check_counts(project.target, project.latest());
}

TEST_CASE("4 concurrent resets of one target serialise and leave it complete", "[integration][reset][concurrency]") {
  Project project;
  std::vector<std::future<testing::PgseedRun>> runs;
  for (int i = 0; i < 4; ++i) runs.push_back(std::async(std::launch::async, [&] { return run_pgseed(project.reset()); }));
  int built = 0;
  for (auto& run : runs) {
    const auto result = run.get();
    INFO(result.err);
    CHECK(result.exit_code == 0);
    if (result.out.find("built template") != std::string::npos) ++built;
  }
  CHECK(built == 1);
  check_counts(project.target, project.latest());
  CHECK(databases_like(project.target.database() + "_pgseed_").empty());
}

TEST_CASE("a reset killed at random points leaves the target old or new, and the next run cleans up", "[integration][reset][kill]") {
  Project project;
  const auto metadata = project.latest();
  auto make_old = [&] {
    {
      pg::Connection admin(testing::test_server().connection("postgres"));
      admin.execute("DROP DATABASE IF EXISTS " + admin.quote_identifier(project.target.database()) + " WITH (FORCE)");
      admin.execute("CREATE DATABASE " + admin.quote_identifier(project.target.database()));
    }
    pg::Connection(project.target).execute("CREATE TABLE keep_me (note text); INSERT INTO keep_me VALUES ('precious')");
  };
  // Half the kills while the template is being built (it is dropped before each of those), half
  // while it is cloned.
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(run_pgseed(project.reset()).exit_code == 0);
  const auto build_time = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  const unsigned seed = std::random_device{}();
  std::cout << "kill points for reset: seed " << seed << ", a first reset takes " << build_time.count() << " ms" << std::endl;
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay(0, static_cast<int>(build_time.count()));
  make_old();
  const std::string template_name = "pgseed_template_" + metadata.checksum.substr(0, 16);
  for (int point = 0; point < 20; ++point) {
    if (point % 2 == 0) {
      pg::Connection admin(testing::test_server().connection("postgres"));
      if (admin.query_value("SELECT count(*) FROM pg_database WHERE datname = " + admin.quote_literal(template_name)) != "0") {
        admin.execute("ALTER DATABASE " + admin.quote_identifier(template_name) + " IS_TEMPLATE false");
        admin.execute("DROP DATABASE " + admin.quote_identifier(template_name));
      }
    }
    const int milliseconds = delay(random);
    INFO("seed " << seed << ", kill point " << point << " after " << milliseconds << " ms");
    const pid_t pid = testing::start_pgseed(project.reset());
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(testing::database_exists(project.target.database()));
    if (testing::query_value(project.target, "SELECT to_regclass('keep_me') IS NOT NULL") == "t") {
      CHECK(testing::query_value(project.target, "SELECT to_regclass('users') IS NULL") == "t");
    } else {
      check_counts(project.target, metadata);
      make_old();
    }
    // A template that exists is complete: the swap of a template is one transaction.
    pg::Connection admin(testing::test_server().connection("postgres"));
    if (admin.query_value("SELECT count(*) FROM pg_database WHERE datname = " + admin.quote_literal(template_name)) != "0") {
      CHECK(admin.query_value("SELECT datistemplate FROM pg_database WHERE datname = " + admin.quote_literal(template_name)) == "t");
    }
  }
  std::vector<std::string> left;
  for (int attempt = 0; attempt < 20; ++attempt) {
    const auto next = run_pgseed(project.reset());
    INFO(next.err);
    REQUIRE(next.exit_code == 0);
    left = databases_like(project.target.database() + "_pgseed_");
    const auto templates_scratch = databases_like(template_name + "_pgseed_");
    left.insert(left.end(), templates_scratch.begin(), templates_scratch.end());
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  CHECK(left.empty());
  check_counts(project.target, metadata);
}
